import { EventEmitter } from 'node:events';
import { prepared, type SqliteDatabase } from '../sqlite/database.js';
import type { Publisher } from '../../ports/bus-publisher.js';
import type { MessageHandler, SubscribeOptions, Subscriber } from '../../ports/bus-subscriber.js';
import type { BusMessage } from '../../ports/bus-message.js';
import { deliverUntilHandled } from './redelivery.js';

interface Row {
  id: number;
  key: string;
  value: Buffer;
  headers: string;
}

export interface SqliteBusOptions {
  /** How long an idle subscription waits before looking again (publishes in this process wake it at once). */
  idlePollMs?: number;
  /** Redelivery backoff after a handler rejects: base doubling up to max. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

/**
 * The embedded bus: an append-only log per topic in SQLite, with one committed offset per
 * (consumer group, topic) — Kafka's model on one partition, so it survives `kill -9` just as Kafka
 * does. Messages every group has committed are deleted. One process owns the database file.
 */
export class SqliteLogBus implements Publisher, Subscriber {
  private readonly wake = new EventEmitter().setMaxListeners(0);
  private readonly subscriptions: Subscription[] = [];
  private closed = false;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly opts: SqliteBusOptions = {},
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS bus_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        key TEXT NOT NULL,
        value BLOB NOT NULL,
        headers TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS bus_messages_topic_id ON bus_messages (topic, id);
      CREATE TABLE IF NOT EXISTS bus_offsets (
        group_id TEXT NOT NULL,
        topic TEXT NOT NULL,
        committed INTEGER NOT NULL,
        PRIMARY KEY (group_id, topic)
      );
    `);
  }

  async publish(topic: string, messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    const insert = prepared(this.db, 'INSERT INTO bus_messages (topic, key, value, headers, created_at) VALUES (?, ?, ?, ?, ?)');
    const now = Date.now();
    this.db.transaction(() => {
      for (const m of messages) insert.run(topic, m.key, m.value, JSON.stringify(m.headers ?? {}), now);
    })();
    this.wake.emit(topic);
  }

  async subscribe(topic: string, handler: MessageHandler, options: SubscribeOptions): Promise<void> {
    if (this.closed) throw new Error('bus is closed');
    if (this.subscriptions.some((s) => s.topic === topic && s.group === options.group)) {
      throw new Error(`group ${options.group} already subscribes to ${topic} in this process`);
    }
    // A group starts at the beginning of what the log still holds, as Kafka's auto.offset.reset=earliest.
    prepared(this.db, 'INSERT INTO bus_offsets (group_id, topic, committed) VALUES (?, ?, 0) ON CONFLICT DO NOTHING').run(options.group, topic);
    const sub = new Subscription(this.db, this.wake, topic, options.group, Math.max(1, options.concurrency ?? 1), handler, this.opts);
    this.subscriptions.push(sub);
    sub.start();
  }

  /** Messages not yet committed by `group` on `topic` (consumer lag). */
  lag(topic: string, group: string): number {
    const row = prepared(
      this.db,
      'SELECT COUNT(*) AS n FROM bus_messages WHERE topic = ? AND id > COALESCE((SELECT committed FROM bus_offsets WHERE group_id = ? AND topic = ?), 0)',
    ).get(topic, group, topic) as { n: number };
    return row.n;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.subscriptions.map((s) => s.stop()));
  }
}

class Subscription {
  private stopping = false;
  private loop: Promise<void> | undefined;
  /** Fetched, not yet committed, in offset order; `done` once the handler resolved. */
  private readonly window: Array<{ id: number; done: boolean }> = [];
  private readonly running = new Set<Promise<void>>();
  private fetchedUpTo: number;
  private stopSignal = new AbortController();

  constructor(
    private readonly db: SqliteDatabase,
    private readonly wake: EventEmitter,
    readonly topic: string,
    readonly group: string,
    private readonly concurrency: number,
    private readonly handler: MessageHandler,
    private readonly opts: SqliteBusOptions,
  ) {
    this.fetchedUpTo = this.committed();
  }

  private committed(): number {
    const row = prepared(this.db, 'SELECT committed FROM bus_offsets WHERE group_id = ? AND topic = ?').get(this.group, this.topic) as
      { committed: number } | undefined;
    return row?.committed ?? 0;
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const fetch = prepared(this.db, 'SELECT id, key, value, headers FROM bus_messages WHERE topic = ? AND id > ? ORDER BY id LIMIT ?');
    while (!this.stopping) {
      const free = this.concurrency - this.running.size;
      const rows = free > 0 ? (fetch.all(this.topic, this.fetchedUpTo, free) as Row[]) : [];
      for (const row of rows) {
        this.fetchedUpTo = row.id;
        const slot = { id: row.id, done: false };
        this.window.push(slot);
        const p = this.deliver(row).then((handled) => {
          if (!handled) return; // abandoned at stop: stays uncommitted, redelivered after restart
          slot.done = true;
          this.commit();
        });
        this.running.add(p);
        void p.finally(() => this.running.delete(p));
      }
      if (rows.length === 0 || this.running.size >= this.concurrency) await this.waitForWork();
    }
    await Promise.all(this.running);
    this.commit();
  }

  /** Resolves when a handler finished, a publish to this topic happened, the poll interval passed, or stop. */
  private async waitForWork(): Promise<void> {
    const signal = this.stopSignal.signal;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.off(this.topic, done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, this.opts.idlePollMs ?? 250);
      this.wake.on(this.topic, done);
      signal.addEventListener('abort', done);
      if (this.running.size >= this.concurrency) void Promise.race(this.running).then(done, done);
    });
  }

  private deliver(row: Row): Promise<boolean> {
    const message = { topic: this.topic, key: row.key, value: row.value, headers: JSON.parse(row.headers) as Record<string, string>, offset: String(row.id) };
    return deliverUntilHandled(this.handler, message, {
      baseMs: this.opts.retryBaseMs ?? 200,
      maxMs: this.opts.retryMaxMs ?? 10_000,
      stop: this.stopSignal.signal,
    });
  }

  /** Commits the highest offset below which every fetched message is done; trims the log. */
  private commit(): void {
    let upTo: number | undefined;
    while (this.window.length > 0 && this.window[0]!.done) upTo = this.window.shift()!.id;
    if (upTo === undefined) return;
    prepared(this.db, 'UPDATE bus_offsets SET committed = ? WHERE group_id = ? AND topic = ? AND committed < ?').run(upTo, this.group, this.topic, upTo);
    prepared(this.db, 'DELETE FROM bus_messages WHERE topic = ? AND id <= (SELECT MIN(committed) FROM bus_offsets WHERE topic = ?)').run(
      this.topic,
      this.topic,
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    await this.loop;
  }
}
