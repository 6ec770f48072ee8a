import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { obj, start, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The ResultsDeadLetters contract: a result that could not be published, replayed, discarded, purged.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function resultsDeadLettersContract(name: string, make: MakeRunnerDatabase): void {
  describe(`results dead letters contract: ${name}`, () => {
    test('publishing: a failure backs off and frees the lease; past its attempts it is a dead letter to replay or discard', async () => {
      const { store, dispose } = await make();
      const predictable = async () => {
        const s = start();
        await store.jobRecords.start(s);
        await store.frameCollection.setTotalFrames(s._id, 1);
        await store.frameCollection.addFrameResult(s._id, obj(0));
        assert.equal(await store.frameCollection.markPredictable(s._id), true);
        return s._id;
      };
      const [a, b] = [await predictable(), await predictable()];
      const claim = (owner: string, now: number) =>
        store.resultsOutbox.claimPredictable({ owner, limit: 10, leaseMs: 60_000, now: new Date(now) }).then((rs) => rs.map((r) => r._id).sort());
      assert.deepEqual(await claim('p1', 1000), [a, b].sort());
      assert.equal(await store.resultsOutbox.recordPublishFailure(a, 'AccessDenied', new Date(5000)), true);
      const r = await store.jobRecords.get(a);
      assert.equal(r?.publish_attempts, 1);
      assert.equal(r?.publish_error, 'AccessDenied');
      assert.deepEqual(await claim('p2', 4999), [], 'not due yet; b still leased');
      assert.deepEqual(await claim('p2', 5000), [a]);
      assert.equal(await store.resultsOutbox.markPublishDead(a, 'the result could not be published: AccessDenied', new Date(6000)), true);
      const dead = await store.jobRecords.get(a);
      assert.equal(dead?.status, 'failed');
      assert.equal(dead?.dead_at?.getTime(), 6000);
      assert.match(dead?.error ?? '', /could not be published/);
      assert.deepEqual(
        (await store.resultsDeadLetters.listDead(10)).map((x) => x._id),
        [a],
      );
      assert.equal(await store.resultsDeadLetters.replayDead(b, new Date(7000)), false, 'b is not dead');
      assert.equal(await store.resultsDeadLetters.replayDead(a, new Date(7000)), true);
      const replayed: number[] = [];
      for await (const r of store.frameCollection.frameResults(a)) replayed.push(r.frame);
      assert.deepEqual(replayed, [0], 'a dead publish keeps its results, for the replay to publish');
      const back = await store.jobRecords.get(a);
      assert.equal(back?.status, 'predictable');
      assert.equal(back?.publish_attempts, 0);
      assert.equal(back?.dead_at, undefined);
      assert.deepEqual(await claim('p3', 1_000_000), [a, b].sort());
      await store.resultsOutbox.markPublishDead(a, 'again', new Date(8000));
      assert.equal(await store.resultsDeadLetters.discardDead(a), true);
      assert.equal(await store.resultsDeadLetters.discardDead(a), false);
      assert.equal((await store.jobRecords.get(a))?.status, 'failed', 'a discarded dead letter leaves the job failed');
      await store.resultsOutbox.markPublishDead(b, 'b too', new Date(9000));
      assert.equal(await store.resultsDeadLetters.purgeDead(new Date(9001)), 1);
      assert.deepEqual(await store.resultsDeadLetters.listDead(10), []);
      await dispose();
    });
  });
}
