import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Consumer, type Message, type Producer } from '@platformatic/kafka';
import { idempotentProducer, KafkaProducer, producerClientName } from './kafka-client.js';
import type { Logger } from 'pino';
import type { Publisher } from '../../ports/bus-publisher.js';
import type { MessageHandler, SubscribeOptions, Subscriber } from '../../ports/bus-subscriber.js';
import type { BusMessage } from '../../ports/bus-message.js';
import { deliverUntilHandled } from './redelivery.js';

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  log: Logger;
  /** Partitions of topics this bus creates (the ceiling on parallel consumers of a group). */
  partitions: number;
  /** Redelivery backoff after a handler rejects: base doubling up to max. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

type Msg = Message<Buffer, Buffer, Buffer, Buffer>;

/**
 * The cluster bus on Apache Kafka (@platformatic/kafka): a producer with acks=all, and
 * consumer groups with manual commits — an offset is committed only once its handler and every
 * earlier message of its partition have resolved. A consumer whose connection or group membership
 * breaks is rebuilt with backoff; messages in flight then are redelivered (at-least-once).
 */
export class KafkaBus implements Publisher, Subscriber {
  private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>;
  private readonly subscriptions: KafkaSubscription[] = [];
  private closed = false;

  constructor(private readonly opts: KafkaBusOptions) {
    this.producer = new KafkaProducer({
      clientId: `${opts.clientId}-producer`,
      bootstrapBrokers: opts.brokers,
      // Idempotent (a retried send is written once) where the client's idempotence is safe under
      // concurrent sends: 2.x, on Node ≥ 22. 1.x, on Node 20, drops concurrent sends silently when
      // idempotent (see kafka-client.ts), so there it is off: a retry may then write a message
      // twice, which every consumer here tolerates (each is idempotent by (job, frame) or event id).
      idempotent: idempotentProducer,
      acks: -1,
      retries: 5,
      retryDelay: 500,
      autocreateTopics: false,
    });
    opts.log.info({ client: producerClientName, idempotent: idempotentProducer }, 'kafka producer');
  }

  /** Creates the topics that do not exist yet (an existing topic keeps its partitions). */
  async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin = new Admin({ clientId: `${this.opts.clientId}-admin`, bootstrapBrokers: this.opts.brokers });
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({ topics: missing, partitions: this.opts.partitions, replicas: -1 }).catch((err: Error) => {
          if (!/TOPIC_ALREADY_EXISTS|already exists/i.test(JSON.stringify(err) + err.message)) throw err;
        });
        this.opts.log.info({ topics: missing, partitions: this.opts.partitions }, 'topics created');
      }
    } finally {
      await admin.close();
    }
  }

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    if (messages.length === 0) return;
    await this.producer.send({
      messages: messages.map((m) => ({
        topic,
        key: Buffer.from(m.key),
        value: m.value,
        headers: new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
      })),
    });
  }

  async subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    const sub = new KafkaSubscription(this.opts, topic, options.group, Math.max(1, options.concurrency ?? 1), handler);
    this.subscriptions.push(sub);
    sub.start();
  }

  /**
   * Consumer lag of this process's subscriptions: per topic and group, messages after the last
   * offset committed on the partitions assigned to this member (sum over members for the group's).
   */
  async lag(): Promise<Array<{ topic: string; group: string; lag: number }>> {
    const out = [];
    for (const s of this.subscriptions) {
      const lag = await s.lag().catch(() => undefined);
      if (lag !== undefined) out.push({ topic: s.topic, group: s.group, lag });
    }
    return out;
  }

  /**
   * Resolves once a broker answered a metadata request (readiness): on the producer's connection,
   * forced past the cached metadata, so it proves the cluster answers now.
   */
  async ping(): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    await this.producer.metadata({ topics: [], forceUpdate: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.subscriptions.map((s) => s.stop()));
    await closeQuietly(() => this.producer.close());
  }
}

async function closeQuietly(close: () => unknown): Promise<void> {
  try {
    await close();
  } catch {
    /* already closed or unreachable: nothing left to release */
  }
}

/** One consumer-group member reading one topic. */
class KafkaSubscription {
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private loop: Promise<void> | undefined;
  private stream: { close(): Promise<void> } | undefined;
  private readonly running = new Set<Promise<void>>();
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;

  constructor(
    private readonly opts: KafkaBusOptions,
    readonly topic: string,
    readonly group: string,
    private readonly concurrency: number,
    private readonly handler: MessageHandler,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      try {
        await this.consumeOnce();
        attempt = 0;
      } catch (err) {
        if (this.stopping) break;
        const wait = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
        this.opts.log.warn({ topic: this.topic, group: this.group, err, retry_in_ms: wait }, 'kafka consumer failed; reconnecting');
        await sleep(wait, undefined, { signal: this.stopSignal.signal }).catch(() => {});
      }
    }
  }

  /** Consumes until the stream ends or fails. Per partition: offsets fetched, in order, with done flags. */
  private async consumeOnce(): Promise<void> {
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      clientId: `${this.opts.clientId}-${this.group}`,
      groupId: this.group,
      bootstrapBrokers: this.opts.brokers,
      sessionTimeout: 20_000,
      heartbeatInterval: 2_000,
      rebalanceTimeout: 60_000,
    });
    const windows = new Map<number, Array<{ message: Msg; done: boolean }>>();
    this.consumer = consumer;
    // The client emits a bare 'error' when it cannot rejoin its group after a failed heartbeat
    // (e.g. the broker is down during a rebalance). Unheard, Node throws it and the process dies —
    // found by the cluster chaos test. Heard: end this round; `run` starts a new consumer (with
    // backoff while the broker stays away). The round's in-flight work is finished and committed
    // first, as at any end of the stream.
    let lostGroup = false;
    consumer.on('error', (err: unknown) => {
      this.opts.log.warn({ topic: this.topic, group: this.group, err }, 'kafka consumer lost its group; rejoining');
      lostGroup = true;
      const stream = this.stream;
      if (stream) void closeQuietly(() => stream.close());
    });
    try {
      const stream = await consumer.consume({
        topics: [this.topic],
        autocommit: false,
        mode: 'committed',
        fallbackMode: 'earliest',
        maxWaitTime: 200,
        highWaterMark: Math.max(2, this.concurrency * 2),
      });
      this.stream = stream;
      this.opts.log.info({ topic: this.topic, group: this.group }, 'kafka consumer joined');
      for await (const message of stream as AsyncIterable<Msg>) {
        if (this.stopping || lostGroup) break;
        while (this.running.size >= this.concurrency) await Promise.race(this.running);
        const window = windows.get(message.partition) ?? [];
        windows.set(message.partition, window);
        const slot = { message, done: false };
        window.push(slot);
        const p = this.deliver(message).then((handled) => {
          if (!handled) return;
          slot.done = true;
          this.commit(window);
        });
        this.running.add(p);
        void p.finally(() => this.running.delete(p));
      }
    } finally {
      await Promise.all(this.running);
      for (const w of windows.values()) this.commit(w);
      this.stream = undefined;
      this.consumer = undefined;
      await closeQuietly(() => consumer.close(true));
    }
  }

  /** Commits the last message of the partition's done prefix (its commit stores offset + 1). */
  private commit(window: Array<{ message: Msg; done: boolean }>): void {
    let last: Msg | undefined;
    while (window.length > 0 && window[0]!.done) last = window.shift()!.message;
    if (!last) return;
    const result = last.commit((err) => {
      if (err) this.opts.log.debug({ topic: this.topic, err }, 'offset commit failed; the message may be redelivered');
    });
    if (result instanceof Promise) result.catch(() => {});
  }

  private deliver(m: Msg): Promise<boolean> {
    const headers: Record<string, string> = {};
    for (const [k, v] of m.headers) headers[k.toString()] = v.toString();
    const message = { topic: m.topic, key: m.key?.toString() ?? '', value: m.value ?? Buffer.alloc(0), headers, offset: `${m.partition}:${m.offset}` };
    return deliverUntilHandled(this.handler, message, {
      baseMs: this.opts.retryBaseMs ?? 200,
      maxMs: this.opts.retryMaxMs ?? 10_000,
      stop: this.stopSignal.signal,
    });
  }

  /** Lag on the partitions assigned to this member (unassigned ones report -1 and are skipped). */
  async lag(): Promise<number | undefined> {
    const consumer = this.consumer;
    if (!consumer) return undefined;
    const offsets = await consumer.getLag({ topics: [this.topic] });
    let total = 0n;
    for (const l of offsets.get(this.topic) ?? []) if (l > 0n) total += l;
    return Number(total);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    // Ends the stream so the consume loop finishes its in-flight work, commits it, then leaves the group.
    const stream = this.stream;
    if (stream) await closeQuietly(() => stream.close());
    await this.loop;
  }
}
