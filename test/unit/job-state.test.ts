import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allFramesIn, canTransition, isFinal, jobStatus, JOB_STATUSES } from '../../src/core/job.js';

test('the happy path moves forward one step at a time', () => {
  const path = ['new', 'sent', 'processing', 'predictable', 'ready'] as const;
  for (let i = 0; i + 1 < path.length; i++) assert.ok(canTransition(path[i]!, path[i + 1]!), `${path[i]} → ${path[i + 1]}`);
  assert.equal(canTransition('new', 'processing'), false, 'no skipping the relay');
  assert.equal(canTransition('processing', 'ready'), false, 'no skipping predictable');
  assert.equal(canTransition('sent', 'new'), false, 'no going back');
});

test('every non-final status can fail; ready and failed are final', () => {
  for (const s of JOB_STATUSES) {
    if (s === 'ready' || s === 'failed') {
      assert.ok(isFinal(s));
      for (const t of JOB_STATUSES) assert.equal(canTransition(s, t), false, `${s} → ${t}`);
    } else {
      assert.ok(canTransition(s, 'failed'), `${s} → failed`);
    }
  }
});

test('a client sees the runner status once the runner has the job', () => {
  assert.equal(jobStatus('new', undefined), 'new');
  assert.equal(jobStatus('sent', undefined), 'sent');
  assert.equal(jobStatus('sent', 'processing'), 'processing');
  assert.equal(jobStatus('sent', 'failed'), 'failed');
});

test('all frames are in only when the total is known and reached', () => {
  assert.equal(allFramesIn({ total_frames: null, received_frames: 10 }), false);
  assert.equal(allFramesIn({ total_frames: 20, received_frames: 19 }), false);
  assert.equal(allFramesIn({ total_frames: 20, received_frames: 20 }), true);
  assert.equal(allFramesIn({ total_frames: 0, received_frames: 0 }), true);
});
