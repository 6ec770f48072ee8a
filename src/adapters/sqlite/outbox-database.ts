import type { SqliteDatabase } from './database.js';
import type { OutboxDatabase } from '../../ports/outbox-database.js';
import { SqliteJobsOutbox } from '../jobs-outbox/sqlite.js';
import { SqliteJobsDeadLetters } from '../jobs-dead-letters/sqlite.js';
import { SqliteOutboxEvents } from '../outbox-events/sqlite.js';

/** Every jobs-outbox port on one SQLite database (its table: `outbox-schema.ts`). */
export function sqliteOutboxDatabase(db: SqliteDatabase): OutboxDatabase {
  return { jobsOutbox: new SqliteJobsOutbox(db), jobsDeadLetters: new SqliteJobsDeadLetters(db), outboxEvents: new SqliteOutboxEvents(db) };
}
