import type { Middleware } from './handler.js';
import { inJobSpan } from '../observability/job-spans.js';

/**
 * Runs each delivery of a message in a job-stage span named `stage` (extract, detect, collect),
 * a child of the message's `traceparent` — the job's trace — when OpenTelemetry is on; otherwise
 * it only calls the handler. Outermost, so a failed attempt is a span with its error.
 */
export function tracing<D>(stage: string): Middleware<D> {
  return (next) => (message, deps) =>
    inJobSpan(
      stage,
      message.headers.traceparent,
      {
        'framewise.event_id': message.headers.event_id ?? message.key,
        'framewise.frame': message.headers.frame,
        'framewise.attempt': message.attempt,
        'messaging.destination.name': message.topic,
        'messaging.message.id': message.offset,
      },
      () => next(message, deps),
    );
}
