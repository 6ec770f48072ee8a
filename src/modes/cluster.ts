import { logFfmpeg } from './ffmpeg-check.js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import { TOPICS } from '../core/topics.js';
import { KafkaBus } from '../adapters/bus/kafka.js';
import { S3ObjectStore } from '../adapters/object-store/s3.js';
import { MongoOutboxCollections } from '../adapters/mongo/outbox-collections.js';
import { mongoOutboxDatabase } from '../adapters/mongo/outbox-database.js';
import { MongoRunnerCollections } from '../adapters/mongo/runner-collections.js';
import { mongoRunnerDatabase } from '../adapters/mongo/runner-database.js';
import { apiStores } from './api-stores.js';
import { SharpFrameCodec } from '../adapters/frame-codec/sharp.js';
import { buildApi } from '../stages/api/app.js';
import { buildHealthApp } from '../observability/worker-http.js';
import { startRelay } from '../stages/relay/index.js';
import { startRunner } from '../stages/runner/index.js';
import { runnerDeps } from './runner-deps.js';
import { startInference } from '../stages/inference/index.js';
import { openDetectors } from './detectors.js';
import { startResultPublisher } from '../stages/result-publisher/index.js';
import { resultPublisherDeps } from './result-publisher-deps.js';
import { relayDeps } from './relay-deps.js';
import { notifierDeps } from './notifier-deps.js';
import { inferenceDeps } from './inference-deps.js';
import { startNotifier } from '../stages/notifier/index.js';
import { Metrics } from '../observability/metrics.js';
import { jobsBacklog, resultsBacklog } from '../observability/backlog.js';
import { apiModels, frameSource, loopTiming, rateLimits, retention, videoLimits } from './settings.js';
import { waitFor } from './wait-for.js';
import { apiAccess } from './access.js';
import { detectorCheck, mongoCheck } from './ready-checks.js';
import type { ReadyCheck } from '../observability/readiness.js';

export const CLUSTER_STAGES = ['api', 'relay', 'runner', 'inference', 'publisher'] as const;
export type ClusterStage = (typeof CLUSTER_STAGES)[number];

export interface RunningStage {
  /** The stage's HTTP address (API or health server). */
  url: string | undefined;
  close(): Promise<void>;
}

/** A name unique to this process, for claims: host, pid and a random suffix. */
const processName = (stage: string) => `${stage}@${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

/** A URI without its credentials, for logs. */
const redact = (uri: string) => uri.replace(/\/\/[^@/]*@/, '//***@');

/**
 * The cluster composition root: one stage per process, on Kafka, MongoDB and S3. Each dependency
 * is awaited with backoff (a stage may start before its servers); after start-up the clients
 * reconnect by themselves and the stages retry failed work, so an outage pauses work, never ends it.
 */
export async function startClusterStage(stage: ClusterStage, config: Config, log: Logger): Promise<RunningStage> {
  const shutdown = new AbortController();
  // Shutdown order: first what takes in work (servers, loops, consumers — they finish what they
  // hold), then the clients that work used (databases, object store, detector).
  const stoppers: Array<() => Promise<void>> = [];
  const clients: Array<() => Promise<void>> = [];
  const close = async () => {
    shutdown.abort();
    for (const c of [...stoppers.reverse(), ...clients]) await c().catch((err: unknown) => log.warn({ err }, 'error while closing'));
  };
  const signal = shutdown.signal;
  const metrics = new Metrics(stage);
  // `/ready` checks each dependency this stage opened, by name: main_db, runner_db, s3, kafka, detector.
  const readyChecks: Record<string, ReadyCheck> = {};

  const mongo = async (uri: string, db: string) => {
    const client = await waitFor(
      `MongoDB ${db} at ${redact(uri)}`,
      async () => {
        const c = new MongoClient(uri, { serverSelectionTimeoutMS: 5_000, appName: `framewise-${stage}` });
        try {
          await c.connect();
          await c.db(db).command({ ping: 1 });
          return c;
        } catch (err) {
          await c.close().catch(() => {});
          throw err;
        }
      },
      log,
      signal,
    );
    clients.push(() => client.close());
    readyChecks[db] = mongoCheck(client.db(db));
    return client.db(db);
  };
  // One collections object per database and process: its ports share it (see the adapters).
  const outboxDatabase = async () => {
    const collections = new MongoOutboxCollections(await mongo(config.mongoUri, 'main_db'));
    await waitFor('outbox indexes', () => collections.ensureIndexes(), log, signal);
    return mongoOutboxDatabase(collections);
  };
  const runnerDatabase = async () => {
    const collections = new MongoRunnerCollections(await mongo(config.runnerMongoUri ?? config.mongoUri, 'runner_db'));
    await waitFor('runner_db indexes', () => collections.ensureIndexes(), log, signal);
    return mongoRunnerDatabase(collections);
  };
  const objectStore = async () => {
    const store = new S3ObjectStore({
      endpoint: config.minioEndpoint,
      secure: config.minioSecure,
      accessKey: config.minioAccessKey,
      secretKey: config.minioSecretKey,
      region: config.s3Region,
      bucket: config.bucket,
      forcePathStyle: true,
    });
    clients.push(() => store.close());
    await waitFor(`S3 bucket ${config.bucket} at ${config.minioEndpoint || 'AWS'}`, () => store.ensureBucket(), log, signal);
    readyChecks.s3 = () => store.ping();
    return store;
  };
  const kafka = async () => {
    const bus = new KafkaBus({
      brokers: config.kafkaBootstrapServers
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
      clientId: `framewise-${stage}`,
      log: log.child({ component: 'kafka' }),
      partitions: config.kafkaPartitions,
    });
    stoppers.push(() => bus.close());
    await waitFor(`Kafka at ${config.kafkaBootstrapServers}`, () => bus.ensureTopics(Object.values(TOPICS)), log, signal);
    metrics.addLagSource(async () => (await bus.lag()).map((l) => ({ labels: { topic: l.topic, group: l.group }, value: l.lag })));
    readyChecks.kafka = () => bus.ping();
    return bus;
  };
  const listen = async (app: { listen(o: { host: string; port: number }): Promise<string>; close(): Promise<unknown> }, port: number) => {
    const url = await app.listen({ host: config.host, port });
    stoppers.push(async () => void (await app.close()));
    return url;
  };

  try {
    let url: string | undefined;
    // The stages that run ffmpeg on uploads (the API probes them, the runner decodes, the
    // publisher renders annotated videos) say which one.
    if (stage === 'api' || stage === 'runner' || stage === 'publisher') await logFfmpeg(config, log);
    switch (stage) {
      case 'api': {
        // First: an API that may not start (no keys, not on loopback) waits for no server.
        const access = apiAccess(config, log, 'cluster');
        const [outboxDb, runnerDb, objects] = await Promise.all([outboxDatabase(), runnerDatabase(), objectStore()]);
        metrics.addBacklogSource(jobsBacklog(outboxDb.outboxEvents));
        metrics.addBacklogSource(resultsBacklog(runnerDb.jobRecords, runnerDb.resultsDeadLetters));
        const probe = frameSource(config, log);
        url = await listen(
          await buildApi({
            ...apiStores(outboxDb, runnerDb),
            objects,
            log,
            maxUploadBytes: config.maxUploadBytes,
            probe: (path) => probe.probe(path),
            videoLimits: videoLimits(config),
            rateLimits: rateLimits(config),
            metrics,
            ...(config.metricsKey !== undefined ? { metricsKey: config.metricsKey } : {}),
            readyChecks,
            ...access,
            resultCacheBytes: config.resultCacheBytes,
            webhookAllowPrivate: config.webhookAllowPrivate,
            models: apiModels(config),
          }),
          config.port,
        );
        break;
      }
      case 'relay': {
        const [outboxDb, bus] = await Promise.all([outboxDatabase(), kafka()]);
        metrics.addBacklogSource(jobsBacklog(outboxDb.outboxEvents));
        const relay = startRelay(relayDeps(config, outboxDb, { bus, log, owner: processName(stage), metrics }), loopTiming(config), retention(config));
        stoppers.push(relay.stop);
        url = await listen(buildHealthApp('relay', log, metrics, { readyChecks, metricsKey: config.metricsKey }), config.relayPort);
        break;
      }
      case 'runner': {
        const [runnerDb, objects, bus] = await Promise.all([runnerDatabase(), objectStore(), kafka()]);
        const runner = await startRunner(
          await runnerDeps(config, {
            subscriber: bus,
            bus,
            objects,
            jobRecords: runnerDb.jobRecords,
            frameCollection: runnerDb.frameCollection,
            frames: frameSource(config, log),
            codec: new SharpFrameCodec(config.frameFormat, config.jpegQuality),
            log,
            signal,
            // Kafka acknowledges a frame once stored: a frame is in flight until its result is.
            pacing: 'results',
            metrics,
          }),
        );
        stoppers.push(runner.stop);
        url = await listen(buildHealthApp('runner', log, metrics, { readyChecks, metricsKey: config.metricsKey }), config.runnerPort);
        break;
      }
      case 'inference': {
        const { detectors, stats } = await openDetectors(config, log, metrics);
        clients.push(() => detectors.close());
        readyChecks.detector = detectorCheck(detectors);
        const bus = await kafka();
        await startInference(inferenceDeps(config, { bus, detectors, codec: new SharpFrameCodec(config.frameFormat, config.jpegQuality), log, metrics }));
        url = await listen(buildHealthApp('inference', log, metrics, { data: stats, readyChecks, metricsKey: config.metricsKey }), config.inferencePort);
        break;
      }
      case 'publisher': {
        // The publisher process also runs the webhook notifier: runner_db is its outbox, and
        // main_db's dead jobs-outbox events are the jobs that failed before the runner had them.
        const [runnerDb, objects, outboxDb] = await Promise.all([runnerDatabase(), objectStore(), outboxDatabase()]);
        metrics.addBacklogSource(resultsBacklog(runnerDb.jobRecords, runnerDb.resultsDeadLetters));
        const publisher = startResultPublisher(
          resultPublisherDeps(config, runnerDb, { objects, log, owner: processName(stage), metrics }),
          loopTiming(config),
          retention(config),
        );
        stoppers.push(publisher.stop);
        const notifier = startNotifier(
          notifierDeps(config, runnerDb, outboxDb, { log: log.child({ component: 'notifier' }), owner: processName('notifier'), metrics }),
          loopTiming(config),
          retention(config),
        );
        stoppers.push(notifier.stop);
        url = await listen(buildHealthApp('publisher', log, metrics, { readyChecks, metricsKey: config.metricsKey }), config.publisherPort);
        break;
      }
    }
    log.info({ stage, url }, `Framewise ${stage} ready`);
    return { url, close };
  } catch (err) {
    await close();
    throw err;
  }
}
