import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { obj, start, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The ResultsOutbox contract: claims of predictable jobs, ready.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function resultsOutboxContract(name: string, make: MakeRunnerDatabase): void {
  describe(`results outbox contract: ${name}`, () => {
    test('predictable needs every frame; ready needs predictable; failed is final', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      await store.frameCollection.addFrameResult(s._id, obj(0));
      assert.equal(await store.frameCollection.markPredictable(s._id), false, 'total unknown');
      await store.frameCollection.setTotalFrames(s._id, 2);
      assert.equal(await store.frameCollection.markPredictable(s._id), false, 'one frame missing');
      assert.equal(await store.resultsOutbox.markReady(s._id, new Date(), { bucket: 'b', object: 'o' }), false, 'not predictable yet');
      await store.frameCollection.addFrameResult(s._id, obj(5));
      assert.equal(await store.frameCollection.markPredictable(s._id), true);
      assert.equal(await store.frameCollection.markPredictable(s._id), false, 'only once');
      const claim = (owner: string, now: number) =>
        store.resultsOutbox.claimPredictable({ owner, limit: 10, leaseMs: 1000, now: new Date(now) }).then((rs) => rs.map((r) => r._id));
      assert.deepEqual(await claim('p1', 50_000), [s._id]);
      assert.deepEqual(await claim('p2', 50_500), [], 'leased to p1');
      assert.deepEqual(await claim('p2', 51_001), [s._id], 'free again once the lease expired');
      assert.equal(await store.frameCollection.addFrameResult(s._id, obj(10)).then((r) => r?.received_frames), 2, 'no results after predictable');
      assert.equal(await store.resultsOutbox.markReady(s._id, new Date(7000), { bucket: 'b', object: 'detection/x.json' }), true);
      assert.equal(await store.resultsOutbox.markReady(s._id, new Date(8000), { bucket: 'b', object: 'detection/x.json' }), false);
      const ready = await store.jobRecords.get(s._id);
      assert.equal(ready?.status, 'ready');
      assert.equal(ready?.ready_at?.getTime(), 7000);
      assert.deepEqual(ready?.output_s3, { bucket: 'b', object: 'detection/x.json' });
      assert.equal(ready?.warnings, undefined, 'no warnings given, none kept');
      assert.equal(await store.frameCollection.markFailed(s._id, 'too late', new Date()), false, 'ready is final');
      assert.equal(
        (await store.resultsOutbox.claimPredictable({ owner: 'p3', limit: 10, leaseMs: 1000, now: new Date(99_000) })).length,
        0,
        'ready jobs are never claimed',
      );
      const kept: number[] = [];
      for await (const r of store.frameCollection.frameResults(s._id)) kept.push(r.frame);
      assert.deepEqual(kept, [], "a ready job's results live in its published document, not in the store");
      await dispose();
    });

    test('markReady keeps the result’s warnings on the record', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      await store.frameCollection.setTotalFrames(s._id, 1);
      await store.frameCollection.addFrameResult(s._id, obj(0));
      assert.equal(await store.frameCollection.markPredictable(s._id), true);
      const warnings = [{ code: 'damaged_frames' as const, message: '31 frames at 2.0 s–5.0 s could not be decoded', from_ms: 2000, to_ms: 5000, frames: 31 }];
      assert.equal(await store.resultsOutbox.markReady(s._id, new Date(7000), { bucket: 'b', object: 'o' }, warnings), true);
      assert.deepEqual((await store.jobRecords.get(s._id))?.warnings, warnings);
      await dispose();
    });

    test('concurrent publishers never claim the same predictable job', async () => {
      const { store, dispose } = await make();
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) {
        const s = start();
        await store.jobRecords.start(s);
        await store.frameCollection.setTotalFrames(s._id, 1);
        await store.frameCollection.addFrameResult(s._id, obj(0));
        await store.frameCollection.markPredictable(s._id);
        ids.push(s._id);
      }
      const now = new Date(Date.now() + 1000);
      const claims = await Promise.all(
        Array.from({ length: 5 }, (_, i) => store.resultsOutbox.claimPredictable({ owner: `p${i}`, limit: 6, leaseMs: 60_000, now })),
      );
      const all = claims.flat().map((r) => r._id);
      assert.equal(new Set(all).size, all.length, 'no job claimed twice');
      const rest = await store.resultsOutbox.claimPredictable({ owner: 'late', limit: 20, leaseMs: 60_000, now });
      assert.deepEqual([...all, ...rest.map((r) => r._id)].sort(), [...ids].sort(), 'every job claimed once');
      await dispose();
    });
  });
}
