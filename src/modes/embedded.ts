import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { Detector } from '../ports/detector.js';
import { openDatabase } from '../adapters/sqlite/database.js';
import { SqliteOutboxStore } from '../adapters/outbox-store/sqlite.js';
import { SqliteRunnerStore } from '../adapters/runner-store/sqlite.js';
import { SqliteLogBus } from '../adapters/bus/sqlite-log.js';
import { LocalDirObjectStore } from '../adapters/object-store/local-dir.js';
import { SharpJpegCodec } from '../adapters/frame-codec/sharp.js';
import { createCenternetDetector } from '../adapters/detector/tfjs-centernet.js';
import { buildApi, type Api } from '../stages/api/app.js';
import { startRelay } from '../stages/relay/index.js';
import { startRunner } from '../stages/runner/index.js';
import { startInference } from '../stages/inference/index.js';
import { startResultPublisher } from '../stages/publisher/index.js';
import { frameSource, loopTiming, preprocessing, samplingRule } from './settings.js';

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
  const dataDir = resolve(config.dataDir);
  const db = openDatabase(join(dataDir, 'framewise.db'));
  const outbox = new SqliteOutboxStore(db);
  const runs = new SqliteRunnerStore(db);
  const bus = new SqliteLogBus(db);
  const objects = new LocalDirObjectStore(join(dataDir, 'objects'), config.bucket);
  const frames = frameSource(config);
  const codec = new SharpJpegCodec(config.jpegQuality);
  const detector = injected.detector ?? (await createCenternetDetector({ confidence: config.confidence, iou: config.iou }));
  const timing = loopTiming(config);
  const shutdown = new AbortController();

  // One process owns the data directory: a stable owner name lets a restart re-claim at once.
  const claims = { owner: 'embedded', leaseMs: config.claimLeaseMs };
  const relay = startRelay({ outbox, bus, log: log.child({ stage: 'relay' }), batchSize: 100, ...claims }, timing);
  const publisher = startResultPublisher({ runs, objects, log: log.child({ stage: 'publisher' }), batchSize: 10, ...claims }, timing);
  await startRunner({
    subscriber: bus,
    bus,
    objects,
    runs,
    frames,
    codec,
    sampling: samplingRule(config),
    preprocessing: preprocessing(config),
    log: log.child({ stage: 'runner' }),
    signal: shutdown.signal,
    maxFramesInFlight: config.maxFramesInFlight,
    onPredictable: publisher.poke,
  });
  await startInference({ subscriber: bus, bus, detector, codec, log: log.child({ stage: 'inference' }), concurrency: config.inferenceConcurrency });

  const api = await buildApi({ outbox, runs, objects, log: log.child({ stage: 'api' }), maxUploadBytes: config.maxUploadBytes, onAccepted: relay.poke });
  const url = await api.listen({ host: config.host, port: config.port });
  log.info({ url, dataDir, detector: detector.name }, 'Framewise (embedded) ready');

  let closing: Promise<void> | undefined;
  return {
    api,
    url,
    close: () =>
      (closing ??= (async () => {
        await api.close();
        shutdown.abort();
        await Promise.all([relay.stop(), publisher.stop()]);
        await bus.close();
        await detector.close();
        await objects.close();
        db.close();
      })()),
  };
}
