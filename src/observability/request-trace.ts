import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import { newTraceparent, parseTraceparent, traceIdOf } from '../core/trace.js';
import { activeTraceparent } from './job-spans.js';

const ASSIGNED = Symbol('framewise.traceparent');
type Traced = IncomingMessage & { [ASSIGNED]?: string };

/**
 * The request's trace context, decided once per request and written back to its `traceparent`
 * header, so that everything reading the header later (the upload route, which stores it with the
 * job) sees the same trace as the request's log lines:
 * - with OpenTelemetry, the HTTP server span (which continues the client's `traceparent` if any),
 *   so the job's stage spans are children of the upload's span;
 * - else the client's valid `traceparent`, unchanged;
 * - else a new trace.
 */
export function requestTraceparent(raw: IncomingMessage): string {
  const req = raw as Traced;
  if (req[ASSIGNED]) return req[ASSIGNED];
  const header = raw.headers.traceparent;
  const traceparent = activeTraceparent() ?? parseTraceparent(Array.isArray(header) ? header[0] : header) ?? newTraceparent();
  raw.headers.traceparent = traceparent;
  req[ASSIGNED] = traceparent;
  return traceparent;
}

/**
 * Fastify's per-request logger, bound to the request's `trace_id` (see `requestTraceparent`):
 * every line a request logs — the "request completed" line of every request included —
 * carries it.
 */
export function traceLoggerFactory(
  logger: FastifyBaseLogger,
  bindings: Parameters<FastifyBaseLogger['child']>[0],
  opts: Parameters<FastifyBaseLogger['child']>[1],
  raw: IncomingMessage,
): FastifyBaseLogger {
  return logger.child({ ...bindings, trace_id: traceIdOf(requestTraceparent(raw)) }, opts);
}
