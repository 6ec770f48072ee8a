/**
 * Who may read `/metrics` (the API's and every worker's): anyone, unless FRAMEWISE_METRICS_KEY is
 * set — then only a request with `Authorization: Bearer <that key>`, compared in constant time
 * (Prometheus sends it with `authorization: {credentials: …}` or `bearer_token_file`). Metrics
 * name routes, topics, consumer groups and job counts: on a network others reach, set it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { toErrorBody, FramewiseError } from '../core/errors.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Whether the request's `authorization` header may read the metrics, for `key` (undefined: open). */
export function mayReadMetrics(key: string | undefined, authorization: string | undefined): boolean {
  if (key === undefined) return true;
  const m = /^Bearer (.+)$/i.exec(authorization ?? '');
  // Digests have one length, so timingSafeEqual never throws and the key's length does not leak.
  return m !== null && timingSafeEqual(digest(m[1]!.trim()), digest(key));
}

/** The 401 answer of a refused metrics request: `[status, body]`. */
export function metricsRefusal(authorization: string | undefined): [number, object] {
  const e = new FramewiseError(authorization ? 'ERR_AUTH_KEY_INVALID' : 'ERR_AUTH_REQUIRED');
  return [e.status, toErrorBody(e)];
}
