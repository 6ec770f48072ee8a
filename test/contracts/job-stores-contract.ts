import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OutboxStore } from '../../src/ports/outbox-store.js';
import type { RunnerStore } from '../../src/ports/runner-store.js';

const obj = (frame: number) => ({ frame, objects: [{ class: 'person', box: [frame, 1, 2, 3] as [number, number, number, number], conf: 0.5 }] });

/** The OutboxStore contract. `make` gives an empty store. */
export function outboxStoreContract(name: string, make: () => Promise<{ store: OutboxStore; dispose: () => Promise<void> }>): void {
  describe(`outbox store contract: ${name}`, () => {
    const event = (created: number) => ({
      _id: randomUUID(),
      status: 'new' as const,
      payload: { bucket: 'videos', object: 'input/x.mp4', media_type: 'video/mp4' },
      created_at: new Date(created),
    });

    test('an inserted event reads back; an id is never inserted twice', async () => {
      const { store, dispose } = await make();
      const e = event(1000);
      await store.insert(e);
      assert.deepEqual(await store.get(e._id), e);
      await assert.rejects(store.insert(e));
      assert.equal(await store.get(randomUUID()), undefined);
      await dispose();
    });

    test('claims are oldest first, bounded, exclusive while leased, and free again when the lease expires', async () => {
      const { store, dispose } = await make();
      const [a, b, c] = [event(3000), event(1000), event(2000)];
      for (const e of [a!, b!, c!]) await store.insert(e);
      const t = new Date(10_000);
      const claim = (owner: string, limit: number, now = t) => store.claimNew({ owner, limit, leaseMs: 1000, now }).then((es) => es.map((e) => e._id));
      assert.deepEqual(await claim('r1', 2), [b!._id, c!._id]);
      assert.deepEqual(await claim('r2', 10), [a!._id], 'another relay gets only what is not leased');
      assert.deepEqual(await claim('r3', 10), [], 'everything is leased');
      assert.deepEqual(await claim('r1', 10), [b!._id, c!._id], 'an owner may re-claim its own leases');
      assert.deepEqual(await claim('r3', 10, new Date(11_001)), [b!._id, c!._id, a!._id], 'expired leases are claimable, oldest first');
      await dispose();
    });

    test('markSent is conditional and idempotent; sent events are never claimed', async () => {
      const { store, dispose } = await make();
      const [a, b, c] = [event(3000), event(1000), event(2000)];
      for (const e of [a!, b!, c!]) await store.insert(e);
      assert.equal(await store.markSent(b!._id, new Date(5000)), true);
      assert.equal(await store.markSent(b!._id, new Date(6000)), false);
      const sent = await store.get(b!._id);
      assert.equal(sent?.status, 'sent');
      assert.equal(sent?.sent_at?.getTime(), 5000);
      assert.deepEqual((await store.claimNew({ owner: 'r', limit: 10, leaseMs: 1000, now: new Date(9000) })).map((e) => e._id), [c!._id, a!._id]);
      assert.deepEqual(await store.countByStatus(), { new: 2, sent: 1 });
      assert.equal((await store.list()).length, 3);
      await store.deleteAll();
      assert.equal((await store.list()).length, 0);
      await dispose();
    });
  });
}

/** The RunnerStore contract. `make` gives an empty store. */
export function runnerStoreContract(name: string, make: () => Promise<{ store: RunnerStore; dispose: () => Promise<void> }>): void {
  describe(`runner store contract: ${name}`, () => {
    const start = (id = randomUUID()) => ({ _id: id, created_at: new Date(1000), expected_frames: 4, parameters: { sample_every: 5 } });

    test('start creates a processing record once; a second start changes nothing', async () => {
      const { store, dispose } = await make();
      const s = start();
      const r = await store.start(s);
      assert.equal(r.status, 'processing');
      assert.equal(r.total_frames, null);
      assert.equal(r.received_frames, 0);
      await store.addFrameResult(s._id, obj(0));
      const again = await store.start({ ...s, expected_frames: 99 });
      assert.equal(again.received_frames, 1);
      assert.equal(again.expected_frames, 4);
      await dispose();
    });

    test('frame results count once per frame and read back ascending, across pages', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.start(s);
      const frames = Array.from({ length: 1203 }, (_, i) => i * 5).reverse();
      for (const f of frames) await store.addFrameResult(s._id, obj(f));
      await store.addFrameResult(s._id, obj(10));
      assert.equal((await store.get(s._id))?.received_frames, 1203);
      const read: number[] = [];
      for await (const r of store.frameResults(s._id)) read.push(r.frame);
      assert.deepEqual(read, [...frames].reverse());
      assert.equal(await store.addFrameResult(randomUUID(), obj(0)), undefined);
      await dispose();
    });

    test('predictable needs every frame; ready needs predictable; failed is final', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.start(s);
      await store.addFrameResult(s._id, obj(0));
      assert.equal(await store.markPredictable(s._id), false, 'total unknown');
      await store.setTotalFrames(s._id, 2);
      assert.equal(await store.markPredictable(s._id), false, 'one frame missing');
      assert.equal(await store.markReady(s._id, new Date(), { bucket: 'b', object: 'o' }), false, 'not predictable yet');
      await store.addFrameResult(s._id, obj(5));
      assert.equal(await store.markPredictable(s._id), true);
      assert.equal(await store.markPredictable(s._id), false, 'only once');
      const claim = (owner: string, now: number) => store.claimPredictable({ owner, limit: 10, leaseMs: 1000, now: new Date(now) }).then((rs) => rs.map((r) => r._id));
      assert.deepEqual(await claim('p1', 50_000), [s._id]);
      assert.deepEqual(await claim('p2', 50_500), [], 'leased to p1');
      assert.deepEqual(await claim('p2', 51_001), [s._id], 'free again once the lease expired');
      assert.equal(await store.addFrameResult(s._id, obj(10)).then((r) => r?.received_frames), 2, 'no results after predictable');
      assert.equal(await store.markReady(s._id, new Date(7000), { bucket: 'b', object: 'detection/x.json' }), true);
      assert.equal(await store.markReady(s._id, new Date(8000), { bucket: 'b', object: 'detection/x.json' }), false);
      const ready = await store.get(s._id);
      assert.equal(ready?.status, 'ready');
      assert.equal(ready?.ready_at?.getTime(), 7000);
      assert.deepEqual(ready?.output_s3, { bucket: 'b', object: 'detection/x.json' });
      assert.equal(await store.markFailed(s._id, 'too late', new Date()), false, 'ready is final');
      assert.equal((await store.claimPredictable({ owner: 'p3', limit: 10, leaseMs: 1000, now: new Date(99_000) })).length, 0, 'ready jobs are never claimed');
      await dispose();
    });

    test('markFailed records the reason, also for a job the runner never started', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.start(s);
      assert.equal(await store.markFailed(s._id, 'moov atom not found', new Date(2000)), true);
      const failed = await store.get(s._id);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error, 'moov atom not found');
      assert.equal(failed?.failed_at?.getTime(), 2000);
      assert.equal(await store.markFailed(s._id, 'again', new Date()), false);
      assert.equal(await store.setTotalFrames(s._id, 3).then((r) => r?.total_frames), null, 'no writes after failed');
      const never = randomUUID();
      assert.equal(await store.markFailed(never, 'no video stream', new Date()), true);
      assert.equal((await store.get(never))?.status, 'failed');
      await store.deleteAll();
      assert.equal((await store.list()).length, 0);
      await dispose();
    });
  });
}
