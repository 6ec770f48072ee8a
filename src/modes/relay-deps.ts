import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { OutboxDatabase } from '../ports/outbox-database.js';
import type { Publisher } from '../ports/bus-publisher.js';
import type { RelayDeps } from '../stages/relay/relay.js';
import type { Metrics } from '../observability/metrics.js';
import { retryPolicy } from './settings.js';

/**
 * The outbox relay's dependencies from the config, the jobs outbox and what differs between the
 * modes (the bus, the log, the claimer's name) — the one place both composition roots take them from.
 */
export function relayDeps(
  config: Config,
  outboxDb: Pick<OutboxDatabase, 'jobsOutbox' | 'jobsDeadLetters'>,
  wiring: { bus: Publisher; log: Logger; owner: string; metrics: Metrics },
): RelayDeps {
  return {
    jobsOutbox: outboxDb.jobsOutbox,
    jobsDeadLetters: outboxDb.jobsDeadLetters,
    bus: wiring.bus,
    log: wiring.log,
    batchSize: config.relayBatchSize,
    owner: wiring.owner,
    leaseMs: config.claimLeaseMs,
    retry: retryPolicy(config),
    observer: wiring.metrics.jobsOutboxObserver(),
  };
}
