import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobProgress } from '../../src/core/progress.js';
import type { RunnerRecord } from '../../src/core/job.js';

const run = (received: number, total: number | null, expected: number | null): RunnerRecord => ({
  _id: 'j',
  status: 'processing',
  created_at: new Date(0),
  updated_at: new Date(0),
  expected_frames: expected,
  total_frames: total,
  received_frames: received,
  parameters: { sample_every: 5 },
});

test('stage, percent of the total (else the estimate) and ETA at the average rate so far', () => {
  assert.deepEqual(jobProgress('sent', undefined, 3), {
    stage: 'queued',
    frames_done: 0,
    frames_total: null,
    frames_expected: null,
    percent: null,
    eta_seconds: null,
  });
  // 10 of an expected 40 frames in 5 s: 2 frames/s, 30 left → 15 s.
  assert.deepEqual(jobProgress('processing', run(10, null, 40), 5), {
    stage: 'detecting',
    frames_done: 10,
    frames_total: null,
    frames_expected: 40,
    percent: 25,
    eta_seconds: 15,
  });
  // The total, once known, wins over the estimate.
  assert.equal(jobProgress('processing', run(10, 20, 40), 5).percent, 50);
  assert.equal(jobProgress('processing', run(10, 20, 40), 5).eta_seconds, 5);
  assert.equal(jobProgress('processing', run(0, null, 40), 5).eta_seconds, null, 'no rate yet');
  // A fast start (5 of 20 frames in 10 ms: 30 ms to go) still shows frames to come: rounded up.
  assert.equal(jobProgress('processing', run(5, null, 20), 0.01).eta_seconds, 0.1);
  assert.equal(jobProgress('processing', run(20, 20, 20), 0.01).eta_seconds, 0, 'nothing left');
  assert.deepEqual(jobProgress('predictable', run(20, 20, 20), 9), {
    stage: 'publishing',
    frames_done: 20,
    frames_total: 20,
    frames_expected: 20,
    percent: 100,
    eta_seconds: null,
  });
  assert.equal(jobProgress('ready', run(20, 20, 40), 9).percent, 100);
  assert.equal(jobProgress('failed', run(3, null, 40), 9).stage, 'failed');
});
