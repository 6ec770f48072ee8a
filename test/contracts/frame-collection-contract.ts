import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { allFramesIn } from '../../src/core/job.js';
import type { FrameResult } from '../../src/core/types.js';
import type { RunnerDatabase } from '../../src/ports/runner-database.js';
import { obj, start, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The FrameCollection contract: frame results once per (job, frame), totals, predictable, stalls, failure; also across two processes (`peer`).
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function frameCollectionContract(name: string, make: MakeRunnerDatabase): void {
  describe(`frame collection contract: ${name}`, () => {
    test('frame results count once per frame and read back ascending, across pages', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      const frames = Array.from({ length: 1203 }, (_, i) => i * 5).reverse();
      for (const f of frames) await store.frameCollection.addFrameResult(s._id, obj(f));
      await store.frameCollection.addFrameResult(s._id, obj(10));
      assert.equal((await store.jobRecords.get(s._id))?.received_frames, 1203);
      const read: number[] = [];
      for await (const r of store.frameCollection.frameResults(s._id)) read.push(r.frame);
      assert.deepEqual(read, [...frames].reverse());
      assert.equal(await store.frameCollection.addFrameResult(randomUUID(), obj(0)), undefined);
      await dispose();
    });

    test('a frame result keeps its timestamp, objects and model; one stored without a timestamp reads back without one', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      const model = { name: 'm', sha256: 'ab'.repeat(32) };
      await store.frameCollection.addFrameResult(s._id, { ...obj(5), timestamp_ms: 416.667, model });
      await store.frameCollection.addFrameResult(s._id, obj(10));
      const read: FrameResult[] = [];
      for await (const r of store.frameCollection.frameResults(s._id)) read.push(r);
      assert.deepEqual(read, [{ ...obj(5), timestamp_ms: 416.667, model }, obj(10)]);
      await dispose();
    });

    test('concurrent frame results and the end of extraction lose nothing (the total and every count)', async () => {
      // The collector and the extractor update one record at once when a job's last results arrive
      // as its extraction ends (batched inference makes that the rule). FerretDB lost one of two
      // concurrent updates in every round of this test before the store queued them.
      const { store, dispose } = await make();
      for (let round = 0; round < 5; round++) {
        const s = start();
        await store.jobRecords.start(s);
        await Promise.all(Array.from({ length: 8 }, (_, f) => store.frameCollection.addFrameResult(s._id, obj(f))));
        await Promise.all([
          store.frameCollection.setTotalFrames(s._id, 16),
          ...Array.from({ length: 8 }, (_, f) => store.frameCollection.addFrameResult(s._id, obj(8 + f))),
        ]);
        const r = await store.jobRecords.get(s._id);
        assert.equal(r?.total_frames, 16, `round ${round}: total kept`);
        assert.equal(r?.received_frames, 16, `round ${round}: every frame counted`);
      }
      await dispose();
    });

    test('many results of one job at once, redeliveries among them: each stored and counted once, each caller told after its own is in', async () => {
      // A collector holds several results at once, and a store may write a job's results together
      // (the MongoDB store does). A redelivered result in such a write must not keep the others out
      // nor be counted again; a result for a job that is not processing changes nothing.
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      await store.frameCollection.addFrameResult(s._id, obj(3));
      const frames = [0, 1, 2, 3, 4, 5, 2, 6, 7, 3, 8, 9, 10, 11, 0, 12];
      const records = await Promise.all(frames.map((f) => store.frameCollection.addFrameResult(s._id, obj(f))));
      for (const r of records) {
        assert.equal(r?.status, 'processing');
        assert.ok(r.received_frames >= 2 && r.received_frames <= 13, `a record read after the caller's write (${r.received_frames})`);
      }
      assert.equal(Math.max(...records.map((r) => r?.received_frames ?? 0)), 13, 'the last caller sees every frame');
      assert.equal((await store.jobRecords.get(s._id))?.received_frames, 13);
      const read: number[] = [];
      for await (const r of store.frameCollection.frameResults(s._id)) read.push(r.frame);
      assert.deepEqual(
        read,
        Array.from({ length: 13 }, (_, i) => i),
      );
      await store.frameCollection.markFailed(s._id, 'stopped', new Date());
      await Promise.all([store.frameCollection.addFrameResult(s._id, obj(20)), store.frameCollection.addFrameResult(s._id, obj(21))]);
      assert.equal((await store.jobRecords.get(s._id))?.received_frames, 13, 'nothing counted once the job is failed');
      await dispose();
    });

    test('extractor and collector in two processes: the job always ends with every frame in, and predictable', async () => {
      // In a cluster the runner that extracts a job is often not the one collecting its results.
      // Each does what its stage does (extract.ts, collect.ts): write, then mark if all is in.
      // On FerretDB a frame's count lost against the extractor's write left a job at 5 of 6 frames.
      const { store: extractor, peer, dispose } = await make();
      const collector = peer();
      const markIfDone = async (s: RunnerDatabase, r: Awaited<ReturnType<RunnerDatabase['jobRecords']['get']>>) =>
        Boolean(r && allFramesIn(r) && (await s.frameCollection.markPredictable(r._id)));
      for (let round = 0; round < 8; round++) {
        const s = start();
        await extractor.jobRecords.start(s);
        await Promise.all(Array.from({ length: 4 }, (_, f) => collector.frameCollection.addFrameResult(s._id, obj(f))));
        const marks = await Promise.all([
          extractor.frameCollection.setTotalFrames(s._id, 8).then((r) => markIfDone(extractor, r)),
          ...Array.from({ length: 4 }, (_, f) => collector.frameCollection.addFrameResult(s._id, obj(4 + f)).then((r) => markIfDone(collector, r))),
        ]);
        assert.ok(marks.some(Boolean), `round ${round}: someone marked the job`);
        for (const view of [extractor, collector]) {
          const r = await view.jobRecords.get(s._id);
          assert.equal(r?.status, 'predictable', `round ${round}: predictable`);
          assert.equal(r?.total_frames, 8, `round ${round}: total kept`);
          assert.equal(r?.received_frames, 8, `round ${round}: every frame counted`);
        }
      }
      await dispose();
    });

    test('a job in segments: its total is the sum once every segment has reported, from any process; a segment reporting again replaces its count', async () => {
      const { store, peer, dispose } = await make();
      const other = peer();
      const s = { ...start(), segments: 3 };
      await store.jobRecords.start(s);
      assert.equal((await store.jobRecords.get(s._id))?.segments, 3);
      assert.equal((await store.frameCollection.setTotalFrames(s._id, 4, 0))?.total_frames, null, 'one of three');
      assert.equal((await other.frameCollection.setTotalFrames(s._id, 5, 2))?.total_frames, null, 'two of three, from another runner');
      assert.equal((await other.frameCollection.setTotalFrames(s._id, 5, 2))?.total_frames, null, 'the same segment again');
      const all = await store.frameCollection.setTotalFrames(s._id, 3, 1);
      assert.equal(all?.total_frames, 12, '4 + 3 + 5');
      assert.equal((await other.jobRecords.get(s._id))?.total_frames, 12);
      // The results come through one collector (inference_results is keyed by job), as in a cluster.
      await Promise.all(Array.from({ length: 12 }, (_, f) => store.frameCollection.addFrameResult(s._id, obj(f))));
      assert.equal(await other.frameCollection.markPredictable(s._id), true);
      assert.equal((await other.jobRecords.get(s._id))?.total_frames, 12, 'kept once predictable');
      // A job in one segment is unchanged: no segment argument, total at once.
      const one = start();
      await store.jobRecords.start(one);
      assert.equal((await store.frameCollection.setTotalFrames(one._id, 7))?.total_frames, 7);
      assert.equal((await store.jobRecords.get(one._id))?.segments, undefined);
      await dispose();
    });

    test('claimStalled takes processing jobs without news since the cutoff, once per stall, counting drives', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      const later = Date.now() + 60_000;
      assert.deepEqual(await store.frameCollection.claimStalled(new Date(Date.now() - 60_000), new Date(), 10), [], 'not stalled yet');
      const [first, second] = await Promise.all([
        store.frameCollection.claimStalled(new Date(later), new Date(later), 10),
        store.frameCollection.claimStalled(new Date(later), new Date(later), 10),
      ]);
      const got = [...first, ...second];
      assert.equal(got.length, 1, 'one sweeper wins');
      assert.equal(got[0]!._id, s._id);
      assert.equal(got[0]!.drives, 1);
      assert.deepEqual(await store.frameCollection.claimStalled(new Date(later), new Date(later + 1), 10), [], 'updated_at was bumped');
      const again = await store.frameCollection.claimStalled(new Date(later + 10), new Date(later + 10), 10);
      assert.equal(again[0]?.drives, 2);
      await store.frameCollection.markFailed(s._id, 'x', new Date());
      assert.deepEqual(await store.frameCollection.claimStalled(new Date(later + 1e9), new Date(later + 1e9), 10), [], 'only processing jobs stall');
      await dispose();
    });

    test('markFailed records the reason, also for a job the runner never started', async () => {
      const { store, dispose } = await make();
      const s = start();
      await store.jobRecords.start(s);
      assert.equal(await store.frameCollection.markFailed(s._id, 'moov atom not found', new Date(2000)), true);
      const failed = await store.jobRecords.get(s._id);
      assert.equal(failed?.status, 'failed');
      assert.equal(failed?.error, 'moov atom not found');
      assert.equal(failed?.failed_at?.getTime(), 2000);
      assert.equal(await store.frameCollection.markFailed(s._id, 'again', new Date()), false);
      assert.equal(await store.frameCollection.setTotalFrames(s._id, 3).then((r) => r?.total_frames), null, 'no writes after failed');
      const never = randomUUID();
      const submitted = { created_at: new Date(1500), input: { bucket: 'videos', object: `input/${never}.mp4`, media_type: 'video/mp4' } };
      assert.equal(await store.frameCollection.markFailed(never, 'no video stream', new Date(3000), submitted), true, 'given the job: a failed record');
      const created = await store.jobRecords.get(never);
      assert.equal(created?.status, 'failed');
      assert.equal(created?.created_at.getTime(), 1500, 'created when the job was');
      assert.deepEqual(created?.input, submitted.input);
      const unknown = randomUUID();
      assert.equal(await store.frameCollection.markFailed(unknown, 'frame 3 could not be detected', new Date()), false, 'without the job: nothing to fail');
      assert.equal(await store.jobRecords.get(unknown), undefined, 'an unknown job stays unknown');
      await dispose();
    });

    test('a frame result of an unknown job (one a cleanup removed) is not kept', async () => {
      const { store, dispose } = await make();
      const unknown = randomUUID();
      assert.equal(await store.frameCollection.addFrameResult(unknown, obj(0)), undefined);
      const kept = [];
      for await (const r of store.frameCollection.frameResults(unknown)) kept.push(r);
      assert.deepEqual(kept, []);
      assert.equal(await store.jobRecords.get(unknown), undefined);
      await dispose();
    });
  });
}
