import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { sqliteRunnerDatabase } from '../../src/adapters/sqlite/runner-database.js';
import { collectResult } from '../../src/stages/collector/collect.js';
import { encodeInferenceResult } from '../../src/core/messages.js';
import type { DeliveredMessage } from '../../src/ports/bus-message.js';

const log = pino({ level: 'silent' });
const person = { class: 'person', box: [10, 20, 30, 40] as [number, number, number, number], conf: 0.8 };

function delivered(frame: number, error?: string, attempt = 1): DeliveredMessage {
  const m = encodeInferenceResult('job-1', frame, error ? [] : [person], error);
  return { ...m, topic: 'inference_results', offset: String(frame), attempt, headers: {} };
}

async function setup(total: number | null) {
  const runnerDb = sqliteRunnerDatabase(openDatabase(':memory:'));
  await runnerDb.jobRecords.start({ _id: 'job-1', created_at: new Date(), expected_frames: 3, parameters: { sample_every: 5 } });
  if (total !== null) await runnerDb.frameCollection.setTotalFrames('job-1', total);
  return runnerDb;
}

test('a redelivered frame result never counts twice', async () => {
  const runnerDb = await setup(3);
  await collectResult(delivered(0), { frameCollection: runnerDb.frameCollection, log });
  await collectResult(delivered(0, undefined, 2), { frameCollection: runnerDb.frameCollection, log });
  await collectResult(delivered(5), { frameCollection: runnerDb.frameCollection, log });
  const r = await runnerDb.jobRecords.get('job-1');
  assert.equal(r?.received_frames, 2);
  assert.equal(r?.status, 'processing');
});

test('the last frame makes the job predictable, in any arrival order', async () => {
  const runnerDb = await setup(3);
  for (const f of [10, 0, 5]) await collectResult(delivered(f), { frameCollection: runnerDb.frameCollection, log });
  assert.equal((await runnerDb.jobRecords.get('job-1'))?.status, 'predictable');
  const frames = [];
  for await (const r of runnerDb.frameCollection.frameResults('job-1')) frames.push(r.frame);
  assert.deepEqual(frames, [0, 5, 10]);
});

test('results arriving before the total is known wait for it', async () => {
  const runnerDb = await setup(null);
  for (const f of [0, 5]) await collectResult(delivered(f), { frameCollection: runnerDb.frameCollection, log });
  assert.equal((await runnerDb.jobRecords.get('job-1'))?.status, 'processing');
  const after = await runnerDb.frameCollection.setTotalFrames('job-1', 2);
  assert.equal(after?.received_frames, 2);
  assert.ok(await runnerDb.frameCollection.markPredictable('job-1'));
});

test('a frame that could not be detected fails the job with its reason; later results change nothing', async () => {
  const runnerDb = await setup(3);
  await collectResult(delivered(0), { frameCollection: runnerDb.frameCollection, log });
  await collectResult(delivered(5, 'worker exploded'), { frameCollection: runnerDb.frameCollection, log });
  await collectResult(delivered(10), { frameCollection: runnerDb.frameCollection, log });
  const r = await runnerDb.jobRecords.get('job-1');
  assert.equal(r?.status, 'failed');
  assert.match(r?.error ?? '', /frame 5 .*worker exploded/);
  assert.equal(r?.received_frames, 1);
});

test('results for unknown jobs are dropped', async () => {
  const runnerDb = await setup(3);
  const m = encodeInferenceResult('no-such-job', 0, [person]);
  await collectResult({ ...m, topic: 't', offset: '1', attempt: 1, headers: {} }, { frameCollection: runnerDb.frameCollection, log });
  assert.equal(await runnerDb.jobRecords.get('no-such-job'), undefined);
});

test('a malformed result is refused as malformed (never retried)', async () => {
  const runnerDb = await setup(3);
  await assert.rejects(
    collectResult(
      { key: 'k', value: Buffer.from('{"frame":"x"}'), topic: 't', offset: '1', attempt: 1, headers: {} },
      { frameCollection: runnerDb.frameCollection, log },
    ),
    {
      name: 'MalformedMessageError',
    },
  );
});
