import { randomUUID } from 'node:crypto';
import { videoSubmitted } from '../../src/core/job.js';
import type { OutboxDatabase } from '../../src/ports/outbox-database.js';

/** What the jobs-outbox ports' contract suites share: a fixture maker and the events they insert. */

/** An empty jobs-outbox database's ports. */
export type MakeOutboxDatabase = () => Promise<{ store: OutboxDatabase; dispose: () => Promise<void> }>;

export const event = (created: number) =>
  videoSubmitted(
    randomUUID(),
    { bucket: 'videos', object: 'input/x.mp4', media_type: 'video/mp4' },
    'outbox_events',
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    new Date(created),
  );
export const ids = (es: Array<{ _id: string }>) => es.map((e) => e._id);
