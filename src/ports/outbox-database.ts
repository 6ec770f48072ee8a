import type { JobsOutbox } from './jobs-outbox.js';
import type { JobsDeadLetters } from './jobs-dead-letters.js';
import type { OutboxEvents } from './outbox-events.js';

/**
 * The ports the jobs outbox's database (`main_db`) provides, as a composition root wires them. No
 * stage depends on this bundle; each takes the ports it uses. The field names are the deps' names.
 */
export interface OutboxDatabase {
  jobsOutbox: JobsOutbox;
  jobsDeadLetters: JobsDeadLetters;
  outboxEvents: OutboxEvents;
}
