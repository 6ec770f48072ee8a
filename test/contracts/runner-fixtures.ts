import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';

/**
 * What the runner ports' contract suites share: a fixture maker and the jobs they build. Each
 * suite tests one port, driving the others of the same database to set a job up (a result is
 * claimable only once its frames are collected): the ports share their records, as in production.
 */

/** An empty runner database's ports; `peer` opens the same database as another runner process does. */
export type MakeRunnerDatabase = () => Promise<{ store: RunnerDatabase; peer: () => RunnerDatabase; dispose: () => Promise<void> }>;

export const obj = (frame: number) => ({ frame, objects: [{ class: 'person', box: [frame, 1, 2, 3] as [number, number, number, number], conf: 0.5 }] });

export const start = (id = randomUUID()) => ({ _id: id, created_at: new Date(1000), expected_frames: 4, parameters: { sample_every: 5 } });

// Webhook notifications: the runner record is their outbox.
export const HOOK = 'https://hooks.example.com/framewise?token=abc';
export const input = (id: string, webhook = true) => ({
  bucket: 'videos',
  object: `input/${id}.mp4`,
  media_type: 'video/mp4',
  ...(webhook ? { options: { webhook_url: HOOK, confidence: 0.4 } } : {}),
});
export const hooked = (webhook = true) => {
  const id = randomUUID();
  return { ...start(id), input: input(id, webhook) };
};
/** A started job brought to `predictable`. */
export const predictable = async (store: RunnerDatabase, s: ReturnType<typeof hooked>) => {
  await store.jobRecords.start(s);
  await store.frameCollection.setTotalFrames(s._id, 1);
  await store.frameCollection.addFrameResult(s._id, obj(0));
  assert.equal(await store.frameCollection.markPredictable(s._id), true);
  return s._id;
};
export const claimIds = (store: RunnerDatabase, owner: string, now: number, limit = 10) =>
  store.notificationsOutbox.claimNotifications({ owner, limit, leaseMs: 60_000, now: new Date(now) }).then((ns) => ns.map((n) => n.event_id).sort());
export const sorted = (...ids: string[]) => [...ids].sort();
