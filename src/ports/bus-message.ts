import type { BusMessage } from '../core/messages.js';

/** One message on the bus (defined with the messages' wire format, `core/messages.ts`). */
export type { BusMessage };

/** A message as delivered to a handler: where it came from and how often it was tried. */
export interface DeliveredMessage extends BusMessage {
  topic: string;
  /** Position in the topic (partition-local in Kafka), for logs. */
  offset: string;
  /** 1 on first delivery, then 2, 3… when redelivered after a failure in this process. */
  attempt: number;
  headers: Record<string, string>;
}
