import type { Logger } from 'pino';
import { ConfigError, type Config } from '../core/config.js';
import { apiKeys, type ApiAuth } from '../stages/api/auth.js';

/** Addresses only this machine reaches. */
const isLoopback = (host: string) => /^127(\.\d{1,3}){3}$/.test(host) || ['localhost', '::1', '[::1]', '::ffff:127.0.0.1'].includes(host.toLowerCase());

/**
 * The API's access settings from the config, after the binding rule: an API without keys
 * (authentication off) listens on a loopback address, unless the operator allowed otherwise
 * (`FRAMEWISE_ALLOW_UNAUTHENTICATED`); else start-up stops here with a `ConfigError` naming the
 * settings, before anything is opened. While authentication is off a warning says so.
 * `mode`: in a cluster several API processes may serve one address, so their session cookies need
 * one secret (`FRAMEWISE_SESSION_SECRET`) — a warning says so when it is missing.
 */
export function apiAccess(
  config: Config,
  log: Logger,
  mode: 'embedded' | 'cluster',
): { auth: ApiAuth; requestBuckets: readonly string[]; maxActiveJobsPerKey: number } {
  const keys = apiKeys(config);
  if (keys.length === 0) {
    if (!isLoopback(config.host) && !config.allowUnauthenticated) {
      throw new ConfigError(
        `refusing to start: the API would listen on ${config.host} (FRAMEWISE_HOST), which other machines may reach, with no API key configured — ` +
          'anyone reaching it could upload videos and read every job. Configure keys in FRAMEWISE_API_KEYS (or FRAMEWISE_ADMIN_KEY), ' +
          'listen on 127.0.0.1, or set FRAMEWISE_ALLOW_UNAUTHENTICATED=true to serve it without keys anyway.',
      );
    }
    log.warn(
      { host: config.host, allow_unauthenticated: config.allowUnauthenticated },
      'authentication is off: no API key is configured (FRAMEWISE_API_KEYS), so every caller may upload and read every job; admin routes answer loopback clients only',
    );
  } else if (mode === 'cluster' && config.sessionSecret === undefined) {
    log.warn(
      'FRAMEWISE_SESSION_SECRET is unset: the web page’s session cookies are signed with a secret of this process only; API processes behind one address need the same one',
    );
  }
  return {
    auth: { keys, sessionSecret: config.sessionSecret, sessionTtlMs: config.sessionTtlMs },
    requestBuckets: config.requestBuckets ?? [config.bucket],
    maxActiveJobsPerKey: config.maxActiveJobsPerKey,
  };
}
