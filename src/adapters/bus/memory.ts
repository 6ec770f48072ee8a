import type { Publisher } from '../../ports/bus-publisher.js';
import type { MessageHandler, SubscribeOptions, Subscriber } from '../../ports/bus-subscriber.js';
import type { BusMessage } from '../../ports/bus-message.js';
import { deliverUntilHandled } from './redelivery.js';

export interface MemoryBusOptions {
  /** Redelivery backoff after a handler rejects: base doubling up to max. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

interface Pending {
  message: BusMessage;
  offset: number;
  /** Groups that have not handled it yet. */
  groupsLeft: Set<string>;
  handled: () => void;
  failed: (err: Error) => void;
}

/**
 * A transient bus in this process's memory, for messages that are derived data: embedded mode's
 * frames (`inference_tasks`), which a crash loses and the runner extracts again. Nothing is
 * written anywhere, so a frame costs no encoding, no disk and no copy beyond its buffer.
 *
 * Because it stores nothing, `publish` resolves only once every subscribed group has *handled*
 * each message (its handler resolved) — the point after which the message can no longer be lost,
 * which is what the `Publisher` contract promises its callers. A publisher that awaits its
 * publishes therefore knows its work is done, and one that keeps N publishes outstanding has N
 * messages in flight. Publishes before any subscription wait for one. Delivery is in publish
 * order per topic, `concurrency` handlers at a time per group; a rejected handler is retried after
 * a backoff, like the durable buses. `close` stops delivering: publishes not yet handled reject
 * (their publisher's own work is then redelivered by the durable bus it came from).
 */
export class MemoryBus implements Publisher, Subscriber {
  private readonly topics = new Map<string, TopicState>();
  private closed = false;

  constructor(private readonly opts: MemoryBusOptions = {}) {}

  private topic(name: string): TopicState {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = new TopicState(this.opts)));
    return t;
  }

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    await Promise.all(messages.map((m) => this.topic(topic).append(m)));
  }

  async subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    this.topic(topic).subscribe(topic, handler, options);
  }

  /** Messages of `topic` that `group` has not handled yet (consumer lag). */
  lag(topic: string, group: string): number {
    return this.topics.get(topic)?.lag(group) ?? 0;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.topics.values()].map((t) => t.close()));
  }
}

class TopicState {
  private readonly groups = new Map<string, GroupState>();
  /** Published, not yet handled by every group, in publish order. */
  private readonly pending = new Set<Pending>();
  private nextOffset = 0;
  /** Messages published before the first subscription. */
  private readonly early: Pending[] = [];

  constructor(private readonly opts: MemoryBusOptions) {}

  append(message: BusMessage): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const p: Pending = { message, offset: this.nextOffset++, groupsLeft: new Set(this.groups.keys()), handled: resolve, failed: reject };
      this.pending.add(p);
      if (this.groups.size === 0) this.early.push(p);
      for (const g of this.groups.values()) g.enqueue(p);
    });
  }

  subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): void {
    if (this.groups.has(options.group)) throw new Error(`group ${options.group} already subscribes to ${topic}`);
    const group = new GroupState(topic, options.group, Math.max(1, options.concurrency ?? 1), handler, this.opts, (p) => this.done(p, options.group));
    this.groups.set(options.group, group);
    // A group starts at the beginning of what is held, as the durable buses' earliest offset.
    for (const p of this.early.splice(0)) {
      p.groupsLeft.add(options.group);
      group.enqueue(p);
    }
  }

  private done(p: Pending, group: string): void {
    p.groupsLeft.delete(group);
    if (p.groupsLeft.size > 0) return;
    this.pending.delete(p);
    p.handled();
  }

  lag(group: string): number {
    return this.groups.get(group)?.lag() ?? this.early.length;
  }

  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].map((g) => g.stop()));
    for (const p of this.pending) p.failed(new Error('bus closed before the message was handled'));
    this.pending.clear();
  }
}

class GroupState {
  private readonly queue: Pending[] = [];
  private head = 0;
  private running = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly stopSignal = new AbortController();

  constructor(
    private readonly topic: string,
    readonly group: string,
    private readonly concurrency: number,
    private readonly handler: MessageHandler,
    private readonly opts: MemoryBusOptions,
    private readonly onHandled: (p: Pending) => void,
  ) {}

  enqueue(p: Pending): void {
    this.queue.push(p);
    this.pump();
  }

  lag(): number {
    return this.queue.length - this.head + this.running;
  }

  private pump(): void {
    while (!this.stopSignal.signal.aborted && this.running < this.concurrency && this.head < this.queue.length) {
      const p = this.queue[this.head++]!;
      // Compact now and then, so a long-lived topic does not keep every message it ever saw.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.running++;
      const message = { topic: this.topic, key: p.message.key, value: p.message.value, headers: p.message.headers ?? {}, offset: String(p.offset) };
      const run = deliverUntilHandled(this.handler, message, {
        baseMs: this.opts.retryBaseMs ?? 200,
        maxMs: this.opts.retryMaxMs ?? 10_000,
        stop: this.stopSignal.signal,
      }).then((handled) => {
        this.running--;
        if (handled) this.onHandled(p);
        this.pump();
      });
      this.inFlight.add(run);
      void run.finally(() => this.inFlight.delete(run));
    }
  }

  async stop(): Promise<void> {
    this.stopSignal.abort();
    await Promise.all(this.inFlight);
  }
}
