import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSampled, sampleEvery, sampledFrameCount } from '../../src/core/sampling.js';

test('every N frames samples 0, N, 2N, …', () => {
  const every = sampleEvery({ everyNFrames: 5 }, 25);
  const sampled = Array.from({ length: 23 }, (_, n) => n).filter((n) => isSampled(n, every));
  assert.deepEqual(sampled, [0, 5, 10, 15, 20]);
  assert.equal(sampledFrameCount(23, every), 5);
  assert.equal(sampledFrameCount(100, 5), 20);
  assert.equal(sampledFrameCount(101, 5), 21);
  assert.equal(sampledFrameCount(0, 5), 0);
});

test('a target rate becomes the nearest whole step of the video rate', () => {
  assert.equal(sampleEvery({ targetFps: 2 }, 10), 5);
  assert.equal(sampleEvery({ targetFps: 2 }, 29.97), 15);
  assert.equal(sampleEvery({ targetFps: 1 }, 23.976), 24);
  assert.equal(sampleEvery({ targetFps: 60 }, 25), 1, 'never below every frame');
  assert.equal(sampleEvery({ targetFps: 2 }, undefined, 7), 7, 'unknown rate falls back');
});

test('every N is at least 1 and whole', () => {
  assert.equal(sampleEvery({ everyNFrames: 0 }, 25), 1);
  assert.equal(sampleEvery({ everyNFrames: 3.9 }, 25), 3);
});
