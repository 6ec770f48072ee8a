import { randomBytes } from 'node:crypto';

/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the `traceparent` of the request that
 * created a job travels with it — in the outbox event, in Kafka headers, in every log line — so one
 * trace id finds every step of a job in every process's logs.
 *
 *   traceparent = version "-" trace-id "-" parent-id "-" flags      e.g. 00-4bf9…4736-00f0…02b7-01
 */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ALL_ZERO = /^0+$/;

/** A valid incoming `traceparent` (lower-cased), or undefined: invalid ones are ignored, per the spec. */
export function parseTraceparent(raw: string | undefined): string | undefined {
  const m = TRACEPARENT.exec((raw ?? '').trim().toLowerCase());
  if (!m || m[1] === 'ff' || ALL_ZERO.test(m[2]!) || ALL_ZERO.test(m[3]!)) return undefined;
  return m[0];
}

/** A new trace, sampled. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** The same trace, a new span: what a process passes on when it acts for the job. */
export function childTraceparent(parent: string): string {
  const [version, traceId, , flags] = parent.split('-');
  return `${version}-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
}

/** The trace id (the part logs carry), or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}
