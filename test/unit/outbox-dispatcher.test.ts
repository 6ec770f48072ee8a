import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { dispatchRound, type Dispatcher, type DispatchQueue } from '../../src/core/outbox-dispatcher.js';
import { retryDelayMs, type RetryPolicy } from '../../src/core/retry-policy.js';

interface Item {
  _id: string;
  attempts: number;
}

/** An in-memory queue (a fake of our own port) that records what the engine did. */
function fakeQueue(items: Item[]) {
  const log: string[] = [];
  const queue: DispatchQueue<Item> = {
    claim: async (c) => items.splice(0, c.limit),
    complete: async (done) => void log.push(`done ${done.map((i) => i._id).join(',')}`),
    retryLater: async (i, error, next) => void log.push(`retry ${i._id} ${error} +${Math.round((next.getTime() - Date.now()) / 1000)}s`),
    bury: async (i, error) => void log.push(`dead ${i._id} ${error}`),
  };
  return { queue, log };
}

const policy: RetryPolicy = { baseMs: 1000, capMs: 300_000, maxAttempts: 10 };
const silent = pino({ level: 'silent' });

function dispatcher(queue: DispatchQueue<Item>, over: Partial<Dispatcher<Item>>): Dispatcher<Item> {
  return {
    queue,
    deliverOne: async () => {},
    owner: 'test',
    leaseMs: 1000,
    batchSize: 10,
    policy,
    log: silent,
    describe: (i) => ({ id: i._id }),
    attemptsOf: (i) => i.attempts,
    ...over,
  };
}

test('backoff doubles from the base up to the cap, with jitter between half and all of it', () => {
  assert.equal(
    retryDelayMs(policy, 1, () => 0),
    500,
  );
  assert.equal(
    retryDelayMs(policy, 1, () => 0.999999),
    1000,
  );
  assert.equal(
    retryDelayMs(policy, 4, () => 0.999999),
    8000,
  );
  assert.equal(
    retryDelayMs(policy, 20, () => 0.999999),
    300_000,
    'capped',
  );
  const spread = new Set(Array.from({ length: 50 }, () => retryDelayMs(policy, 3)));
  assert.ok(spread.size > 10, 'jitter spreads retries of events that failed together');
  for (const d of spread) assert.ok(d >= 2000 && d <= 4000);
});

test('a batch is delivered at once and completed together', async () => {
  const { queue, log } = fakeQueue([
    { _id: 'a', attempts: 0 },
    { _id: 'b', attempts: 0 },
  ]);
  const batches: string[][] = [];
  const n = await dispatchRound(dispatcher(queue, { deliverBatch: async (is) => void batches.push(is.map((i) => i._id)) }));
  assert.equal(n, 2);
  assert.deepEqual(batches, [['a', 'b']]);
  assert.deepEqual(log, ['done a,b']);
});

test('a batch with one bad item falls back to one by one: the others are delivered, the bad one retried later', async () => {
  const { queue, log } = fakeQueue([
    { _id: 'a', attempts: 0 },
    { _id: 'bad', attempts: 2 },
    { _id: 'c', attempts: 0 },
  ]);
  const poisoned = (ids: string[]) => {
    if (ids.includes('bad')) throw new Error('RecordTooLarge');
  };
  await dispatchRound(
    dispatcher(queue, {
      deliverBatch: async (is) => poisoned(is.map((i) => i._id)),
      deliverOne: async (i) => poisoned([i._id]),
    }),
  );
  assert.equal(log[0], 'done a');
  assert.match(log[1]!, /^retry bad RecordTooLarge \+[2-4]s$/, 'third attempt waits 2–4 s');
  assert.equal(log[2], 'done c');
});

test('the last allowed attempt dead-letters the item with its error', async () => {
  const { queue, log } = fakeQueue([{ _id: 'x', attempts: 9 }]);
  await dispatchRound(dispatcher(queue, { deliverOne: async () => Promise.reject(new Error('topic authorization failed')) }));
  assert.deepEqual(log, ['dead x topic authorization failed']);
});

test('an outage is not the item’s fault: nothing is counted, the round fails and the items stay leased', async () => {
  const { queue, log } = fakeQueue([
    { _id: 'a', attempts: 9 },
    { _id: 'b', attempts: 0 },
  ]);
  const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
  await assert.rejects(
    dispatchRound(dispatcher(queue, { deliverBatch: async () => Promise.reject(outage), deliverOne: async () => Promise.reject(outage) })),
    /ECONNREFUSED/,
  );
  assert.deepEqual(log, [], 'no attempt counted, nothing dead-lettered');
});

test('an idle round claims nothing and reports 0', async () => {
  const { queue, log } = fakeQueue([]);
  assert.equal(await dispatchRound(dispatcher(queue, {})), 0);
  assert.deepEqual(log, []);
});
