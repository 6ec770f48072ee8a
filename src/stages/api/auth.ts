import crypto from 'node:crypto';
import cookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FramewiseError } from '../../core/errors.js';
import type { ApiKeyConfig } from '../../core/config.js';
import { ErrorBody } from './schemas.js';

/**
 * Who may call the API: API keys (`Authorization: Bearer <key>`) with a role, and the web page's
 * session cookie. With no key configured authentication is off: every request acts as
 * `ANONYMOUS`, which may do what a client may and sees every job (there is no one to tell apart).
 *
 * Invariants: a key is held only as its SHA-256 digest; a presented key is compared with every
 * configured digest in constant time (digests, so the key's length leaks nothing; every one, so
 * which key matched leaks nothing); a protected route never runs without a principal.
 */

export type Role = 'client' | 'admin';

/** The caller, as routes see it (`req.principal`). */
export interface Principal {
  /** The key's id (a job's `owner`); `anonymous` while authentication is off. */
  keyId: string;
  role: Role;
  /** False only while authentication is off. */
  authenticated: boolean;
}

export const ANONYMOUS: Principal = Object.freeze({ keyId: 'anonymous', role: 'client', authenticated: false });

/** A configured key: who it is, and the SHA-256 of the key (never the key itself). */
export interface ApiKey {
  id: string;
  role: Role;
  digest: Buffer;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set for every request authentication let through; unset on public routes called without a key. */
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** `'public'`: the route answers without a key (probes, logging out). */
    auth?: 'public';
  }
}

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest();

/** The keys of the configuration: `FRAMEWISE_API_KEYS` (plain or hashed) and `FRAMEWISE_ADMIN_KEY` (id `admin`). */
export function apiKeys(config: { apiKeys: readonly ApiKeyConfig[]; adminKey?: string | undefined }): ApiKey[] {
  const keys: ApiKey[] = config.apiKeys.map((k) => ({
    id: k.id,
    role: k.role,
    digest: k.sha256 !== undefined ? Buffer.from(k.sha256, 'hex') : sha256(k.key!),
  }));
  if (config.adminKey !== undefined) keys.push({ id: 'admin', role: 'admin', digest: sha256(config.adminKey) });
  return keys;
}

/** The configured keys, looked up in constant time. */
export class KeyRing {
  constructor(private readonly keys: readonly ApiKey[]) {}

  /** Whether authentication is on (some key is configured). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The key `presented` is, if any: compared with every key, in constant time, on digests. */
  find(presented: string): ApiKey | undefined {
    const digest = sha256(presented);
    let found: ApiKey | undefined;
    // No early exit: the time taken does not depend on which key (if any) matched.
    for (const k of this.keys) if (crypto.timingSafeEqual(digest, k.digest) && found === undefined) found = k;
    return found;
  }

  byId(id: string): ApiKey | undefined {
    return this.keys.find((k) => k.id === id);
  }
}

/** The web page's session: a signed cookie naming a key id, until it expires. */
export interface SessionOptions {
  /** Signs the cookie (HMAC-SHA256); API replicas behind one address need the same one. */
  secret: string;
  ttlMs: number;
}

export const SESSION_COOKIE = 'framewise_session';

/** Routes under `/api` that answer without a key: liveness and readiness probes. */
const PUBLIC = new Set(['/api', '/api/', '/api/health', '/api/ready']);

/** Whether a route (its URL pattern and config) needs a principal. Outside `/api` (the page, docs, metrics) nothing does. */
export const isProtected = (route: string, config: { auth?: 'public' } | undefined) =>
  (route === '/api' || route.startsWith('/api/')) && !PUBLIC.has(route) && config?.auth !== 'public';

/**
 * A key's fingerprint in its sessions: a session ends when its key is replaced (same id, new key)
 * or removed, not only when it expires.
 */
const fingerprint = (k: ApiKey) =>
  sha256(`framewise-session:${k.digest.toString('hex')}`)
    .toString('hex')
    .slice(0, 16);

/**
 * Registers authentication: cookie parsing and an `onRequest` hook that sets `req.principal` and
 * refuses protected routes without one — 401 `ERR_AUTH_REQUIRED` (no key), `ERR_AUTH_KEY_INVALID`
 * (an unknown key), `ERR_AUTH_SESSION_INVALID` (a cookie not signed here, expired, or of a key
 * since changed), each with `WWW-Authenticate: Bearer`. The session cookie is honoured on GET and
 * HEAD only (what `EventSource` and `<video>` send): anything that changes state needs the
 * `Authorization` header, so a forged cross-site request carries no credential at all.
 * Register before the routes, after the rate limits (a flood of wrong keys is limited too).
 */
export async function registerAuth(app: FastifyInstance<any, any, any, any, any>, ring: KeyRing, session: SessionOptions): Promise<void> {
  await app.register(cookie, { secret: session.secret });
  // With keys, every protected route documents its key and its 401 (in /openapi.json too).
  app.addHook('onRoute', (route) => {
    if (!ring.enabled || !isProtected(route.url, route.config)) return;
    const response = route.schema?.response as Record<string, unknown> | undefined;
    route.schema = { ...route.schema, security: [{ apiKey: [] }], ...(response && !('401' in response) ? { response: { ...response, 401: ErrorBody } } : {}) };
  });
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!ring.enabled) {
      req.principal = ANONYMOUS;
      return;
    }
    const found = identify(req, ring);
    if (!(found instanceof FramewiseError) && found !== undefined) req.principal = found;
    const route = req.routeOptions.url;
    // No route (a 404) serves nothing; public routes answer anyone.
    if (route === undefined || !isProtected(route, req.routeOptions.config) || req.principal) return;
    reply.header('www-authenticate', 'Bearer realm="framewise"');
    throw found ?? new FramewiseError('ERR_AUTH_REQUIRED');
  });
}

/** The principal of the request's credentials; an error for credentials that are wrong; undefined for none. */
function identify(req: FastifyRequest, ring: KeyRing): Principal | FramewiseError | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header);
    if (!m) return new FramewiseError('ERR_AUTH_REQUIRED');
    const key = ring.find(m[1]!);
    return key ? { keyId: key.id, role: key.role, authenticated: true } : new FramewiseError('ERR_AUTH_KEY_INVALID');
  }
  const raw = req.cookies[SESSION_COOKIE];
  if (raw === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return undefined;
  const key = readSession(req, ring);
  return key ? { keyId: key.id, role: key.role, authenticated: true } : new FramewiseError('ERR_AUTH_SESSION_INVALID');
}

/** The key a session cookie names, if the cookie is signed here, unexpired, and its key unchanged. */
function readSession(req: FastifyRequest, ring: KeyRing): ApiKey | undefined {
  const unsigned = req.unsignCookie(req.cookies[SESSION_COOKIE] ?? '');
  if (!unsigned.valid || unsigned.value === null) return undefined;
  const [id, expires, print] = unsigned.value.split('.');
  const key = id !== undefined ? ring.byId(id) : undefined;
  if (!key || !(Number(expires) > Date.now()) || print !== fingerprint(key)) return undefined;
  return key;
}

/** Sets the session cookie for `principal`'s key; returns when it expires. */
export function startSession(req: FastifyRequest, reply: FastifyReply, ring: KeyRing, session: SessionOptions, principal: Principal): Date {
  const key = ring.byId(principal.keyId)!;
  const expires = new Date(Date.now() + session.ttlMs);
  reply.setCookie(SESSION_COOKIE, `${key.id}.${expires.getTime()}.${fingerprint(key)}`, {
    signed: true,
    httpOnly: true,
    sameSite: 'strict',
    secure: req.protocol === 'https',
    path: '/api',
    expires,
  });
  return expires;
}

export function endSession(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/api' });
}

/** The request's principal; a protected route always has one (this throws only on a wiring mistake, failing closed). */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new FramewiseError('ERR_AUTH_REQUIRED');
  return req.principal;
}

/** Whether `principal` may see a job owned by `owner` (undefined: a job made while authentication was off). */
export function mayRead(principal: Principal, owner: string | undefined): boolean {
  return !principal.authenticated || principal.role === 'admin' || owner === principal.keyId;
}

/** The owner a new job records: the key's id; none while authentication is off. */
export const ownerOf = (principal: Principal): { owner?: string } => (principal.authenticated ? { owner: principal.keyId } : {});

/**
 * An `Idempotency-Key` as stored: per key id, so two keys sending the same value never get each
 * other's job. Key ids hold no `:`, so no two scopes collide; anonymous keys stay as sent (as
 * stored before authentication existed).
 */
export const scopeIdempotencyKey = (principal: Principal, key: string) => (principal.authenticated ? `${principal.keyId}:${key}` : key);

/** How the API authenticates (`ApiDeps.auth`): the keys, and the session cookies' secret and lifetime. */
export interface ApiAuth {
  keys: readonly ApiKey[];
  /** Unset: a random secret, so sessions end when the process does. */
  sessionSecret?: string | undefined;
  /** Default 12 hours. */
  sessionTtlMs?: number;
}

/** The key ring and session settings of `auth`, plus `adminKey` (id `admin`) where given alone. */
export function resolveAuth(auth: ApiAuth | undefined, adminKey: string | undefined): { ring: KeyRing; session: SessionOptions } {
  const keys = [...(auth?.keys ?? [])];
  if (adminKey !== undefined && !keys.some((k) => k.id === 'admin')) keys.push(...apiKeys({ apiKeys: [], adminKey }));
  return {
    ring: new KeyRing(keys),
    session: { secret: auth?.sessionSecret ?? crypto.randomBytes(32).toString('base64url'), ttlMs: auth?.sessionTtlMs ?? 12 * 3_600_000 },
  };
}
