import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { ObjectStore } from '../ports/object-store.js';
import type { RunnerDatabase } from '../ports/runner-database.js';
import type { PublishDeps } from '../stages/result-publisher/publish-results.js';
import type { Metrics } from '../observability/metrics.js';
import { retryPolicy, videoAnnotator } from './settings.js';

/**
 * The result publisher's dependencies from the config, the runner database and what differs
 * between the modes (the object store, the log, the claimer's name) — the one place both
 * composition roots take them from, as `runnerDeps` is for the runner.
 */
export function resultPublisherDeps(
  config: Config,
  runnerDb: Pick<RunnerDatabase, 'resultsOutbox' | 'frameCollection' | 'resultsDeadLetters'>,
  wiring: { objects: ObjectStore; log: Logger; owner: string; metrics: Metrics },
): PublishDeps {
  return {
    resultsOutbox: runnerDb.resultsOutbox,
    frameCollection: runnerDb.frameCollection,
    resultsDeadLetters: runnerDb.resultsDeadLetters,
    objects: wiring.objects,
    log: wiring.log,
    batchSize: 10,
    owner: wiring.owner,
    leaseMs: config.claimLeaseMs,
    retry: retryPolicy(config),
    observer: wiring.metrics.resultsOutboxObserver(),
    annotator: videoAnnotator(config, wiring.log),
    maxDamagedShare: config.maxDamagedShare,
  };
}
