import type { Publisher } from '../../ports/bus-publisher.js';
import type { MessageHandler, SubscribeOptions, Subscriber } from '../../ports/bus-subscriber.js';
import type { BusMessage } from '../../ports/bus-message.js';

export type Bus = Publisher & Subscriber;

/**
 * One bus made of others by topic: `routes` names the bus of some topics, `fallback` carries the
 * rest. Embedded mode sends frames (`inference_tasks`) over the transient `MemoryBus` and every
 * other topic over the durable SQLite log. Each topic keeps its own bus's guarantees. `close`
 * closes every bus at once (a handler of one may be waiting on a publish to another).
 */
export class RoutedBus implements Publisher, Subscriber {
  constructor(
    private readonly routes: Readonly<Record<string, Bus>>,
    private readonly fallback: Bus,
  ) {}

  private busOf(topic: string): Bus {
    return this.routes[topic] ?? this.fallback;
  }

  publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    return this.busOf(topic).publish(topic, messages);
  }

  subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): Promise<void> {
    return this.busOf(topic).subscribe(topic, handler, options);
  }

  async close(): Promise<void> {
    await Promise.all([...new Set([...Object.values(this.routes), this.fallback])].map((b) => b.close()));
  }
}
