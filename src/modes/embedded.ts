import { logFfmpeg } from './ffmpeg-check.js';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { Detector } from '../ports/detector.js';
import { openDatabase } from '../adapters/sqlite/database.js';
import { sqliteOutboxDatabase } from '../adapters/sqlite/outbox-database.js';
import { sqliteRunnerDatabase } from '../adapters/sqlite/runner-database.js';
import { SqliteLogBus } from '../adapters/bus/sqlite-log.js';
import { MemoryBus } from '../adapters/bus/memory.js';
import { RoutedBus } from '../adapters/bus/routed.js';
import { LocalDirObjectStore } from '../adapters/object-store/local-dir.js';
import { SharpFrameCodec } from '../adapters/frame-codec/sharp.js';
import { buildApi, type Api } from '../stages/api/app.js';
import { startRelay } from '../stages/relay/index.js';
import { startRunner } from '../stages/runner/index.js';
import { runnerDeps } from './runner-deps.js';
import { apiStores } from './api-stores.js';
import { startInference } from '../stages/inference/index.js';
import { startResultPublisher } from '../stages/result-publisher/index.js';
import { resultPublisherDeps } from './result-publisher-deps.js';
import { relayDeps } from './relay-deps.js';
import { notifierDeps } from './notifier-deps.js';
import { inferenceDeps } from './inference-deps.js';
import { startNotifier } from '../stages/notifier/index.js';
import { openDetectors } from './detectors.js';
import { Metrics } from '../observability/metrics.js';
import { jobsBacklog, resultsBacklog } from '../observability/backlog.js';
import { GROUPS, TOPICS } from '../core/topics.js';
import { detectorCheck, sqliteCheck } from './ready-checks.js';
import { apiAccess } from './access.js';
import { apiModels, frameSource, loopTiming, rateLimits, retention, videoLimits } from './settings.js';

export interface EmbeddedService {
  api: Api;
  /** Where the API listens, e.g. `http://127.0.0.1:8080`. */
  url: string;
  close(): Promise<void>;
}

/**
 * The embedded composition root: every stage in this process, on SQLite (jobs, outbox and bus),
 * a directory of files (objects) and the bundled detector. Nothing else to install.
 */
export async function startEmbedded(config: Config, log: Logger, injected: { detector?: Detector } = {}): Promise<EmbeddedService> {
  // First: an API that may not start (no keys, not on loopback) opens nothing.
  const access = apiAccess(config, log, 'embedded');
  const dataDir = resolve(config.dataDir);
  const db = openDatabase(join(dataDir, 'framewise.db'));
  // Both databases' ports on the one SQLite database: each port's adapter shares its tables.
  const outboxDb = sqliteOutboxDatabase(db);
  const runnerDb = sqliteRunnerDatabase(db);
  const durableBus = new SqliteLogBus(db);
  // Frames and their detections are derived data: they travel in memory (no encoding, no disk,
  // no transaction per frame) and are made again after a crash, because a job's event is only
  // acknowledged once every frame's publish has resolved — on this bus, once the frame's result
  // is stored by the collector. Everything else goes through the durable log.
  const frameBus = new MemoryBus();
  const transient = new Set<string>([TOPICS.inferenceTasks, TOPICS.inferenceResults]);
  const bus = new RoutedBus({ [TOPICS.inferenceTasks]: frameBus, [TOPICS.inferenceResults]: frameBus }, durableBus);
  const objects = new LocalDirObjectStore(join(dataDir, 'objects'), config.bucket);
  const frames = frameSource(config, log);
  // Raw frames: on the in-memory bus an encoding only costs CPU.
  const codec = new SharpFrameCodec('raw');
  const metrics = new Metrics('embedded');
  const { detectors } = await openDetectors(config, log.child({ stage: 'inference' }), metrics, injected.detector);
  const timing = loopTiming(config);
  const shutdown = new AbortController();
  metrics.addBacklogSource(jobsBacklog(outboxDb.outboxEvents));
  metrics.addBacklogSource(resultsBacklog(runnerDb.jobRecords, runnerDb.resultsDeadLetters));
  const consumers = [
    [TOPICS.outboxEvents, GROUPS.runner],
    [TOPICS.videoSegments, GROUPS.segmentRunner],
    [TOPICS.inferenceTasks, GROUPS.inference],
    [TOPICS.inferenceResults, GROUPS.collector],
  ] as const;
  metrics.addLagSource(async () =>
    consumers.map(([topic, group]) => ({ labels: { topic, group }, value: transient.has(topic) ? frameBus.lag(topic, group) : durableBus.lag(topic, group) })),
  );

  // One process owns the data directory: a stable owner name lets a restart re-claim at once.
  const owner = 'embedded';
  const relay = startRelay(relayDeps(config, outboxDb, { bus, log: log.child({ stage: 'relay' }), owner, metrics }), timing, retention(config));
  const publisher = startResultPublisher(
    resultPublisherDeps(config, runnerDb, { objects, log: log.child({ stage: 'publisher' }), owner, metrics }),
    timing,
    retention(config),
  );
  const notifier = startNotifier(
    notifierDeps(config, runnerDb, outboxDb, { log: log.child({ stage: 'notifier' }), owner, metrics }),
    timing,
    retention(config),
  );
  const runner = await startRunner(
    await runnerDeps(config, {
      subscriber: bus,
      bus,
      objects,
      jobRecords: runnerDb.jobRecords,
      frameCollection: runnerDb.frameCollection,
      frames,
      codec,
      log: log.child({ stage: 'runner' }),
      signal: shutdown.signal,
      // The in-memory bus resolves a frame's publish once its result is stored.
      pacing: 'publishes',
      onPredictable: publisher.poke,
      metrics,
    }),
  );
  await startInference(inferenceDeps(config, { bus, detectors, codec, log: log.child({ stage: 'inference' }), metrics }));

  const api = await buildApi({
    ...apiStores(outboxDb, runnerDb),
    objects,
    log: log.child({ stage: 'api' }),
    maxUploadBytes: config.maxUploadBytes,
    probe: (path) => frames.probe(path),
    videoLimits: videoLimits(config),
    rateLimits: rateLimits(config),
    onAccepted: relay.poke,
    metrics,
    ...(config.metricsKey !== undefined ? { metricsKey: config.metricsKey } : {}),
    // The database also holds the bus and both outboxes: one check covers them.
    readyChecks: { sqlite: sqliteCheck(db), objects: () => objects.ping(), detector: detectorCheck(detectors) },
    ...access,
    resultCacheBytes: config.resultCacheBytes,
    webhookAllowPrivate: config.webhookAllowPrivate,
    models: apiModels(config),
  });
  const url = await api.listen({ host: config.host, port: config.port });
  await logFfmpeg(config, log);
  log.info({ url, dataDir, models: detectors.names, default_model: detectors.defaultModel }, 'Framewise (embedded) ready');

  let closing: Promise<void> | undefined;
  return {
    api,
    url,
    close: () =>
      (closing ??= (async () => {
        await api.close();
        shutdown.abort();
        await Promise.all([relay.stop(), publisher.stop(), runner.stop(), notifier.stop()]);
        await bus.close();
        await detectors.close();
        await objects.close();
        db.close();
      })()),
  };
}
