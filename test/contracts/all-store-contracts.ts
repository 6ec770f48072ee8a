import { jobsOutboxContract } from './jobs-outbox-contract.js';
import { jobsDeadLettersContract } from './jobs-dead-letters-contract.js';
import { outboxEventsContract } from './outbox-events-contract.js';
import { jobRecordsContract } from './job-records-contract.js';
import { frameCollectionContract } from './frame-collection-contract.js';
import { resultsOutboxContract } from './results-outbox-contract.js';
import { resultsDeadLettersContract } from './results-dead-letters-contract.js';
import { notificationsOutboxContract } from './notifications-outbox-contract.js';
import { notificationsDeadLettersContract } from './notifications-dead-letters-contract.js';
import { undispatchedJobsContract } from './undispatched-jobs-contract.js';
import { runnerDatabaseContract } from './runner-database-contract.js';
import type { MakeOutboxDatabase } from './outbox-fixtures.js';
import type { MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * Every jobs-outbox port's suite on one technology's adapters: a technology that implements these
 * ports runs them all (the embedded contract test for SQLite, the cluster one for MongoDB).
 */
export function outboxContracts(name: string, make: MakeOutboxDatabase): void {
  jobsOutboxContract(name, make);
  jobsDeadLettersContract(name, make);
  outboxEventsContract(name, make);
}

/** Every runner port's suite, and the runner database's cross-port one, on one technology's adapters. */
export function runnerContracts(name: string, make: MakeRunnerDatabase): void {
  jobRecordsContract(name, make);
  frameCollectionContract(name, make);
  resultsOutboxContract(name, make);
  resultsDeadLettersContract(name, make);
  notificationsOutboxContract(name, make);
  notificationsDeadLettersContract(name, make);
  undispatchedJobsContract(name, make);
  runnerDatabaseContract(name, make);
}
