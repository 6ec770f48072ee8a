import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DuplicateIdempotencyKeyError } from '../../src/ports/jobs-outbox.js';
import { event, ids, type MakeOutboxDatabase } from './outbox-fixtures.js';

/**
 * The JobsOutbox contract: inserts, idempotency keys, claims and leases, marks.
 * `make` gives an empty jobs-outbox database's ports (see `outbox-fixtures.ts`).
 */
export function jobsOutboxContract(name: string, make: MakeOutboxDatabase): void {
  describe(`jobs outbox contract: ${name}`, () => {
    test('an inserted event reads back with its envelope, new and due at once; an id is never inserted twice', async () => {
      const { store, dispose } = await make();
      const e = event(1000);
      await store.jobsOutbox.insert(e);
      assert.deepEqual(await store.outboxEvents.get(e._id), { ...e, status: 'new', attempts: 0, next_attempt_at: new Date(1000) });
      await assert.rejects(store.jobsOutbox.insert(e));
      assert.equal(await store.outboxEvents.get(randomUUID()), undefined);
      await dispose();
    });

    test('an idempotency key names one event: a second insert with it rejects with DuplicateIdempotencyKeyError', async () => {
      const { store, dispose } = await make();
      const [a, b, c, d] = [event(1000), event(2000), event(3000), event(4000)];
      await store.jobsOutbox.insert(a, 'client-key-1');
      await assert.rejects(store.jobsOutbox.insert(b, 'client-key-1'), DuplicateIdempotencyKeyError);
      assert.equal(await store.outboxEvents.get(b._id), undefined, 'the loser is not stored');
      assert.equal((await store.jobsOutbox.findByIdempotencyKey('client-key-1'))?._id, a._id);
      assert.equal(await store.jobsOutbox.findByIdempotencyKey('client-key-2'), undefined);
      // Events without a key never collide with each other, nor with a key that looks like an id.
      await store.jobsOutbox.insert(c);
      await store.jobsOutbox.insert(d);
      await store.jobsOutbox.insert(event(5000), c._id);
      assert.equal((await store.outboxEvents.list()).length, 4);
      // Sending changes nothing: the key still names its event, and the event's id is still taken.
      assert.equal(await store.jobsOutbox.markSent([a._id], new Date(6000)), 1);
      assert.equal((await store.jobsOutbox.findByIdempotencyKey('client-key-1'))?._id, a._id);
      await assert.rejects(store.jobsOutbox.insert(event(7000), 'client-key-1'), DuplicateIdempotencyKeyError);
      await assert.rejects(store.jobsOutbox.insert(a));
      assert.equal((await store.outboxEvents.list()).length, 4);
      const keyed = event(8000);
      await store.jobsOutbox.insert(keyed, 'client-key-3');
      const pending = ids(await store.outboxEvents.list()).filter((id) => id !== a._id);
      assert.equal(pending.at(-1), keyed._id);
      assert.deepEqual(
        ids(await store.jobsOutbox.claimDue({ owner: 'r', limit: 10, leaseMs: 1000, now: new Date(8000) })),
        pending,
        'a keyed insert is due at once',
      );
      await dispose();
    });

    test('claims are oldest first, bounded, exclusive while leased, and free again when the lease expires', async () => {
      const { store, dispose } = await make();
      const [a, b, c] = [event(3000), event(1000), event(2000)];
      for (const e of [a, b, c]) await store.jobsOutbox.insert(e);
      const t = new Date(10_000);
      const claim = (owner: string, limit: number, now = t) => store.jobsOutbox.claimDue({ owner, limit, leaseMs: 1000, now }).then(ids);
      assert.deepEqual(await claim('r1', 2), [b._id, c._id]);
      assert.deepEqual(await claim('r2', 10), [a._id], 'another relay gets only what is not leased');
      assert.deepEqual(await claim('r3', 10), [], 'everything is leased');
      assert.deepEqual(await claim('r1', 10), [b._id, c._id], 'an owner may re-claim its own leases');
      assert.deepEqual(await claim('r3', 10, new Date(11_001)), [b._id, c._id, a._id], 'expired leases are claimable, oldest first');
      await dispose();
    });

    test('concurrent claimers never get the same event, and together get them all', async () => {
      const { store, dispose } = await make();
      const events = Array.from({ length: 60 }, (_, i) => event(1000 + i));
      for (const e of events) await store.jobsOutbox.insert(e);
      const now = new Date(10_000);
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => store.jobsOutbox.claimDue({ owner: `r${i}`, limit: 25, leaseMs: 60_000, now })));
      const rest = await store.jobsOutbox.claimDue({ owner: 'late', limit: 100, leaseMs: 60_000, now });
      const all = [...claims.flat(), ...rest].map((e) => e._id);
      assert.equal(new Set(all).size, all.length, 'no event claimed twice');
      assert.equal(all.length, 60, 'every event claimed once');
      await dispose();
    });

    test('markSent is conditional and idempotent; sent events are never claimed', async () => {
      const { store, dispose } = await make();
      const [a, b, c] = [event(3000), event(1000), event(2000)];
      for (const e of [a, b, c]) await store.jobsOutbox.insert(e);
      assert.equal(await store.jobsOutbox.markSent([b._id], new Date(5000)), 1);
      assert.equal(await store.jobsOutbox.markSent([b._id, randomUUID()], new Date(6000)), 0);
      const sent = await store.outboxEvents.get(b._id);
      assert.equal(sent?.status, 'sent');
      assert.equal(sent?.sent_at?.getTime(), 5000);
      assert.deepEqual(ids(await store.jobsOutbox.claimDue({ owner: 'r', limit: 10, leaseMs: 1000, now: new Date(9000) })), [c._id, a._id]);
      assert.deepEqual(await store.outboxEvents.countByStatus(), { new: 2, sent: 1 });
      assert.equal((await store.outboxEvents.list()).length, 3);
      assert.deepEqual(await store.outboxEvents.clearBefore(new Date(2000)), [b._id], 'only events created before the cutoff (this one sent)');
      assert.deepEqual(ids(await store.outboxEvents.list()), [c._id, a._id], 'one created at the cutoff stays');
      assert.deepEqual((await store.outboxEvents.clearBefore(new Date(1e12))).sort(), [a._id, c._id].sort());
      assert.equal((await store.outboxEvents.list()).length, 0);
      assert.deepEqual(await store.outboxEvents.clearBefore(new Date(1e12)), [], 'a repeat removes nothing');
      await dispose();
    });

    test('a failed attempt is counted, frees the lease and waits for its due time; dead letters are never claimed', async () => {
      const { store, dispose } = await make();
      const [a, b] = [event(1000), event(2000)];
      for (const e of [a, b]) await store.jobsOutbox.insert(e);
      const claim = (owner: string, now: number) => store.jobsOutbox.claimDue({ owner, limit: 10, leaseMs: 60_000, now: new Date(now) }).then(ids);
      assert.deepEqual(await claim('r1', 3000), [a._id, b._id]);
      assert.equal(await store.jobsOutbox.recordFailure(a._id, 'RecordTooLarge', new Date(8000)), true);
      const retried = await store.outboxEvents.get(a._id);
      assert.equal(retried?.attempts, 1);
      assert.equal(retried?.last_error, 'RecordTooLarge');
      assert.equal(retried?.next_attempt_at.getTime(), 8000);
      assert.deepEqual(await claim('r2', 7999), [], 'not due yet (and b is still leased to r1)');
      assert.deepEqual(await claim('r2', 8000), [a._id], 'due, and its lease was freed');
      assert.equal(await store.jobsOutbox.markDead(a._id, 'still too large', new Date(9000)), true);
      assert.equal(await store.jobsOutbox.markDead(a._id, 'again', new Date(9500)), false, 'only a new event dies');
      assert.equal(await store.jobsOutbox.recordFailure(a._id, 'x', new Date()), false);
      const dead = await store.outboxEvents.get(a._id);
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.attempts, 2);
      assert.equal(dead?.dead_at?.getTime(), 9000);
      assert.deepEqual(await claim('r3', 1_000_000), [b._id], 'the dead letter is not claimed');
      assert.deepEqual(ids(await store.jobsDeadLetters.listDead(10)), [a._id]);
      assert.deepEqual(await store.outboxEvents.countByStatus(), { new: 1, dead: 1 });
      await dispose();
    });
  });
}
