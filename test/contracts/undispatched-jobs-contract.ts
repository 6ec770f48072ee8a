import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hooked, input, type MakeRunnerDatabase } from './runner-fixtures.js';

/**
 * The UndispatchedJobs contract: jobs whose event died before dispatch, recorded and withdrawn.
 * `make` gives an empty runner database's ports (see `runner-fixtures.ts`).
 */
export function undispatchedJobsContract(name: string, make: MakeRunnerDatabase): void {
  describe(`undispatched jobs contract: ${name}`, () => {
    test('failUndispatched records a failed job to announce only where there is no record; forgetUndispatched deletes only those', async () => {
      const { store, dispose } = await make();
      const id = randomUUID();
      const job = { _id: id, created_at: new Date(500), input: input(id), traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
      assert.equal(
        await store.undispatchedJobs.failUndispatched(job, 'the job could not be dispatched after 10 attempts: RECORD_TOO_LARGE', new Date(3000)),
        true,
      );
      assert.equal(await store.undispatchedJobs.failUndispatched(job, 'again', new Date(4000)), false, 'once');
      const r = await store.jobRecords.get(id);
      assert.equal(r?.status, 'failed');
      assert.equal(r?.error, 'the job could not be dispatched after 10 attempts: RECORD_TOO_LARGE');
      assert.equal(r?.failed_at?.getTime(), 3000);
      assert.deepEqual(r?.input, input(id));
      assert.deepEqual(await store.resultsDeadLetters.listDead(10), [], 'not a result dead letter');
      const [n] = await store.notificationsOutbox.claimNotifications({ owner: 'n', limit: 10, leaseMs: 60_000, now: new Date(3000) });
      assert.deepEqual([n?.event_id, n?.status, n?.occurred_at.getTime(), n?.created_at.getTime(), n?.traceparent], [id, 'failed', 3000, 500, job.traceparent]);
      const running = hooked();
      await store.jobRecords.start(running);
      assert.equal(
        await store.undispatchedJobs.failUndispatched({ _id: running._id, created_at: new Date(500), input: running.input }, 'x', new Date(3000)),
        false,
        'the runner has it',
      );
      assert.equal((await store.jobRecords.get(running._id))?.status, 'processing');
      assert.equal(await store.undispatchedJobs.forgetUndispatched(running._id), false, 'only records made for dead events');
      assert.equal(await store.undispatchedJobs.forgetUndispatched(id), true);
      assert.equal(await store.jobRecords.get(id), undefined);
      assert.equal(await store.undispatchedJobs.forgetUndispatched(id), false);
      assert.equal(
        await store.undispatchedJobs.failUndispatched(job, 'the job could not be dispatched', new Date(5000)),
        true,
        'made again after it was forgotten',
      );
      await dispose();
    });
  });
}
