import type { OutboxStore } from '../ports/outbox-store.js';
import type { RunnerStore } from '../ports/runner-store.js';
import type { Sample } from './metrics.js';

/** `framewise_outbox_backlog` of the jobs outbox: events per status. */
export const jobsBacklog = (outbox: OutboxStore) => async (): Promise<Sample[]> =>
  Object.entries(await outbox.countByStatus()).map(([status, n]) => ({ labels: { outbox: 'jobs', status }, value: n ?? 0 }));

/** `framewise_outbox_backlog` of the results outbox: jobs waiting to be published, and its dead letters. */
export const resultsBacklog = (runs: RunnerStore) => async (): Promise<Sample[]> => {
  const counts = await runs.countByStatus();
  const dead = (await runs.listDead(10_000)).length;
  return [
    { labels: { outbox: 'results', status: 'predictable' }, value: counts.predictable ?? 0 },
    { labels: { outbox: 'results', status: 'dead' }, value: dead },
  ];
};
