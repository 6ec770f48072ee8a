import { createHash } from 'node:crypto';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { FramewiseError } from '../../core/errors.js';
import { isWebPagePath } from './web-page.js';
import { ErrorBody } from './schemas.js';

/** Requests per minute a client may make; 0 turns a limit off. */
export interface RateLimits {
  /** Every route but the unlimited ones (below). */
  perMinute: number;
  /** The job-creating routes (`POST /api/upload_video`, `POST /api/request`), one budget for both, instead of `perMinute`. */
  uploadsPerMinute: number;
  /**
   * Whether a bearer token is a configured API key. Given, an unknown token is counted by its
   * client IP, so a client cannot mint a fresh budget per made-up token; absent, every token
   * counts as its own key.
   */
  isKnownKey?: (token: string) => boolean;
}

const WINDOW_MS = 60_000;
/** Probes and scrapes must answer however busy a client is; the web page's static files are not API calls. */
const UNLIMITED = new Set(['/health', '/ready', '/api', '/api/', '/api/health', '/api/ready', '/metrics']);
const JOB_CREATING = new Set(['/api/upload_video', '/api/request']);

/**
 * Per-client rate limits (`@fastify/rate-limit`, fixed one-minute windows, in this process's
 * memory: several API processes each count on their own). A client is its API key when it sends
 * `Authorization: Bearer …` — a digest of it, never the key itself, names the bucket — else its IP.
 * Over the limit: 429 `ERR_RATE_LIMITED` with `Retry-After` (seconds until the window ends).
 *
 * One instance-wide `onRequest` hook applies them, so register this before anything that refuses
 * requests in its own `onRequest` hook (authentication): requests it refuses, unknown routes
 * included, count too, and a flood of wrong keys is limited like any other. (The plugin's own
 * per-route hooks would run after every instance hook.)
 */
export async function registerRateLimits(app: FastifyInstance<any, any, any, any, any>, limits: RateLimits): Promise<void> {
  if (limits.perMinute <= 0 && limits.uploadsPerMinute <= 0) return;
  const limitOf = (url: string | undefined): 'general' | 'jobs' | undefined => {
    if (url !== undefined && JOB_CREATING.has(url)) return limits.uploadsPerMinute > 0 ? 'jobs' : undefined;
    if (url !== undefined && (UNLIMITED.has(url) || isWebPagePath(url))) return undefined;
    return limits.perMinute > 0 ? 'general' : undefined;
  };
  // Every limited route documents its 429 (in /openapi.json too).
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<string, unknown> | undefined;
    if (limitOf(route.url) && response && !('429' in response)) route.schema = { ...route.schema, response: { ...response, 429: ErrorBody } };
  });
  await app.register(rateLimit, {
    // No per-route hooks: the hook below decides which limit, if any, a request meets.
    global: false,
    max: limits.perMinute,
    timeWindow: WINDOW_MS,
    keyGenerator: (req) => clientKey(req, limits.isKnownKey),
    // The plugin has set Retry-After and the X-RateLimit-* headers by now; the error handler keeps them.
    errorResponseBuilder: (_req, context) => new FramewiseError('ERR_RATE_LIMITED', context.max, Math.ceil(context.ttl / 1000)),
  });
  // One limiter per budget, each with its own store: both job-creating routes draw on one budget.
  const limiters: Record<'general' | 'jobs', onRequestAsyncHookHandler> = {
    general: app.rateLimit(),
    jobs: app.rateLimit({ max: limits.uploadsPerMinute, timeWindow: WINDOW_MS }),
  };
  app.addHook('onRequest', async function (req, reply) {
    const limit = limitOf(req.routeOptions.url);
    if (limit) await limiters[limit].call(this, req, reply);
  });
}

/** The bucket a request counts against: `key:<digest of the bearer token>` or `ip:<address>` (IPv6 by /64). */
export function clientKey(req: Pick<FastifyRequest, 'headers' | 'ip'>, isKnownKey?: (token: string) => boolean): string {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  if (token && (isKnownKey?.(token) ?? true)) return `key:${createHash('sha256').update(token).digest('base64url')}`;
  return `ip:${normalizeIP(req.ip)}`;
}
