import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { claimIds, hooked, predictable, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The NotificationsDeadLetters contract: dead webhook notifications listed, replayed, discarded, purged.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function notificationsDeadLettersContract(name: string, make: MakeRunnerDatabase): void {
  describe(`notifications dead letters contract: ${name}`, () => {
    test('dead notifications: listed oldest first, replayed with attempts reset, discarded, purged; a job that ends again is a new notification', async () => {
      const { store, dispose } = await make();
      const [a, b, c] = [hooked(), hooked(), hooked()];
      for (const s of [a, b, c]) await predictable(store, s);
      await store.resultsOutbox.markReady(a._id, new Date(1000), { bucket: 'b', object: 'o' });
      await store.resultsOutbox.markReady(b._id, new Date(1000), { bucket: 'b', object: 'o' });
      const refA = { event_id: a._id, status: 'ready' as const, occurred_at: new Date(1000) };
      const refB = { ...refA, event_id: b._id };
      await store.notificationsOutbox.recordNotificationFailure(refA, 'HTTP 500', new Date(1500));
      assert.equal(await store.notificationsOutbox.markNotificationDead(refA, 'HTTP 503', new Date(3000)), true);
      assert.equal(await store.notificationsOutbox.markNotificationDead(refB, 'connection refused', new Date(2000)), true);
      const dead = await store.notificationsDeadLetters.listDeadNotifications(10);
      assert.deepEqual(
        dead.map((n) => n.event_id),
        [b._id, a._id],
        'oldest first',
      );
      assert.equal(dead[1]?.attempts, 2);
      assert.equal(dead[1]?.last_error, 'HTTP 503');
      assert.equal(dead[1]?.dead_at?.getTime(), 3000);
      assert.deepEqual(await claimIds(store, 'n', 1e12), [], 'dead letters are not claimed');
      assert.equal(await store.notificationsDeadLetters.replayNotification(c._id, new Date(4000)), false, 'c has no dead notification');
      assert.equal(await store.notificationsDeadLetters.replayNotification(a._id, new Date(4000)), true);
      assert.equal(await store.notificationsDeadLetters.replayNotification(a._id, new Date(4000)), false, 'no longer dead');
      const [back] = await store.notificationsOutbox.claimNotifications({ owner: 'n', limit: 10, leaseMs: 60_000, now: new Date(4000) });
      assert.equal(back?.event_id, a._id);
      assert.equal(back?.attempts, 0);
      assert.equal(back?.occurred_at.getTime(), 1000, 'the same notification (same delivery id)');
      assert.equal(await store.notificationsDeadLetters.discardNotification(a._id), false, 'pending, not dead');
      assert.equal(await store.notificationsDeadLetters.discardNotification(b._id), true);
      assert.equal(await store.notificationsDeadLetters.discardNotification(b._id), false);
      await store.notificationsOutbox.markNotificationDead(refA, 'HTTP 500', new Date(5000));
      assert.equal(await store.notificationsDeadLetters.purgeDeadNotifications(new Date(5000)), 0, 'not yet expired');
      assert.equal(await store.notificationsDeadLetters.purgeDeadNotifications(new Date(5001)), 1);
      assert.deepEqual(await store.notificationsDeadLetters.listDeadNotifications(10), []);
      // c: its result dies (a failed notification), an operator replays it, it ends ready.
      await store.resultsOutbox.markPublishDead(c._id, 'the result could not be published: x', new Date(6000));
      const refFailed = { event_id: c._id, status: 'failed' as const, occurred_at: new Date(6000) };
      await store.notificationsOutbox.markNotificationDead(refFailed, 'HTTP 500', new Date(6500));
      assert.deepEqual(
        (await store.notificationsDeadLetters.listDeadNotifications(10)).map((n) => n.event_id),
        [c._id],
      );
      assert.equal(await store.resultsDeadLetters.replayDead(c._id, new Date(7000)), true);
      assert.deepEqual(await store.notificationsDeadLetters.listDeadNotifications(10), [], 'the job is no longer failed');
      assert.equal(await store.resultsOutbox.markReady(c._id, new Date(8000), { bucket: 'b', object: 'o' }), true);
      const [again] = await store.notificationsOutbox.claimNotifications({ owner: 'n', limit: 10, leaseMs: 60_000, now: new Date(8000) });
      assert.deepEqual(
        [again?.event_id, again?.status, again?.occurred_at.getTime(), again?.attempts, again?.last_error],
        [c._id, 'ready', 8000, 0, undefined],
      );
      assert.equal(await store.notificationsOutbox.markNotified(refFailed, new Date(9000)), false, 'the earlier ending cannot mark the new one');
      await dispose();
    });
  });
}
