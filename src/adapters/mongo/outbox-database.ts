import type { OutboxDatabase } from '../../ports/outbox-database.js';
import type { MongoOutboxCollections } from './outbox-collections.js';
import { MongoJobsOutbox } from '../jobs-outbox/mongo.js';
import { MongoJobsDeadLetters } from '../jobs-dead-letters/mongo.js';
import { MongoOutboxEvents } from '../outbox-events/mongo.js';

/** Every jobs-outbox port on one process's `MongoOutboxCollections` (they share its claimed-events cache). */
export function mongoOutboxDatabase(collections: MongoOutboxCollections): OutboxDatabase {
  return {
    jobsOutbox: new MongoJobsOutbox(collections),
    jobsDeadLetters: new MongoJobsDeadLetters(collections),
    outboxEvents: new MongoOutboxEvents(collections),
  };
}
