import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { openDatabase } from '../../src/adapters/sqlite/database.js';
import { SqliteRunnerStore } from '../../src/adapters/runner-store/sqlite.js';
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
  const runs = new SqliteRunnerStore(openDatabase(':memory:'));
  await runs.start({ _id: 'job-1', created_at: new Date(), expected_frames: 3, parameters: { sample_every: 5 } });
  if (total !== null) await runs.setTotalFrames('job-1', total);
  return runs;
}

test('a redelivered frame result never counts twice', async () => {
  const runs = await setup(3);
  await collectResult(delivered(0), { runs, log });
  await collectResult(delivered(0, undefined, 2), { runs, log });
  await collectResult(delivered(5), { runs, log });
  const r = await runs.get('job-1');
  assert.equal(r?.received_frames, 2);
  assert.equal(r?.status, 'processing');
});

test('the last frame makes the job predictable, in any arrival order', async () => {
  const runs = await setup(3);
  for (const f of [10, 0, 5]) await collectResult(delivered(f), { runs, log });
  assert.equal((await runs.get('job-1'))?.status, 'predictable');
  const frames = [];
  for await (const r of runs.frameResults('job-1')) frames.push(r.frame);
  assert.deepEqual(frames, [0, 5, 10]);
});

test('results arriving before the total is known wait for it', async () => {
  const runs = await setup(null);
  for (const f of [0, 5]) await collectResult(delivered(f), { runs, log });
  assert.equal((await runs.get('job-1'))?.status, 'processing');
  const after = await runs.setTotalFrames('job-1', 2);
  assert.equal(after?.received_frames, 2);
  assert.ok(await runs.markPredictable('job-1'));
});

test('a frame that could not be detected fails the job with its reason; later results change nothing', async () => {
  const runs = await setup(3);
  await collectResult(delivered(0), { runs, log });
  await collectResult(delivered(5, 'worker exploded'), { runs, log });
  await collectResult(delivered(10), { runs, log });
  const r = await runs.get('job-1');
  assert.equal(r?.status, 'failed');
  assert.match(r?.error ?? '', /frame 5 .*worker exploded/);
  assert.equal(r?.received_frames, 1);
});

test('results for unknown jobs are dropped', async () => {
  const runs = await setup(3);
  const m = encodeInferenceResult('no-such-job', 0, [person]);
  await collectResult({ ...m, topic: 't', offset: '1', attempt: 1, headers: {} }, { runs, log });
  assert.equal(await runs.get('no-such-job'), undefined);
});

test('a malformed result is refused as malformed (never retried)', async () => {
  const runs = await setup(3);
  await assert.rejects(collectResult({ key: 'k', value: Buffer.from('{"frame":"x"}'), topic: 't', offset: '1', attempt: 1, headers: {} }, { runs, log }), {
    name: 'MalformedMessageError',
  });
});
