import type { Logger } from 'pino';
import type { Publisher } from '../ports/bus-publisher.js';
import type { DeliveredMessage } from '../ports/bus-message.js';
import { MalformedMessageError } from '../core/messages.js';
import { TOPICS } from '../core/topics.js';
import type { Middleware } from './handler.js';
import { isTransient } from '../core/transient.js';
import { traceIdOf } from '../core/trace.js';

export interface DeadLetterOptions<D> {
  publisher: Publisher;
  log: Logger;
  /** Deliveries before giving up; a malformed message is given up at once. */
  maxAttempts: number;
  /** Runs when giving up, before the dead letter is written (e.g. fail the job); may throw to retry. */
  onGiveUp?: (message: DeliveredMessage, error: unknown, deps: D) => Promise<void>;
  /** Told after a message was dead-lettered (metrics). */
  onDeadLettered?: (message: DeliveredMessage) => void;
}

/**
 * Bounds redelivery: once a message has failed `maxAttempts` times (or is malformed) it is copied to
 * `dead_letters` with the error, and acknowledged, so it never blocks its partition. Failures that
 * come from an outage (`isTransient`) are not the message's fault: they are retried, uncounted,
 * until the dependency is back.
 */
export function deadLetter<D>(opts: DeadLetterOptions<D>): Middleware<D> {
  return (next) => async (message, deps) => {
    try {
      await next(message, deps);
    } catch (err) {
      const malformed = err instanceof MalformedMessageError;
      if (!malformed && (message.attempt < opts.maxAttempts || isTransient(err))) throw err;
      await opts.onGiveUp?.(message, err, deps);
      const reason = err instanceof Error ? err.message : String(err);
      await opts.publisher.publish(TOPICS.deadLetters, [
        {
          key: message.key,
          value: message.value,
          headers: {
            ...message.headers,
            original_topic: message.topic,
            original_offset: message.offset,
            error: reason.slice(0, 1000),
            attempts: String(message.attempt),
          },
        },
      ]);
      opts.onDeadLettered?.(message);
      opts.log.error(
        {
          topic: message.topic,
          offset: message.offset,
          key: message.key,
          event_id: message.headers.event_id ?? message.key,
          trace_id: traceIdOf(message.headers.traceparent),
          err,
        },
        'message dead-lettered',
      );
    }
  };
}
