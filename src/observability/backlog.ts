import type { OutboxEvents } from '../ports/outbox-events.js';
import type { JobRecords } from '../ports/job-records.js';
import type { ResultsDeadLetters } from '../ports/results-dead-letters.js';
import type { Sample } from './metrics.js';

/** `framewise_outbox_backlog` of the jobs outbox: events per status. */
export const jobsBacklog = (outboxEvents: Pick<OutboxEvents, 'countByStatus'>) => async (): Promise<Sample[]> =>
  Object.entries(await outboxEvents.countByStatus()).map(([status, n]) => ({ labels: { outbox: 'jobs', status }, value: n ?? 0 }));

/** `framewise_outbox_backlog` of the results outbox: jobs waiting to be published, and its dead letters. */
export const resultsBacklog =
  (jobRecords: Pick<JobRecords, 'countByStatus'>, resultsDeadLetters: Pick<ResultsDeadLetters, 'listDead'>) => async (): Promise<Sample[]> => {
    const counts = await jobRecords.countByStatus();
    const dead = (await resultsDeadLetters.listDead(10_000)).length;
    return [
      { labels: { outbox: 'results', status: 'predictable' }, value: counts.predictable ?? 0 },
      { labels: { outbox: 'results', status: 'dead' }, value: dead },
    ];
  };
