import type { SqliteDatabase } from './database.js';
import type { RunnerDatabase } from '../../ports/runner-database.js';
import { SqliteJobRecords } from '../job-records/sqlite.js';
import { SqliteFrameCollection } from '../frame-collection/sqlite.js';
import { SqliteResultsOutbox } from '../results-outbox/sqlite.js';
import { SqliteResultsDeadLetters } from '../results-dead-letters/sqlite.js';
import { SqliteNotificationsOutbox } from '../notifications-outbox/sqlite.js';
import { SqliteNotificationsDeadLetters } from '../notifications-dead-letters/sqlite.js';
import { SqliteUndispatchedJobs } from '../undispatched-jobs/sqlite.js';

/** Every runner port on one SQLite database (their tables: `runner-schema.ts`). */
export function sqliteRunnerDatabase(db: SqliteDatabase): RunnerDatabase {
  return {
    jobRecords: new SqliteJobRecords(db),
    frameCollection: new SqliteFrameCollection(db),
    resultsOutbox: new SqliteResultsOutbox(db),
    resultsDeadLetters: new SqliteResultsDeadLetters(db),
    notificationsOutbox: new SqliteNotificationsOutbox(db),
    notificationsDeadLetters: new SqliteNotificationsDeadLetters(db),
    undispatchedJobs: new SqliteUndispatchedJobs(db),
  };
}
