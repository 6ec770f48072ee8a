import { test } from 'node:test';
import assert from 'node:assert/strict';
import { damageVerdict, lostTail, missingRanges, withLostTail, type DamageReport } from '../../src/core/damage.js';
import { loadConfig } from '../../src/core/config.js';

// 100 frames at 10 fps in a 1/10240 time base (the fixture's), starting at 0.
const index = { timeBase: { num: 1, den: 10240 }, ptsOffset: 0, pts: Float64Array.from({ length: 100 }, (_, i) => i * 1024) };
const decodedBut = (...gone: Array<[number, number]>) => index.pts.filter((_, i) => !gone.some(([a, b]) => i >= a && i <= b));

test('missingRanges: runs of frames the decode lacks, with their times and sampled frames', () => {
  assert.deepEqual(
    missingRanges(index, decodedBut([20, 50], [97, 97]), 0, 99, (i) => i % 5 === 0),
    [
      { from_ms: 2000, to_ms: 5000, frames: 31, sampled_frames: 7 },
      { from_ms: 9700, to_ms: 9700, frames: 1, sampled_frames: 0 },
    ],
  );
  assert.deepEqual(
    missingRanges(index, decodedBut([20, 50]), 30, 39, () => true),
    [{ from_ms: 3000, to_ms: 3900, frames: 10, sampled_frames: 10 }],
    'only within the range asked',
  );
  assert.deepEqual(
    missingRanges(index, decodedBut(), 0, 99, () => true),
    [],
  );
});

const report = (missing: number, expected: number, ranges: DamageReport['ranges']): DamageReport => ({
  sampled_expected: expected,
  sampled_missing: missing,
  ranges,
  first_error: 'h264: Invalid NAL unit size',
});
const range = { from_ms: 2000, to_ms: 5000, frames: 31, sampled_frames: 7 };

test('damageVerdict: within the share, a warning per range (segments’ ranges in time order)', () => {
  const later = { from_ms: 13_100, to_ms: 14_800, frames: 15, sampled_frames: 3 };
  const v = damageVerdict([report(3, 20, [later]), report(6, 20, [range])], 31, 0.5);
  assert.equal(v.failure, undefined);
  assert.deepEqual(
    v.warnings.map((w) => [w.code, w.from_ms, w.to_ms, w.frames]),
    [
      ['damaged_frames', 2000, 5000, 31],
      ['damaged_frames', 13_100, 14_800, 15],
    ],
  );
  assert.match(v.warnings[0]!.message, /^31 frames at 2\.0 s–5\.0 s could not be decoded/);
});

test('damageVerdict: over the share, the reason names the share and the ranges; at it, not', () => {
  assert.equal(damageVerdict([report(5, 20, [range])], 15, 0.25).failure, undefined, '5 of 20 is the share itself');
  assert.equal(
    damageVerdict([report(6, 20, [range])], 14, 0.25).failure,
    'the video is too damaged: 6 of 20 sampled frames (30 %) could not be decoded, more than the allowed share of 0.25 (FRAMEWISE_MAX_DAMAGED_SHARE): damaged at 2.0 s–5.0 s',
  );
});

test('damageVerdict: no frame decoded fails whatever the share; concealed errors warn without a range', () => {
  assert.match(
    damageVerdict([report(20, 20, [{ ...range, from_ms: 0, to_ms: 9900, frames: 100, sampled_frames: 20 }])], 0, 1).failure!,
    /^no frame of the video could be decoded: damaged at 0\.0 s–9\.9 s$/,
  );
  const concealed = damageVerdict([report(0, 20, [])], 20, 0.5);
  assert.equal(concealed.failure, undefined);
  assert.deepEqual(
    concealed.warnings.map((w) => [w.code, w.from_ms]),
    [['decode_errors', undefined]],
  );
  assert.deepEqual(damageVerdict([], 20, 0.5), { warnings: [] });
});

test('config: damaged frames are tolerated by default, within a share of 0.5 (0–1)', () => {
  const c = loadConfig({});
  assert.equal(c.decodeErrors, 'tolerate');
  assert.equal(c.maxDamagedShare, 0.5);
  assert.equal(loadConfig({ FRAMEWISE_MAX_DAMAGED_SHARE: '0.1' }).maxDamagedShare, 0.1);
  assert.throws(() => loadConfig({ FRAMEWISE_MAX_DAMAGED_SHARE: '1.5' }), /FRAMEWISE_MAX_DAMAGED_SHARE/);
});

test('lostTail: the frames a container states beyond its index, with their sampled frames; none for at most one', () => {
  // The index lists 100 frames (0–9.9 s); the header states 130 at 10 fps.
  assert.deepEqual(lostTail(index, { frameCount: 130, fps: 10 }, 5), { from_ms: 10_000, to_ms: 12_900, frames: 30, sampled_frames: 6 });
  assert.equal(lostTail(index, { frameCount: 101, fps: 10 }, 5), undefined, 'an estimate one frame off');
  assert.equal(lostTail(index, { frameCount: 130, fps: undefined }, 5), undefined, 'no rate: no timeline for the tail');
  const report = { sampled_expected: 20, sampled_missing: 1, ranges: [], first_error: '' };
  assert.deepEqual(withLostTail(report, lostTail(index, { frameCount: 130, fps: 10 }, 5)), {
    sampled_expected: 26,
    sampled_missing: 7,
    ranges: [{ from_ms: 10_000, to_ms: 12_900, frames: 30, sampled_frames: 6 }],
    first_error: '',
  });
  assert.equal(withLostTail(report, undefined), report);
});
