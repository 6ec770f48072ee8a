/**
 * Outbox relay benchmark: how fast the relay drains a backlog, and how soon an event inserted on
 * an idle system is published — in embedded mode (SQLite outbox + SQLite log bus) and in cluster
 * mode (MongoDB-protocol outbox on FerretDB + Kafka), with the real adapters and the real relay.
 *
 *   npm run -s bench:outbox [-- --events N] [--batch B | --batches 1,100,500,2000] [--cluster-events N]
 *                             [--latency-events L] [--modes embedded,cluster,hybrid] [--profile] [--json]
 *
 * 1. Throughput. For each mode and batch size, on a fresh outbox: insert N events (timed on their
 *    own: inserts/s; embedded one at a time, as the API does; cluster with `INSERT_CONCURRENCY`
 *    inserts in flight, as concurrent API requests would), then `startRelay` with the product's
 *    timing (`loopTiming`, `retryPolicy`, `retention` from `loadConfig()`) and measure the wall time
 *    from the start of the relay until the relay has marked the last event `sent` (its observer's
 *    `delivered` callback, which fires after publish and markSent). events/s = N / that time.
 *    Without `--batch` a few batch sizes are run side by side; batch sizes under 100 run on at most
 *    `--small-batch-events` events (one round per event would take minutes on N), and cluster runs
 *    on at most `--cluster-events` (default 5000: on FerretDB v1 a claim and a mark each scan the
 *    backlog, so a run's cost grows with its square; see bench/README.md).
 *    `--modes hybrid` (a diagnostic) relays the SQLite outbox to Kafka: the relay and Kafka without
 *    the MongoDB-protocol server.
 *    Per round, the time spent in `claimDue`, the bus `publish` and `markSent` is summed (thin timing
 *    wrappers around the real adapters), and `--profile` adds the MongoDB driver's per-command
 *    counts and durations (command monitoring).
 *    Correctness, checked after every run: the outbox holds N `sent`, 0 `new`, 0 `dead`, and the
 *    topic received exactly the N inserted event ids, each once (embedded: the log's rows for the
 *    topic; cluster: the topic's end offsets before and after the run, and every message between
 *    them read back with a consumer).
 * 2. Latency on an idle system. A fresh outbox, the relay running with the default batch size and
 *    timing, a subscriber in a fresh consumer group on the topic. After the relay has idled for a
 *    second, L events are inserted one at a time at random intervals of 50–400 ms. Latency of an
 *    event = subscriber arrival time − the time just before its insert began (so it includes the
 *    insert itself). Embedded pokes the relay after each insert (as the API does, `onAccepted`);
 *    cluster does not (the API is another process). Also reported: insert → marked `sent`.
 *
 * Exit status: 0 unless a correctness check failed (missing, duplicate or unexpected messages, or
 * events not `sent`), then 1. Timings never fail the run. `--json` prints exactly one JSON object
 * on stdout; logs and progress go to stderr.
 *
 * Cluster mode uses MONGO_URI (default mongodb://127.0.0.1:27017), database `bench_main_db`
 * (dropped at the end; never `main_db`), and KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092),
 * topic `bench_outbox_events` (truncated before the latency phase so a fresh group starts at its
 * end). Start the servers with `bash scripts/infra/up.sh`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Consumer } from '@platformatic/kafka';
import { Command, InvalidArgumentError } from 'commander';
import { MongoClient, type Db } from 'mongodb';
import pino, { type Logger } from 'pino';
import { loadConfig, type Config } from '../src/core/config.js';
import { videoSubmitted, type NewOutboxEvent, type OutboxEvent } from '../src/core/job.js';
import { newTraceparent } from '../src/core/trace.js';
import { loopTiming, retention, retryPolicy } from '../src/modes/settings.js';
import { startRelay } from '../src/stages/relay/index.js';
import { openDatabase, type SqliteDatabase } from '../src/adapters/sqlite/database.js';
import { sqliteOutboxDatabase } from '../src/adapters/sqlite/outbox-database.js';
import { SqliteLogBus } from '../src/adapters/bus/sqlite-log.js';
import { MongoOutboxCollections } from '../src/adapters/mongo/outbox-collections.js';
import { mongoOutboxDatabase } from '../src/adapters/mongo/outbox-database.js';
import { KafkaBus } from '../src/adapters/bus/kafka.js';
import type { OutboxDatabase } from '../src/ports/outbox-database.js';
import type { JobsOutbox } from '../src/ports/jobs-outbox.js';
import type { Publisher } from '../src/ports/bus-publisher.js';
import type { Subscriber } from '../src/ports/bus-subscriber.js';

const TOPIC = 'bench_outbox_events';
const MONGO_DB = 'bench_main_db';
const DEFAULT_BATCHES = [1, 100, 500, 2000];
const INSERT_CONCURRENCY = 16;
const TARGET_EVENTS_PER_S = 5000;
const TARGET_MEDIAN_MS = 100;
/**
 * A run is stuck, stops and counts as a correctness failure when the relay makes no progress (no
 * claim that found events, no publish, no markSent) for STALL_MS while no such call is under way,
 * or when one call has been under way for CALL_STALL_MS (on FerretDB one markSent of 2000 events
 * can take minutes).
 */
const STALL_MS = 60_000;
const CALL_STALL_MS = 15 * 60_000;
const LATENCY_GAP_MS: [number, number] = [50, 400];
const IDLE_BEFORE_LATENCY_MS = 1000;

/** `hybrid` (diagnostic, opt-in): the SQLite outbox relayed to Kafka. */
type Mode = 'embedded' | 'cluster' | 'hybrid';

interface Options {
  events: number;
  clusterEvents: number;
  smallBatchEvents: number;
  batches: number[];
  latencyEvents: number;
  modes: Mode[];
  profile: boolean;
  json: boolean;
}

interface StageTime {
  calls: number;
  ms: number;
}

interface ThroughputResult {
  mode: Mode;
  batch: number;
  events: number;
  insert_concurrency: number;
  insert_s: number;
  inserts_per_s: number;
  relay_s: number;
  events_per_s: number;
  /** Relay rounds that delivered something. */
  rounds: number;
  /** Summed over the run: time inside the store's claimDue / the bus's publish / the store's markSent. */
  claim_ms: number;
  publish_ms: number;
  mark_ms: number;
  /** --profile, cluster: MongoDB commands of the relay run (name → count, total ms). */
  mongo_commands?: Record<string, StageTime>;
  ok: boolean;
  problems: string[];
}

interface LatencyResult {
  mode: Mode;
  events: number;
  poke: boolean;
  /** What the latency is measured to. */
  measured_to: string;
  median_ms: number;
  p95_ms: number;
  max_ms: number;
  /** Insert → the relay marked it `sent` (after publishing). */
  sent_median_ms: number;
  sent_p95_ms: number;
  sent_max_ms: number;
  ok: boolean;
  problems: string[];
}

// ---------------------------------------------------------------------------------------------
// Arguments, logging
// ---------------------------------------------------------------------------------------------

function parseArgs(argv: string[]): Options {
  const positiveInt = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  };
  const batchList = (v: string): number[] => v.split(',').map((s) => positiveInt(s.trim()));
  const modeList = (v: string): Mode[] =>
    v.split(',').map((s) => {
      const m = s.trim();
      if (m !== 'embedded' && m !== 'cluster' && m !== 'hybrid') throw new InvalidArgumentError('modes are embedded, cluster and hybrid');
      return m;
    });
  const program = new Command('outbox-bench')
    .description('Outbox relay throughput (backlog drain) and idle insert→publish latency, embedded and cluster mode')
    .option('--events <n>', 'events per throughput run', positiveInt, 20_000)
    .option('--batch <b>', 'relay batch size (one throughput run per mode); default: a table of several', positiveInt)
    .option('--batches <list>', 'batch sizes of the table', batchList)
    .option(
      '--cluster-events <n>',
      'cap on events per cluster throughput run (FerretDB slows down with the outbox size; see bench/README.md)',
      positiveInt,
      5000,
    )
    .option('--small-batch-events <n>', 'events per run for batch sizes under 100', positiveInt, 200)
    .option('--latency-events <n>', 'events inserted one at a time for the latency phase (0 skips it)', (v) => (v === '0' ? 0 : positiveInt(v)), 100)
    .option('--modes <list>', 'embedded, cluster (default: both); hybrid = SQLite outbox → Kafka, a diagnostic', modeList, ['embedded', 'cluster'] as Mode[])
    .option('--profile', 'cluster: per-command MongoDB counts and durations of each throughput run', false)
    .option('--json', 'print one JSON object on stdout, nothing else', false)
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
    .parse(argv);
  const o = program.opts<{
    events: number;
    batch?: number;
    batches?: number[];
    clusterEvents: number;
    smallBatchEvents: number;
    latencyEvents: number;
    modes: Mode[];
    profile: boolean;
    json: boolean;
  }>();
  const config = loadConfig(process.env);
  const batches = o.batch !== undefined ? [o.batch] : (o.batches ?? [...new Set([...DEFAULT_BATCHES, config.relayBatchSize])].sort((a, b) => a - b));
  return {
    events: o.events,
    clusterEvents: o.clusterEvents,
    smallBatchEvents: o.smallBatchEvents,
    batches,
    latencyEvents: o.latencyEvents,
    modes: [...new Set(o.modes)],
    profile: o.profile,
    json: o.json,
  };
}

function note(msg: string): void {
  process.stderr.write(`[outbox-bench] ${msg}\n`);
}

const round = (v: number, digits = 1): number => Math.round(v * 10 ** digits) / 10 ** digits;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function benchEvent(): NewOutboxEvent {
  const id = randomUUID();
  return videoSubmitted(id, { bucket: 'framewise', object: `input/${id}.mp4`, media_type: 'video/mp4' }, TOPIC, newTraceparent());
}

// ---------------------------------------------------------------------------------------------
// The two modes: a fresh outbox per run, a bus, and a way to read back what reached the topic
// ---------------------------------------------------------------------------------------------

/** Where the topic stood before a run (embedded: last log row id; cluster: end offset per partition). */
type Mark = number | bigint[];

interface Fixture {
  outbox: OutboxDatabase;
  bus: Publisher & Subscriber;
  /** The event keys the topic received after `mark`, in no particular order, duplicates kept. */
  keysSince(mark: Mark): Promise<string[]>;
  mark(): Promise<Mark>;
  close(): Promise<void>;
}

interface ModeSetup {
  mode: Mode;
  insertConcurrency: number;
  /** Whether the inserting side can wake the relay (embedded: the API pokes it; cluster: another process). */
  pokes: boolean;
  fresh(): Promise<Fixture>;
  /** A bus to subscribe with, independent of the relay's (closed with the returned function). */
  subscriberBus(): Promise<{ bus: Subscriber & Publisher; close(): Promise<void> }>;
  /** Empties the topic so a new consumer group starts at its end (cluster). */
  truncateTopic(): Promise<void>;
  commandStats?: Map<string, StageTime>;
  close(): Promise<void>;
}

function embeddedSetup(): ModeSetup {
  const dirs: string[] = [];
  let current: { db: SqliteDatabase; bus: SqliteLogBus } | undefined;
  return {
    mode: 'embedded',
    insertConcurrency: 1,
    pokes: true,
    async fresh() {
      const dir = await mkdtemp(join(tmpdir(), 'framewise-outbox-bench-'));
      dirs.push(dir);
      const db = openDatabase(join(dir, 'framewise.db'));
      const outbox = sqliteOutboxDatabase(db);
      const bus = new SqliteLogBus(db);
      current = { db, bus };
      const lastId = db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM bus_messages WHERE topic = ?');
      const keys = db.prepare('SELECT key FROM bus_messages WHERE topic = ? AND id > ?');
      return {
        outbox,
        bus,
        mark: async () => (lastId.get(TOPIC) as { id: number }).id,
        keysSince: async (mark) => (keys.all(TOPIC, mark as number) as Array<{ key: string }>).map((r) => r.key),
        async close() {
          await bus.close();
          db.close();
          current = undefined;
        },
      };
    },
    // One process owns the database: the subscriber is the same bus (its own consumer group).
    async subscriberBus() {
      if (!current) throw new Error('no embedded fixture open');
      return { bus: current.bus, close: async () => {} };
    },
    async truncateTopic() {},
    async close() {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}

/** The Kafka side of cluster (and hybrid) mode: the relay's bus, offsets, read-back, a subscriber. */
interface KafkaSide {
  bus: KafkaBus;
  mark(): Promise<bigint[]>;
  keysSince(mark: Mark): Promise<string[]>;
  subscriberBus(): Promise<{ bus: Subscriber & Publisher; close(): Promise<void> }>;
  truncateTopic(): Promise<void>;
  close(): Promise<void>;
}

async function kafkaSide(config: Config, log: Logger): Promise<KafkaSide> {
  const brokers = (process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const kafkaLog = log.child({ component: 'kafka' });
  const bus = new KafkaBus({ brokers, clientId: 'framewise-outbox-bench', log: kafkaLog, partitions: config.kafkaPartitions });
  try {
    await bus.ensureTopics([TOPIC]);
    // Connect the producer (and get its idempotent producer id) outside any timing.
    await bus.publish(TOPIC, [{ key: 'bench-warmup', value: Buffer.from('{}') }]);
  } catch (err) {
    await bus.close();
    throw new Error(`Kafka at ${brokers.join(',')} is not reachable (start it with: bash scripts/infra/up.sh): ${String(err)}`);
  }
  // Reads end offsets (no group join needed) and, per run, the messages between two marks.
  const offsetsReader = new Consumer({
    clientId: 'framewise-outbox-bench-offsets',
    groupId: `bench-offsets-${randomUUID().slice(0, 8)}`,
    bootstrapBrokers: brokers,
  });
  const endOffsets = async (): Promise<bigint[]> => (await offsetsReader.listOffsets({ topics: [TOPIC] })).get(TOPIC) ?? [];
  const groups: string[] = [];

  const readRange = async (from: bigint[], to: bigint[]): Promise<string[]> => {
    const wanted = to.reduce((n, end, p) => n + Number(end - (from[p] ?? 0n)), 0);
    if (wanted === 0) return [];
    const groupId = `bench-verify-${randomUUID().slice(0, 8)}`;
    groups.push(groupId);
    const consumer = new Consumer({
      clientId: 'framewise-outbox-bench-verify',
      groupId,
      bootstrapBrokers: brokers,
      sessionTimeout: 20_000,
      heartbeatInterval: 2_000,
    });
    const keys: string[] = [];
    try {
      const stream = await consumer.consume({
        topics: [TOPIC],
        autocommit: false,
        mode: 'manual',
        offsets: to.map((_, partition) => ({ topic: TOPIC, partition, offset: from[partition] ?? 0n })),
        maxWaitTime: 200,
      });
      const timer = setTimeout(() => void stream.close(), 120_000);
      try {
        for await (const m of stream) {
          if (m.offset < (to[m.partition] ?? 0n)) keys.push(m.key?.toString() ?? '');
          if (keys.length >= wanted) break;
        }
      } finally {
        clearTimeout(timer);
        await stream.close().catch(() => {});
      }
    } finally {
      await consumer.close().catch(() => {});
    }
    return keys;
  };

  const admin = () => new Admin({ clientId: 'framewise-outbox-bench-admin', bootstrapBrokers: brokers });
  return {
    bus,
    mark: endOffsets,
    keysSince: async (mark) => readRange(mark as bigint[], await endOffsets()),
    async subscriberBus() {
      const sub = new KafkaBus({ brokers, clientId: 'framewise-outbox-bench-sub', log: kafkaLog, partitions: config.kafkaPartitions });
      return { bus: sub, close: () => sub.close() };
    },
    async truncateTopic() {
      const ends = await endOffsets();
      const a = admin();
      try {
        await a.deleteRecords({ topics: [{ name: TOPIC, partitions: ends.map((offset, partition) => ({ partition, offset })) }] });
      } finally {
        await a.close();
      }
    },
    async close() {
      await bus.close();
      await offsetsReader.close().catch(() => {});
      if (groups.length > 0) {
        const a = admin();
        await a.deleteGroups({ groups }).catch(() => {});
        await a.close().catch(() => {});
      }
    },
  };
}

async function clusterSetup(config: Config, log: Logger, profile: boolean): Promise<ModeSetup> {
  const mongoUri = process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017';
  if ((MONGO_DB as string) === 'main_db') throw new Error('refusing to use main_db');
  const commandStats = new Map<string, StageTime>();
  const client = new MongoClient(mongoUri, { serverSelectionTimeoutMS: 10_000, appName: 'framewise-outbox-bench', monitorCommands: profile });
  if (profile) {
    client.on('commandSucceeded', (e) => {
      const s = commandStats.get(e.commandName) ?? { calls: 0, ms: 0 };
      s.calls++;
      s.ms += e.duration;
      commandStats.set(e.commandName, s);
    });
  }
  try {
    await client.connect();
    await client.db(MONGO_DB).command({ ping: 1 });
  } catch (err) {
    await client.close().catch(() => {});
    throw new Error(`MongoDB at ${mongoUri} is not reachable (start it with: bash scripts/infra/up.sh): ${String(err)}`);
  }
  const db: Db = client.db(MONGO_DB);
  let kafka: KafkaSide;
  try {
    kafka = await kafkaSide(config, log);
  } catch (err) {
    await client.close();
    throw err;
  }
  return {
    mode: 'cluster',
    insertConcurrency: INSERT_CONCURRENCY,
    pokes: false,
    commandStats: profile ? commandStats : undefined,
    async fresh() {
      for (const c of ['outbox', 'outbox_sent', 'outbox_leases'])
        await db
          .collection(c)
          .drop()
          .catch(() => {});
      const collections = new MongoOutboxCollections(db);
      await collections.ensureIndexes();
      const outbox = mongoOutboxDatabase(collections);
      return { outbox, bus: kafka.bus, mark: kafka.mark, keysSince: kafka.keysSince, close: async () => {} };
    },
    subscriberBus: kafka.subscriberBus,
    truncateTopic: kafka.truncateTopic,
    async close() {
      await kafka.close();
      await db.dropDatabase().catch((err: unknown) => note(`dropping ${MONGO_DB} failed: ${String(err)}`));
      await client.close();
    },
  };
}

/**
 * Diagnostic (opt-in): embedded mode's SQLite outbox relayed to Kafka, so the relay and Kafka are
 * measured without the MongoDB-protocol server.
 */
async function hybridSetup(config: Config, log: Logger): Promise<ModeSetup> {
  const sqlite = embeddedSetup();
  const kafka = await kafkaSide(config, log);
  return {
    mode: 'hybrid',
    insertConcurrency: 1,
    pokes: true,
    async fresh() {
      const fx = await sqlite.fresh();
      return { outbox: fx.outbox, bus: kafka.bus, mark: kafka.mark, keysSince: kafka.keysSince, close: fx.close };
    },
    subscriberBus: kafka.subscriberBus,
    truncateTopic: kafka.truncateTopic,
    async close() {
      await kafka.close();
      await sqlite.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Timing wrappers: the real adapters, with the time spent in the relay's three steps summed
// ---------------------------------------------------------------------------------------------

interface CallHooks {
  start(): void;
  end(name: string, result: unknown): void;
}

function timeMethods<T extends object>(target: T, names: ReadonlyArray<keyof T>, into: Record<string, StageTime>, hooks: CallHooks): T {
  return new Proxy(target, {
    get(t, prop, receiver) {
      const value = Reflect.get(t, prop, receiver) as unknown;
      if (typeof value !== 'function' || !names.includes(prop as keyof T)) return typeof value === 'function' ? value.bind(t) : value;
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        const start = performance.now();
        hooks.start();
        let result: unknown;
        try {
          result = await fn.apply(t, args);
          return result;
        } finally {
          hooks.end(String(prop), result);
          const s = (into[String(prop)] ??= { calls: 0, ms: 0 });
          s.calls++;
          s.ms += performance.now() - start;
        }
      };
    },
  });
}

function relayDeps(
  config: Config,
  log: Logger,
  outbox: OutboxDatabase,
  bus: Publisher,
  batchSize: number,
  observer: { delivered(items: readonly OutboxEvent[], at: Date): void },
) {
  return {
    jobsOutbox: outbox.jobsOutbox,
    jobsDeadLetters: outbox.jobsDeadLetters,
    bus,
    log: log.child({ stage: 'relay' }),
    batchSize,
    owner: `relay@${hostname()}:${process.pid}:bench`,
    leaseMs: config.claimLeaseMs,
    retry: retryPolicy(config),
    observer,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: throughput
// ---------------------------------------------------------------------------------------------

async function insertAll(outbox: JobsOutbox, events: readonly NewOutboxEvent[], concurrency: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < events.length) await outbox.insert(events[next++]!);
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, events.length) }, worker));
  return performance.now() - start;
}

/** The problems with what reached the topic, compared with the ids inserted. */
function checkDelivery(keys: readonly string[], ids: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  const duplicates = [...seen.values()].filter((n) => n > 1).length;
  const unexpected = [...seen.keys()].filter((k) => !ids.has(k)).length;
  const missing = [...ids].filter((id) => !seen.has(id)).length;
  if (keys.length !== ids.size) problems.push(`topic received ${keys.length} messages, expected ${ids.size}`);
  if (missing) problems.push(`${missing} events missing from the topic`);
  if (duplicates) problems.push(`${duplicates} events published more than once`);
  if (unexpected) problems.push(`${unexpected} unexpected messages on the topic`);
  return problems;
}

async function throughputRun(setup: ModeSetup, config: Config, log: Logger, batch: number, n: number): Promise<ThroughputResult> {
  const fx = await setup.fresh();
  try {
    const events = Array.from({ length: n }, benchEvent);
    const ids = new Set(events.map((e) => e._id));
    const insertMs = await insertAll(fx.outbox.jobsOutbox, events, setup.insertConcurrency);
    const mark = await fx.mark();

    const stages: Record<string, StageTime> = {};
    let lastProgress = performance.now();
    let inFlight = 0;
    let callSince = 0;
    const hooks: CallHooks = {
      start() {
        if (inFlight++ === 0) callSince = performance.now();
      },
      end(name, result) {
        inFlight--;
        const found = name !== 'claimDue' || (Array.isArray(result) && result.length > 0);
        if (found) lastProgress = performance.now();
      },
    };
    const outbox = { ...fx.outbox, jobsOutbox: timeMethods(fx.outbox.jobsOutbox, ['claimDue', 'markSent'], stages, hooks) };
    const bus = timeMethods<Publisher>(fx.bus, ['publish'], stages, hooks);
    let delivered = 0;
    let rounds = 0;
    let finishedAt = 0;
    let finish!: () => void;
    const allDelivered = new Promise<void>((resolve) => (finish = resolve));
    const observer = {
      delivered(items: readonly OutboxEvent[]) {
        delivered += items.length;
        rounds++;
        if (delivered >= n && finishedAt === 0) {
          finishedAt = performance.now();
          finish();
        }
      },
    };
    setup.commandStats?.clear();
    const start = performance.now();
    const relay = startRelay(relayDeps(config, log, outbox, bus, batch, observer), loopTiming(config), retention(config));
    const watchdog = setInterval(() => {
      const now = performance.now();
      if (inFlight > 0 ? now - callSince > CALL_STALL_MS : now - lastProgress > STALL_MS) finish();
    }, 1000);
    await allDelivered;
    clearInterval(watchdog);
    await relay.stop();
    const mongoCommands = setup.commandStats
      ? Object.fromEntries([...setup.commandStats].map(([k, v]) => [k, { calls: v.calls, ms: round(v.ms) }]))
      : undefined;

    const problems: string[] = [];
    if (finishedAt === 0) problems.push(`stalled: ${delivered} of ${n} delivered when the relay stopped making progress`);
    const counts = await fx.outbox.outboxEvents.countByStatus();
    if ((counts.sent ?? 0) !== n || (counts.new ?? 0) !== 0 || (counts.dead ?? 0) !== 0) {
      problems.push(`outbox holds sent=${counts.sent ?? 0} new=${counts.new ?? 0} dead=${counts.dead ?? 0}, expected sent=${n} new=0 dead=0`);
    }
    problems.push(...checkDelivery(await fx.keysSince(mark), ids));
    const relayMs = (finishedAt || performance.now()) - start;
    return {
      mode: setup.mode,
      batch,
      events: n,
      insert_concurrency: setup.insertConcurrency,
      insert_s: round(insertMs / 1000, 3),
      inserts_per_s: Math.round(n / (insertMs / 1000)),
      relay_s: round(relayMs / 1000, 3),
      events_per_s: Math.round(n / (relayMs / 1000)),
      rounds,
      claim_ms: round(stages.claimDue?.ms ?? 0),
      publish_ms: round(stages.publish?.ms ?? 0),
      mark_ms: round(stages.markSent?.ms ?? 0),
      ...(mongoCommands ? { mongo_commands: mongoCommands } : {}),
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await fx.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: latency on an idle system
// ---------------------------------------------------------------------------------------------

async function latencyRun(setup: ModeSetup, config: Config, log: Logger, count: number): Promise<LatencyResult> {
  await setup.truncateTopic();
  const fx = await setup.fresh();
  const sub = await setup.subscriberBus();
  try {
    const insertedAt = new Map<string, number>();
    const arrivals = new Map<string, number[]>();
    const sentAt = new Map<string, number>();
    let sentinelSeen!: () => void;
    const sentinel = new Promise<void>((resolve) => (sentinelSeen = resolve));
    const sentinelKey = `bench-sentinel-${randomUUID()}`;
    await sub.bus.subscribe(
      TOPIC,
      async (m) => {
        const now = performance.now();
        if (m.key === sentinelKey) sentinelSeen();
        arrivals.set(m.key, [...(arrivals.get(m.key) ?? []), now]);
      },
      { group: `bench-latency-${randomUUID().slice(0, 8)}`, concurrency: 16 },
    );
    // The subscriber is ready once a message published now reaches it (a Kafka group join takes a moment).
    await sub.bus.publish(TOPIC, [{ key: sentinelKey, value: Buffer.from('{}') }]);
    await Promise.race([sentinel, sleep(60_000).then(() => Promise.reject(new Error('the latency subscriber never received its first message')))]);

    const observer = {
      delivered(items: readonly OutboxEvent[]) {
        const now = performance.now();
        for (const e of items) if (!sentAt.has(e._id)) sentAt.set(e._id, now);
      },
    };
    const relay = startRelay(relayDeps(config, log, fx.outbox, fx.bus, config.relayBatchSize, observer), loopTiming(config), retention(config));
    await sleep(IDLE_BEFORE_LATENCY_MS); // idle: the poll loop has backed off to its longest wait
    for (let i = 0; i < count; i++) {
      await sleep(LATENCY_GAP_MS[0] + Math.random() * (LATENCY_GAP_MS[1] - LATENCY_GAP_MS[0]));
      const e = benchEvent();
      insertedAt.set(e._id, performance.now());
      await fx.outbox.jobsOutbox.insert(e);
      if (setup.pokes) relay.poke();
    }
    const deadline = performance.now() + 15_000;
    while (performance.now() < deadline && [...insertedAt.keys()].some((id) => !arrivals.has(id))) await sleep(20);
    await sleep(200); // late duplicates
    await relay.stop();

    const problems: string[] = [];
    const latencies: number[] = [];
    const toSent: number[] = [];
    let missing = 0;
    let duplicates = 0;
    for (const [id, t0] of insertedAt) {
      const seen = arrivals.get(id);
      if (!seen) missing++;
      else {
        if (seen.length > 1) duplicates++;
        latencies.push(seen[0]! - t0);
      }
      const s = sentAt.get(id);
      if (s !== undefined) toSent.push(s - t0);
    }
    if (missing) problems.push(`${missing} of ${count} events never reached the subscriber`);
    if (duplicates) problems.push(`${duplicates} events reached the subscriber more than once`);
    const counts = await fx.outbox.outboxEvents.countByStatus();
    if ((counts.sent ?? 0) !== count || (counts.new ?? 0) !== 0)
      problems.push(`outbox holds sent=${counts.sent ?? 0} new=${counts.new ?? 0}, expected sent=${count} new=0`);
    latencies.sort((a, b) => a - b);
    toSent.sort((a, b) => a - b);
    return {
      mode: setup.mode,
      events: count,
      poke: setup.pokes,
      measured_to: setup.mode === 'embedded' ? 'SQLite log bus subscription arrival' : 'Kafka subscription arrival (KafkaBus consumer in this process)',
      median_ms: round(median(latencies)),
      p95_ms: round(percentile(latencies, 0.95)),
      max_ms: round(latencies.at(-1) ?? Number.NaN),
      sent_median_ms: round(median(toSent)),
      sent_p95_ms: round(percentile(toSent, 0.95)),
      sent_max_ms: round(toSent.at(-1) ?? Number.NaN),
      ok: problems.length === 0,
      problems,
    };
  } finally {
    await sub.close();
    await fx.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  const sep = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

function report(config: Config, throughput: ThroughputResult[], latency: LatencyResult[]): string {
  const timing = loopTiming(config);
  const out: string[] = [];
  out.push(
    `Outbox relay bench: poll ${timing.minIntervalMs} ms after work, backing off to ${timing.maxIntervalMs} ms when idle; lease ${config.claimLeaseMs} ms`,
  );
  if (throughput.length > 0) {
    out.push('');
    out.push('Throughput: drain a backlog of N new events (relay wall time until the last is marked sent)');
    out.push(
      table([
        ['mode', 'batch', 'events', 'inserts/s', 'relay s', 'events/s', 'rounds', 'claim ms/round', 'publish ms/round', 'mark ms/round', 'check'],
        ...throughput.map((t) => [
          t.mode,
          String(t.batch),
          String(t.events),
          `${t.inserts_per_s}${t.insert_concurrency > 1 ? ` (×${t.insert_concurrency})` : ''}`,
          t.relay_s.toFixed(2),
          String(t.events_per_s),
          String(t.rounds),
          (t.claim_ms / Math.max(1, t.rounds)).toFixed(1),
          (t.publish_ms / Math.max(1, t.rounds)).toFixed(1),
          (t.mark_ms / Math.max(1, t.rounds)).toFixed(1),
          t.ok ? 'ok' : 'FAILED',
        ]),
      ]),
    );
    for (const t of throughput) {
      if (t.mongo_commands) {
        const cmds = Object.entries(t.mongo_commands)
          .sort((a, b) => b[1].ms - a[1].ms)
          .map(([name, s]) => `${name} ${s.calls}× ${s.ms.toFixed(0)} ms`)
          .join(', ');
        out.push(`  ${t.mode} batch ${t.batch} MongoDB commands: ${cmds}`);
      }
    }
    for (const t of throughput.filter((r) => r.mode === 'cluster' && r.batch === config.relayBatchSize)) {
      out.push(
        `Target ≥ ${TARGET_EVENTS_PER_S} events/s relayed to Kafka (default batch ${config.relayBatchSize}): ${t.events_per_s >= TARGET_EVENTS_PER_S ? 'MET' : 'NOT MET'} (${t.events_per_s})`,
      );
    }
  }
  if (latency.length > 0) {
    out.push('');
    out.push(
      `Latency on an idle system: one insert at a time, ${LATENCY_GAP_MS[0]}–${LATENCY_GAP_MS[1]} ms apart; from just before the insert to subscriber arrival`,
    );
    out.push(
      table([
        ['mode', 'events', 'poke', 'median ms', 'p95 ms', 'max ms', 'sent median ms', 'sent p95 ms', 'sent max ms', 'check'],
        ...latency.map((l) => [
          l.mode,
          String(l.events),
          l.poke ? 'yes' : 'no',
          l.median_ms.toFixed(1),
          l.p95_ms.toFixed(1),
          l.max_ms.toFixed(1),
          l.sent_median_ms.toFixed(1),
          l.sent_p95_ms.toFixed(1),
          l.sent_max_ms.toFixed(1),
          l.ok ? 'ok' : 'FAILED',
        ]),
      ]),
    );
    for (const l of latency)
      out.push(`Target median ≤ ${TARGET_MEDIAN_MS} ms (${l.mode}): ${l.median_ms <= TARGET_MEDIAN_MS ? 'MET' : 'NOT MET'} (${l.median_ms} ms)`);
  }
  const problems = [...throughput, ...latency].flatMap((r) => r.problems.map((p) => `${r.mode}${'batch' in r ? ` batch ${r.batch}` : ' latency'}: ${p}`));
  if (problems.length > 0) out.push('', 'CORRECTNESS PROBLEMS:', ...problems.map((p) => `  ${p}`));
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const opts = parseArgs(process.argv);
  const config = loadConfig(process.env, { logLevel: process.env.FRAMEWISE_LOG_LEVEL ?? 'warn' });
  const log = pino({ level: config.logLevel }, pino.destination(2)); // stderr: stdout stays parseable
  const throughput: ThroughputResult[] = [];
  const latency: LatencyResult[] = [];
  const setups: ModeSetup[] = [];
  try {
    for (const mode of opts.modes) {
      setups.push(mode === 'embedded' ? embeddedSetup() : mode === 'cluster' ? await clusterSetup(config, log, opts.profile) : await hybridSetup(config, log));
    }
    // Batch sizes in the outer loop: the two modes run side by side, under the same machine load.
    for (const batch of opts.batches) {
      for (const setup of setups) {
        const cap = Math.min(batch < 100 ? opts.smallBatchEvents : Infinity, setup.mode === 'cluster' ? opts.clusterEvents : Infinity);
        const n = Math.min(opts.events, cap);
        note(`throughput: ${setup.mode}, batch ${batch}, ${n} events`);
        const r = await throughputRun(setup, config, log, batch, n);
        note(`  inserts ${r.inserts_per_s}/s; relayed in ${r.relay_s} s = ${r.events_per_s} events/s${r.ok ? '' : `; PROBLEMS: ${r.problems.join('; ')}`}`);
        throughput.push(r);
      }
    }
    if (opts.latencyEvents > 0) {
      for (const setup of setups) {
        note(`latency: ${setup.mode}, ${opts.latencyEvents} events one at a time`);
        const r = await latencyRun(setup, config, log, opts.latencyEvents);
        note(`  median ${r.median_ms} ms, p95 ${r.p95_ms} ms, max ${r.max_ms} ms${r.ok ? '' : `; PROBLEMS: ${r.problems.join('; ')}`}`);
        latency.push(r);
      }
    }
  } finally {
    for (const s of setups) await s.close().catch((err: unknown) => note(`cleanup of ${s.mode} failed: ${String(err)}`));
  }
  const timing = loopTiming(config);
  if (opts.json) {
    process.stdout.write(
      JSON.stringify({ throughput, latency, settings: { ...timing, relay_batch_size: config.relayBatchSize, claim_lease_ms: config.claimLeaseMs } }) + '\n',
    );
  } else {
    process.stdout.write(report(config, throughput, latency) + '\n');
  }
  return [...throughput, ...latency].every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code), // sockets or timers may linger: exit once cleaned up
  (err: unknown) => {
    process.stderr.write(`[outbox-bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
