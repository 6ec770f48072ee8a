import type { OutboxDatabase } from '../ports/outbox-database.js';
import type { RunnerDatabase } from '../ports/runner-database.js';
import type { ApiDeps } from '../stages/api/deps.js';

/** The ports the API takes from the two databases (both modes' composition roots wire them so). */
export function apiStores(
  outboxDb: OutboxDatabase,
  runnerDb: RunnerDatabase,
): Pick<ApiDeps, 'jobsOutbox' | 'outboxEvents' | 'jobRecords' | 'jobsDeadLetters' | 'resultsDeadLetters' | 'notificationsDeadLetters' | 'undispatchedJobs'> {
  return {
    jobsOutbox: outboxDb.jobsOutbox,
    outboxEvents: outboxDb.outboxEvents,
    jobsDeadLetters: outboxDb.jobsDeadLetters,
    jobRecords: runnerDb.jobRecords,
    resultsDeadLetters: runnerDb.resultsDeadLetters,
    notificationsDeadLetters: runnerDb.notificationsDeadLetters,
    undispatchedJobs: runnerDb.undispatchedJobs,
  };
}
