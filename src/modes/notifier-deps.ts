import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { OutboxDatabase } from '../ports/outbox-database.js';
import type { RunnerDatabase } from '../ports/runner-database.js';
import type { NotifierDeps } from '../stages/notifier/index.js';
import { webhookObserver } from '../stages/notifier/metrics.js';
import type { Metrics } from '../observability/metrics.js';
import { retryPolicy } from './settings.js';

/**
 * The webhook notifier's dependencies from the config, both databases (the runner records are its
 * outbox; the jobs outbox's dead letters are jobs that failed before the runner had them) and what
 * differs between the modes — the one place both composition roots take them from.
 */
export function notifierDeps(
  config: Config,
  runnerDb: Pick<RunnerDatabase, 'notificationsOutbox' | 'notificationsDeadLetters' | 'undispatchedJobs'>,
  outboxDb: Pick<OutboxDatabase, 'jobsDeadLetters' | 'outboxEvents'>,
  wiring: { log: Logger; owner: string; metrics: Metrics },
): NotifierDeps {
  return {
    notificationsOutbox: runnerDb.notificationsOutbox,
    notificationsDeadLetters: runnerDb.notificationsDeadLetters,
    undispatchedJobs: runnerDb.undispatchedJobs,
    jobsDeadLetters: outboxDb.jobsDeadLetters,
    outboxEvents: outboxDb.outboxEvents,
    log: wiring.log,
    owner: wiring.owner,
    leaseMs: config.claimLeaseMs,
    retry: { ...retryPolicy(config), maxAttempts: config.webhookMaxAttempts },
    webhook: { secret: config.webhookSecret, timeoutMs: config.webhookTimeoutMs, allowPrivate: config.webhookAllowPrivate },
    concurrency: config.webhookConcurrency,
    observer: webhookObserver(wiring.metrics),
  };
}
