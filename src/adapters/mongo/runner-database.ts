import type { RunnerDatabase } from '../../ports/runner-database.js';
import type { MongoRunnerCollections } from './runner-collections.js';
import { MongoJobRecords } from '../job-records/mongo.js';
import { MongoFrameCollection } from '../frame-collection/mongo.js';
import { MongoResultsOutbox } from '../results-outbox/mongo.js';
import { MongoResultsDeadLetters } from '../results-dead-letters/mongo.js';
import { MongoNotificationsOutbox } from '../notifications-outbox/mongo.js';
import { MongoNotificationsDeadLetters } from '../notifications-dead-letters/mongo.js';
import { MongoUndispatchedJobs } from '../undispatched-jobs/mongo.js';

/**
 * Every runner port on one process's `MongoRunnerCollections`: they must share it (its per-record
 * write queue and claim signals), so a process makes its ports here, once.
 */
export function mongoRunnerDatabase(collections: MongoRunnerCollections): RunnerDatabase {
  return {
    jobRecords: new MongoJobRecords(collections),
    frameCollection: new MongoFrameCollection(collections),
    resultsOutbox: new MongoResultsOutbox(collections),
    resultsDeadLetters: new MongoResultsDeadLetters(collections),
    notificationsOutbox: new MongoNotificationsOutbox(collections),
    notificationsDeadLetters: new MongoNotificationsDeadLetters(collections),
    undispatchedJobs: new MongoUndispatchedJobs(collections),
  };
}
