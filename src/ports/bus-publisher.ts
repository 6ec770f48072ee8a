import type { BusMessage } from './bus-message.js';

/**
 * Publisher: appends messages to a topic.
 *
 * Contract:
 * - `publish` resolves only once no message can be lost any more: a durable bus (Kafka, the SQLite
 *   log) has stored it so that it survives a crash of this process; a transient bus (the in-memory
 *   one embedded mode sends frames over: frames are derived data) resolves once its subscribers
 *   have handled it. Either way, work whose messages are all published may be acknowledged. On
 *   rejection some, none or all may have been accepted, so callers retry and consumers
 *   de-duplicate (at-least-once).
 * - Messages with the same key keep their order relative to each other.
 * - `close` waits for publishes in flight; no publish may follow it.
 */
export interface Publisher {
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  close(): Promise<void>;
}
