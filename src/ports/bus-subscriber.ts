import type { DeliveredMessage } from './bus-message.js';

/** Handles one delivered message. Resolving acknowledges it; rejecting asks for redelivery. */
export type MessageHandler = (message: DeliveredMessage) => Promise<void>;

export interface SubscribeOptions {
  /** Consumer group: each message reaches one member of each group. */
  group: string;
  /** Messages handled at once by this subscription (default 1). */
  concurrency?: number;
}

/** Subscriber: delivers a topic's messages to a handler, at least once. */
export interface Subscriber {
  /**
   * Delivers `topic`'s messages to `handler` as a member of `options.group` (each message reaches
   * one member of each group), from the group's last commit on. Resolves once subscribed.
   * - Ack: a message's position is committed only after its handler resolved (and every earlier
   *   message of its partition resolved): a crash at any point leads to redelivery, never to loss.
   * - A rejected handler's message is redelivered to this subscription after a backoff; the bus
   *   never skips it by itself (wrap handlers in the dead-letter middleware to bound attempts).
   * - Order: per partition (per key); with `concurrency` > 1 handlers may finish out of order,
   *   commits stay in order.
   */
  subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): Promise<void>;
  /** Stops fetching, waits for handlers in flight, commits what they finished, and resolves; no subscribe may follow it. */
  close(): Promise<void>;
}
