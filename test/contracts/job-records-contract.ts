import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { obj, start, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The JobRecords contract: starting, reading and counting runner records.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function jobRecordsContract(name: string, make: MakeRunnerDatabase): void {
  describe(`job records contract: ${name}`, () => {
    test('start creates a processing record once; a second start changes nothing', async () => {
      const { store, dispose } = await make();
      const s = start();
      const r = await store.jobRecords.start(s);
      assert.equal(r.status, 'processing');
      assert.equal(r.total_frames, null);
      assert.equal(r.received_frames, 0);
      await store.frameCollection.addFrameResult(s._id, obj(0));
      const again = await store.jobRecords.start({ ...s, expected_frames: 99 });
      assert.equal(again.received_frames, 1);
      assert.equal(again.expected_frames, 4);
      await dispose();
    });

    test('start keeps the input (with its owner), video metadata and trace; counts by status', async () => {
      const { store, dispose } = await make();
      const input = { bucket: 'videos', object: 'input/a.mp4', media_type: 'video/mp4', owner: 'alice' };
      const video = { width: 576, height: 768, fps: null, duration_ms: 10_000, frame_count: null, codec: 'h264', rotation: 90 };
      const s = { ...start(), input, video, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
      const r = await store.jobRecords.start(s);
      assert.deepEqual(r.input, input);
      assert.deepEqual(r.video, video);
      assert.deepEqual((await store.jobRecords.get(s._id))?.video, video);
      assert.equal(r.traceparent, s.traceparent);
      await store.frameCollection.markFailed(randomUUID(), 'x', new Date());
      assert.deepEqual(await store.jobRecords.countByStatus(), { processing: 1, failed: 1 });
      await dispose();
    });

    test('countActive: an owner’s jobs not yet ready or failed, from the outbox’s ids and its own records', async () => {
      const { store, dispose } = await make();
      const owned = (owner: string) => {
        const id = randomUUID();
        return { ...start(id), input: { bucket: 'videos', object: `input/${id}.mp4`, media_type: 'video/mp4', owner } };
      };
      // Jobs the outbox holds as new/sent: not started yet, processing, predictable, ready, failed.
      const queued = randomUUID();
      const [processing, predictable, ready, failed] = [owned('alice'), owned('alice'), owned('alice'), owned('alice')];
      for (const s of [processing, predictable, ready, failed]) await store.jobRecords.start(s);
      for (const s of [predictable, ready]) {
        await store.frameCollection.setTotalFrames(s._id, 1);
        await store.frameCollection.addFrameResult(s._id, obj(0));
        assert.equal(await store.frameCollection.markPredictable(s._id), true);
      }
      assert.equal(await store.resultsOutbox.markReady(ready._id, new Date(2000), { bucket: 'videos', object: `detection/${ready._id}.json` }), true);
      assert.equal(await store.frameCollection.markFailed(failed._id, 'x', new Date(2000)), true);
      const dispatched = [queued, processing._id, predictable._id, ready._id, failed._id];
      assert.equal(await store.jobRecords.countActive('alice', dispatched), 3, 'queued, processing and predictable');
      assert.equal(await store.jobRecords.countActive('alice', [...dispatched, queued, processing._id]), 3, 'an id listed twice counts once');
      // A job whose event was removed after its retention: only its record tells.
      const orphan = owned('alice');
      await store.jobRecords.start(orphan);
      assert.equal(await store.jobRecords.countActive('alice', dispatched), 4);
      assert.equal(await store.jobRecords.countActive('alice', []), 3, 'without the outbox: the processing and predictable records');
      // Other owners' records never count; their dispatched ids are the caller's to choose.
      await store.jobRecords.start(owned('bob'));
      assert.equal(await store.jobRecords.countActive('carol', []), 0);
      assert.equal(await store.jobRecords.countActive('bob', []), 1);
      await store.frameCollection.markFailed(orphan._id, 'stalled', new Date(3000));
      assert.equal(await store.jobRecords.countActive('alice', dispatched), 3);
      await dispose();
    });
  });
}
