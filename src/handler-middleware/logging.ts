import type { Logger } from 'pino';
import type { Middleware } from './handler.js';
import { traceIdOf } from '../core/trace.js';

/** Logs each failed attempt (warn) and each handled message (debug), with the job's id and trace id. */
export function logging<D>(log: Logger): Middleware<D> {
  return (next) => async (message, deps) => {
    const started = performance.now();
    const ctx = {
      topic: message.topic,
      offset: message.offset,
      key: message.key,
      attempt: message.attempt,
      event_id: message.headers.event_id ?? message.key,
      trace_id: traceIdOf(message.headers.traceparent),
    };
    try {
      await next(message, deps);
      log.debug({ ...ctx, ms: Math.round(performance.now() - started) }, 'message handled');
    } catch (err) {
      log.warn({ ...ctx, err }, 'message handler failed');
      throw err;
    }
  };
}
