import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { event, ids, type MakeOutboxDatabase } from './outbox-fixtures.js';

/**
 * The JobsDeadLetters contract: replay, discard and retention of the jobs outbox.
 * `make` gives an empty jobs-outbox database's ports (see `outbox-fixtures.ts`).
 */
export function jobsDeadLettersContract(name: string, make: MakeOutboxDatabase): void {
  describe(`jobs dead letters contract: ${name}`, () => {
    test('a replayed dead letter is new, due and has its attempts back; discard deletes only dead events', async () => {
      const { store, dispose } = await make();
      const [a, b] = [event(1000), event(2000)];
      for (const e of [a, b]) await store.jobsOutbox.insert(e);
      await store.jobsOutbox.markDead(a._id, 'boom', new Date(3000));
      assert.equal(await store.jobsDeadLetters.replay(b._id, new Date(4000)), false, 'b is not dead');
      assert.equal(await store.jobsDeadLetters.replay(a._id, new Date(4000)), true);
      const back = await store.outboxEvents.get(a._id);
      assert.equal(back?.status, 'new');
      assert.equal(back?.attempts, 0);
      assert.equal(back?.next_attempt_at.getTime(), 4000);
      assert.equal(back?.dead_at, undefined);
      assert.deepEqual(ids(await store.jobsOutbox.claimDue({ owner: 'r', limit: 10, leaseMs: 1, now: new Date(4000) })), [a._id, b._id]);
      await store.jobsOutbox.markDead(a._id, 'boom again', new Date(5000));
      assert.equal(await store.jobsDeadLetters.discard(b._id), false, 'b is not dead');
      assert.equal(await store.jobsDeadLetters.discard(a._id), true);
      assert.equal(await store.outboxEvents.get(a._id), undefined);
      assert.deepEqual(await store.jobsDeadLetters.listDead(10), []);
      await dispose();
    });

    test('purge removes sent events and dead letters past their retention, nothing else', async () => {
      const { store, dispose } = await make();
      const [old, recent, dead, fresh, pending] = [event(1000), event(2000), event(3000), event(4000), event(5000)];
      for (const e of [old, recent, dead, fresh, pending]) await store.jobsOutbox.insert(e);
      await store.jobsOutbox.markSent([old._id], new Date(10_000));
      await store.jobsOutbox.markSent([recent._id], new Date(20_000));
      await store.jobsOutbox.markDead(dead._id, 'x', new Date(10_000));
      await store.jobsOutbox.markDead(fresh._id, 'x', new Date(20_000));
      assert.deepEqual(await store.jobsDeadLetters.purge(new Date(15_000), new Date(15_000)), { sent: 1, dead: 1 });
      assert.deepEqual(ids(await store.outboxEvents.list()), [recent._id, fresh._id, pending._id]);
      await dispose();
    });
  });
}
