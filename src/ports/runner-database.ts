import type { JobRecords } from './job-records.js';
import type { FrameCollection } from './frame-collection.js';
import type { ResultsOutbox } from './results-outbox.js';
import type { ResultsDeadLetters } from './results-dead-letters.js';
import type { NotificationsOutbox } from './notifications-outbox.js';
import type { NotificationsDeadLetters } from './notifications-dead-letters.js';
import type { UndispatchedJobs } from './undispatched-jobs.js';

/**
 * The ports one runner database (`runner_db`) provides, as a composition root wires them: every
 * port here is kept in the same runner records, so one write may make a job final and its
 * notification pending at once. No stage depends on this bundle; each takes the ports it uses.
 * The field names are the deps' names for them.
 */
export interface RunnerDatabase {
  jobRecords: JobRecords;
  frameCollection: FrameCollection;
  resultsOutbox: ResultsOutbox;
  resultsDeadLetters: ResultsDeadLetters;
  notificationsOutbox: NotificationsOutbox;
  notificationsDeadLetters: NotificationsDeadLetters;
  undispatchedJobs: UndispatchedJobs;
}
