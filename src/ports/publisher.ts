import type { BusMessage } from './bus-message.js';

/**
 * Publisher: appends messages to a topic.
 *
 * Contract:
 * - `publish` resolves only once every message is durably accepted by the bus (it survives a crash
 *   of this process); on rejection some, none or all may have been accepted, so callers retry and
 *   consumers de-duplicate (at-least-once).
 * - Messages with the same key keep their order relative to each other.
 * - `close` waits for publishes in flight; no publish may follow it.
 */
export interface Publisher {
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  close(): Promise<void>;
}
