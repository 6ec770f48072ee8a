import { randomFillSync } from 'node:crypto';

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

/**
 * Random ids from a pool refilled 4 KiB at a time (as `crypto.randomUUID` does): every request
 * without a `traceparent` gets a new trace, and a system call per id was a twentieth of a status
 * read's CPU at 1,000 req/s (measured). Still the CSPRNG: ids must not be guessable or collide.
 */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  return hex;
}

/** A new trace, sampled. */
export function newTraceparent(): string {
  return `00-${randomHex(16)}-${randomHex(8)}-01`;
}

/** The same trace, a new span: what a process passes on when it acts for the job. */
export function childTraceparent(parent: string): string {
  const [version, traceId, , flags] = parent.split('-');
  return `${version}-${traceId}-${randomHex(8)}-${flags}`;
}

/** The trace id (the part logs carry), or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent?.split('-')[1];
}
