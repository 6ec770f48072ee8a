import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { claimIds, hooked, HOOK, input, predictable, sorted, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * Across the runner ports: a write that ends a job (`ResultsOutbox.markReady`, `markPublishDead`, `FrameCollection.markFailed`) makes its webhook notification (`NotificationsOutbox`) due in the same write.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function runnerDatabaseContract(name: string, make: MakeRunnerDatabase): void {
  describe(`runner database contract: ${name}`, () => {
    test('a job that ends asks its webhook in the same write: ready, failed, result dead letter, failed before start; none without a webhook', async () => {
      const { store, dispose } = await make();
      const ready = hooked();
      await predictable(store, ready);
      const quiet = hooked(false);
      await predictable(store, quiet);
      const running = hooked();
      await store.jobRecords.start(running);
      assert.deepEqual(await claimIds(store, 'n', 1e12), [], 'nothing is due before a job ends');
      assert.equal(await store.resultsOutbox.markReady(ready._id, new Date(7000), { bucket: 'b', object: 'o' }), true);
      assert.equal(await store.resultsOutbox.markReady(quiet._id, new Date(7000), { bucket: 'b', object: 'o' }), true);
      assert.equal(await store.frameCollection.markFailed(running._id, 'the video is damaged', new Date(8000)), true);
      const dead = hooked();
      await predictable(store, dead);
      assert.equal(await store.resultsOutbox.markPublishDead(dead._id, 'the result could not be published: AccessDenied', new Date(8500)), true);
      const never = randomUUID();
      assert.equal(
        await store.frameCollection.markFailed(never, 'no video stream', new Date(9000), { created_at: new Date(1000), input: input(never) }),
        true,
        'failed before the runner started it',
      );
      assert.deepEqual((await store.jobRecords.get(never))?.input, input(never), 'the input given is kept');
      await store.frameCollection.markFailed(randomUUID(), 'no input, no webhook', new Date(9000));
      assert.deepEqual(await claimIds(store, 'n', 8999), sorted(ready._id, running._id, dead._id), 'each due from its own end');
      const all = await store.notificationsOutbox.claimNotifications({ owner: 'n', limit: 10, leaseMs: 60_000, now: new Date(9000) });
      assert.deepEqual(all.map((n) => n.event_id).sort(), sorted(ready._id, running._id, dead._id, never));
      const of = (id: string) => all.find((n) => n.event_id === id)!;
      assert.deepEqual(of(ready._id), {
        event_id: ready._id,
        status: 'ready',
        webhook_url: HOOK,
        occurred_at: new Date(7000),
        created_at: new Date(1000),
        attempts: 0,
        next_attempt_at: new Date(7000),
      });
      assert.equal(of(running._id).status, 'failed');
      assert.equal(of(running._id).reason, 'the video is damaged');
      assert.equal(of(running._id).occurred_at.getTime(), 8000);
      assert.match(of(dead._id).reason ?? '', /could not be published/);
      assert.equal(of(never).reason, 'no video stream');
      assert.equal((await store.jobRecords.get(ready._id))?.status, 'ready', 'the record reads as before');
      await dispose();
    });
  });
}
