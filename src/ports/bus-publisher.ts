import type { BusMessage } from './bus-message.js';

/** Publisher: appends messages to a topic (at least once; consumers de-duplicate). */
export interface Publisher {
  /**
   * Appends `messages` to `topic`. Resolves only once no message can be lost any more: a durable
   * bus (Kafka, the SQLite log) has stored them so that they survive a crash of this process; a
   * transient bus (the in-memory one embedded mode sends frames over: frames are derived data)
   * once its subscribers have handled them. Either way, work whose messages are all published may
   * be acknowledged. Not atomic: on rejection some, none or all may have been accepted, so callers
   * retry and consumers de-duplicate (at-least-once). Messages with the same key keep their order
   * relative to each other.
   */
  publish(topic: string, messages: readonly BusMessage[]): Promise<void>;
  /** Waits for publishes in flight, then releases the connection; no publish may follow it. Idempotent. */
  close(): Promise<void>;
}
