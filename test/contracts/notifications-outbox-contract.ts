import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { claimIds, hooked, predictable, sorted, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The NotificationsOutbox contract: webhook notifications claimed, retried, delivered.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function notificationsOutboxContract(name: string, make: MakeRunnerDatabase): void {
  describe(`notifications outbox contract: ${name}`, () => {
    test('notifications: leased to one notifier, a failure backs off and frees the lease, delivered is final', async () => {
      const { store, dispose } = await make();
      const [a, b] = [hooked(), hooked()];
      for (const s of [a, b]) {
        await predictable(store, s);
        await store.resultsOutbox.markReady(s._id, new Date(1000), { bucket: 'b', object: 'o' });
      }
      assert.deepEqual(await claimIds(store, 'n1', 2000), sorted(a._id, b._id));
      assert.deepEqual(await claimIds(store, 'n2', 2000), [], 'leased to n1');
      assert.deepEqual(await claimIds(store, 'n1', 2000), sorted(a._id, b._id), 'an owner may re-claim its own');
      const ref = { event_id: a._id, status: 'ready' as const, occurred_at: new Date(1000) };
      assert.equal(await store.notificationsOutbox.recordNotificationFailure(ref, 'the receiver answered HTTP 500', new Date(5000)), true);
      assert.deepEqual(await claimIds(store, 'n2', 4999), [], 'a not due yet, b still leased');
      const [retried] = await store.notificationsOutbox.claimNotifications({ owner: 'n2', limit: 10, leaseMs: 60_000, now: new Date(5000) });
      assert.equal(retried?.event_id, a._id, 'due, and its lease was freed');
      assert.equal(retried?.attempts, 1);
      assert.equal(retried?.last_error, 'the receiver answered HTTP 500');
      assert.equal(await store.notificationsOutbox.markNotified({ ...ref, occurred_at: new Date(999) }, new Date(6000)), false, 'another ending of the job');
      assert.equal(await store.notificationsOutbox.markNotified({ ...ref, status: 'failed' }, new Date(6000)), false, 'another status');
      assert.equal(await store.notificationsOutbox.markNotified(ref, new Date(6000)), true);
      assert.equal(await store.notificationsOutbox.markNotified(ref, new Date(6001)), false, 'once');
      assert.equal(await store.notificationsOutbox.recordNotificationFailure(ref, 'late', new Date(7000)), false, 'delivered is final');
      assert.equal(await store.notificationsOutbox.markNotificationDead(ref, 'late', new Date(7000)), false);
      assert.deepEqual(await claimIds(store, 'n3', 1e12), [b._id], 'a delivered notification is never claimed again');
      await dispose();
    });

    test('concurrent notifiers never claim the same notification', async () => {
      const { store, dispose } = await make();
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        const s = hooked();
        await predictable(store, s);
        await store.resultsOutbox.markReady(s._id, new Date(1000), { bucket: 'b', object: 'o' });
        ids.push(s._id);
      }
      const now = new Date(2000);
      const claims = await Promise.all(
        Array.from({ length: 5 }, (_, i) => store.notificationsOutbox.claimNotifications({ owner: `n${i}`, limit: 4, leaseMs: 60_000, now })),
      );
      const all = claims.flat().map((n) => n.event_id);
      assert.equal(new Set(all).size, all.length, 'no notification claimed twice');
      const rest = await store.notificationsOutbox.claimNotifications({ owner: 'late', limit: 20, leaseMs: 60_000, now });
      assert.deepEqual([...all, ...rest.map((n) => n.event_id)].sort(), [...ids].sort(), 'every notification claimed once');
      await dispose();
    });
  });
}
