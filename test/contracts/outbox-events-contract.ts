import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { videoSubmitted } from '../../src/core/job.js';
import type { MakeOutboxDatabase } from './outbox-fixtures.js';

/**
 * The OutboxEvents contract: reads of the jobs outbox in every status.
 * `make` gives an empty jobs-outbox database's ports (see `outbox-fixtures.ts`).
 */
export function outboxEventsContract(name: string, make: MakeOutboxDatabase): void {
  describe(`outbox events contract: ${name}`, () => {
    test('the payload reads back whole: the model, the client’s options and the owner, as claimed, listed, sent and dead', async () => {
      const { store, dispose } = await make();
      const options = { sample_fps: 2, confidence: 0.5, iou: 0.3, classes: ['person', 'car'], annotate: true, webhook_url: 'https://hooks.example.com/x' };
      const e = videoSubmitted(
        randomUUID(),
        { bucket: 'videos', object: 'input/y.mp4', media_type: 'video/mp4', model: 'yolo', options, owner: 'alice' },
        'outbox_events',
        undefined,
        new Date(1000),
      );
      await store.jobsOutbox.insert(e, 'owned-key');
      assert.deepEqual((await store.outboxEvents.get(e._id))?.payload, e.payload);
      assert.deepEqual((await store.jobsOutbox.findByIdempotencyKey('owned-key'))?.payload, e.payload);
      const [claimed] = await store.jobsOutbox.claimDue({ owner: 'r', limit: 10, leaseMs: 1000, now: new Date(2000) });
      assert.deepEqual(claimed?.payload, e.payload);
      assert.deepEqual((await store.outboxEvents.list()).find((x) => x._id === e._id)?.payload, e.payload);
      await store.jobsOutbox.markSent([e._id], new Date(3000));
      assert.deepEqual((await store.outboxEvents.get(e._id))?.payload, e.payload, 'sent (archived where the store archives)');
      const dead = videoSubmitted(
        randomUUID(),
        { bucket: 'videos', object: 'input/z.mp4', media_type: 'video/mp4', owner: 'bob' },
        'outbox_events',
        undefined,
        new Date(1000),
      );
      await store.jobsOutbox.insert(dead);
      await store.jobsOutbox.markDead(dead._id, 'x', new Date(4000));
      assert.deepEqual((await store.jobsDeadLetters.listDead(10))[0]?.payload, dead.payload);
      await dispose();
    });

    test('idsOfOwner: the ids of one owner’s events in the given statuses, each once', async () => {
      const { store, dispose } = await make();
      const owned = (owner: string | undefined, created: number) =>
        videoSubmitted(
          randomUUID(),
          { bucket: 'videos', object: 'input/o.mp4', media_type: 'video/mp4', ...(owner ? { owner } : {}) },
          'outbox_events',
          undefined,
          new Date(created),
        );
      const [pending, sent, dead, other, anonymous] = [
        owned('alice', 1000),
        owned('alice', 2000),
        owned('alice', 3000),
        owned('bob', 4000),
        owned(undefined, 5000),
      ];
      for (const e of [pending, sent, dead, other, anonymous]) await store.jobsOutbox.insert(e);
      await store.jobsOutbox.markSent([sent._id, other._id], new Date(6000));
      await store.jobsOutbox.markDead(dead._id, 'x', new Date(6000));
      const of = async (owner: string, statuses: Array<'new' | 'sent' | 'dead'>) => (await store.outboxEvents.idsOfOwner(owner, statuses)).sort();
      assert.deepEqual(await of('alice', ['new', 'sent']), [pending._id, sent._id].sort());
      assert.deepEqual(await of('alice', ['new']), [pending._id]);
      assert.deepEqual(await of('alice', ['sent']), [sent._id]);
      assert.deepEqual(await of('alice', ['dead']), [dead._id]);
      assert.deepEqual(await of('alice', ['new', 'sent', 'dead']), [pending._id, sent._id, dead._id].sort());
      assert.deepEqual(await of('bob', ['new', 'sent']), [other._id]);
      assert.deepEqual(await of('carol', ['new', 'sent', 'dead']), []);
      assert.deepEqual(await of('alice', []), []);
      await dispose();
    });
  });
}
