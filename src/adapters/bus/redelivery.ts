import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageHandler } from '../../ports/bus-subscriber.js';
import type { DeliveredMessage } from '../../ports/bus-message.js';

export interface RedeliveryOptions {
  /** Backoff after a rejection: base doubling up to max. */
  baseMs: number;
  maxMs: number;
  /** Aborted when the subscription stops: the message is then left uncommitted. */
  stop: AbortSignal;
}

/**
 * Calls `handler` with the message (attempt 1, 2, …) until it resolves — at-least-once, never
 * skipping: bounding attempts is the dead-letter middleware's job. Returns false when the
 * subscription stopped first; the message then stays uncommitted and is redelivered later.
 */
export async function deliverUntilHandled(handler: MessageHandler, message: Omit<DeliveredMessage, 'attempt'>, opts: RedeliveryOptions): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    try {
      await handler({ ...message, attempt });
      return true;
    } catch {
      if (opts.stop.aborted) return false;
      await sleep(Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1)), undefined, { signal: opts.stop }).catch(() => {});
      if (opts.stop.aborted) return false;
    }
  }
}
