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
      const r = (await store.jobRecords.start(s))!;
      assert.equal(r.status, 'processing');
      assert.equal(r.total_frames, null);
      assert.equal(r.received_frames, 0);
      await store.frameCollection.addFrameResult(s._id, obj(0));
      const again = (await store.jobRecords.start({ ...s, expected_frames: 99 }))!;
      assert.equal(again.received_frames, 1);
      assert.equal(again.expected_frames, 4);
      await dispose();
    });

    test('start keeps the input (with its owner), video metadata and trace; counts by status', async () => {
      const { store, dispose } = await make();
      const input = { bucket: 'videos', object: 'input/a.mp4', media_type: 'video/mp4', owner: 'alice' };
      const video = { width: 576, height: 768, fps: null, duration_ms: 10_000, frame_count: null, codec: 'h264', rotation: 90 };
      const s = { ...start(), input, video, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
      const r = (await store.jobRecords.start(s))!;
      assert.deepEqual(r.input, input);
      assert.deepEqual(r.video, video);
      assert.deepEqual((await store.jobRecords.get(s._id))?.video, video);
      assert.equal(r.traceparent, s.traceparent);
      const never = randomUUID();
      await store.frameCollection.markFailed(never, 'x', new Date(), { created_at: new Date(900), input: { ...input, object: `input/${never}.mp4` } });
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

    test('clearBefore removes the jobs created before the cutoff, with their frames, and refuses to record them again; later jobs stay', async () => {
      const { store, peer, dispose } = await make();
      const at = (ms: number, id = randomUUID()) => ({
        ...start(id),
        created_at: new Date(ms),
        input: { bucket: 'videos', object: `input/${id}.mp4`, media_type: 'video/mp4' },
      });
      const [old, oldDone, atCutoff, later] = [at(1000), at(2000), at(5000), at(6000)];
      for (const s of [old, oldDone, atCutoff, later]) await store.jobRecords.start(s);
      await store.frameCollection.addFrameResult(old._id, obj(0));
      await store.frameCollection.markFailed(oldDone._id, 'x', new Date(3000));
      await store.frameCollection.addFrameResult(later._id, obj(0));
      assert.equal(await store.jobRecords.cleanupCutoff(), undefined, 'no cleanup yet');
      assert.deepEqual((await store.jobRecords.clearBefore(new Date(5000))).sort(), [old._id, oldDone._id].sort(), 'whatever their status');
      assert.equal((await store.jobRecords.cleanupCutoff())?.getTime(), 5000);
      assert.deepEqual(
        (await store.jobRecords.list()).map((r) => r._id),
        [atCutoff._id, later._id],
        'a job created at the cutoff is not before it',
      );
      const frames = [];
      for await (const f of store.frameCollection.frameResults(old._id)) frames.push(f.frame);
      assert.deepEqual(frames, [], 'its frame results went with it');
      assert.equal((await store.jobRecords.get(later._id))?.received_frames, 1, 'a later job keeps its frames');
      // Messages of removed jobs still on the bus: none brings its job back, from any process.
      for (const db of [store, peer()]) {
        assert.equal(await db.jobRecords.start(old), undefined, 'a redelivered event');
        assert.equal(await db.jobRecords.start(at(4999)), undefined, 'an event published after the cleanup');
        assert.equal(await db.frameCollection.markFailed(old._id, 'the uploaded video is no longer in the object store', new Date(7000), old), false);
        assert.equal(await db.frameCollection.addFrameResult(old._id, obj(1)), undefined);
        assert.equal(await db.undispatchedJobs.failUndispatched({ ...old, created_at: old.created_at }, 'dead', new Date(7000)), false);
      }
      assert.deepEqual(
        (await store.jobRecords.list()).map((r) => r._id),
        [atCutoff._id, later._id],
      );
      // A job created at or after the cutoff is recorded as ever.
      const fresh = at(5000);
      assert.equal((await store.jobRecords.start(fresh))?.status, 'processing');
      const undispatched = at(5500);
      assert.equal(await store.undispatchedJobs.failUndispatched(undispatched, 'dead', new Date(7000)), true);
      // The latest cutoff is kept; a repeat removes nothing more.
      assert.deepEqual(await store.jobRecords.clearBefore(new Date(4000)), []);
      assert.equal((await store.jobRecords.cleanupCutoff())?.getTime(), 5000, 'an earlier cutoff does not lower it');
      assert.deepEqual((await store.jobRecords.clearBefore(new Date(1e12))).sort(), [atCutoff._id, later._id, fresh._id, undispatched._id].sort());
      assert.deepEqual(await store.jobRecords.list(), []);
      await dispose();
    });
  });
}
