import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures, Stripe-style: `X-Framewise-Signature: sha256=<hex>` where hex is
 * HMAC-SHA256(secret, `${timestamp}.${body}`) and `timestamp` is the `X-Framewise-Timestamp` header
 * (Unix seconds). Signing the timestamp with the body lets a receiver refuse replays: a captured call
 * re-sent later carries an old timestamp, and changing it breaks the signature. The server signs
 * with `sign`; receivers (and the tests) check with `verify`, the same code.
 */

export const SIGNATURE_HEADER = 'x-framewise-signature';
export const TIMESTAMP_HEADER = 'x-framewise-timestamp';
export const DELIVERY_HEADER = 'x-framewise-delivery';
export const EVENT_HEADER = 'x-framewise-event';

/** Oldest timestamp `verify` accepts by default, in seconds before now (and as far after: clock skew). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The signature header value for `body` sent at `timestamp` (Unix seconds). */
export function sign(secret: string, timestamp: number | string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface SignedCall {
  /** The `X-Framewise-Signature` header. */
  signature: string | undefined;
  /** The `X-Framewise-Timestamp` header. */
  timestamp: string | undefined;
  /** The request body exactly as received (before any JSON parsing). */
  body: string;
}

/**
 * True when `call` was signed with `secret` and its timestamp is within `toleranceSeconds` of `now`
 * (ms). Compares in constant time. A missing or malformed header is false, never an exception.
 */
export function verify(secret: string, call: SignedCall, opts: { toleranceSeconds?: number; now?: number } = {}): boolean {
  const { signature, timestamp, body } = call;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const age = (opts.now ?? Date.now()) / 1000 - Number(timestamp);
  if (Math.abs(age) > (opts.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(sign(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
