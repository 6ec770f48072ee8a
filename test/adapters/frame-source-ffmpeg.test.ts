import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DamageReport } from '../../src/core/damage.js';
import { FIXTURE } from '../support/derived-videos.js';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { frameSourceContract, segmentedReads } from '../contracts/frame-source-contract.js';

/**
 * The ffmpeg frame source passes the FrameSource contract (`test/contracts/frame-source-contract.ts`)
 * three ways: with the system's ffmpeg (Debian's 5.1, which the code prefers), reading every video
 * in 3 s segments as the runner reads long ones, and with the static build the npm package ships
 * (the fallback where there is no system ffmpeg: 4.x, whose `-vsync` and error lines differ).
 * Its confinement, limits and stall timeout: `frame-source-hostile.test.ts`.
 */
const require = createRequire(import.meta.url);
const npmBuild = {
  ffmpegPath: (require('@ffmpeg-installer/ffmpeg') as { path: string }).path,
  ffprobePath: (require('@ffprobe-installer/ffprobe') as { path: string }).path,
};
const system = resolveBinary('ffmpeg') !== npmBuild.ffmpegPath;
const make =
  (extra: { ffmpegPath?: string; ffprobePath?: string } = {}) =>
  (o: { tolerant: boolean }) =>
    new FfmpegFrameSource({ decodeErrors: o.tolerant ? 'tolerate' : 'fail', ...extra });

frameSourceContract({ name: `ffmpeg (${system ? 'system' : 'npm build'})`, make: make(), segmentCases: true });
frameSourceContract({
  name: 'ffmpeg, read in 3 s segments',
  make: (o) => segmentedReads(make()(o), 3),
  segmentCases: 'this variant reads in segments: the segment option’s cases run on the whole-read ones',
});
if (system) frameSourceContract({ name: 'ffmpeg (npm build)', make: make(npmBuild), segmentCases: true });

test('a truncated video, read whole: the frames it holds, and the frames its container states beyond the cut reported lost', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fw-truncated-'));
  try {
    // The fixture cut at 60 % of its bytes: its packets end at frame 43 (4.3 s, itself cut short).
    const video = await readFile(FIXTURE);
    const path = join(dir, 'truncated.mp4');
    await writeFile(path, video.subarray(0, Math.floor(video.length * 0.6)));
    for (const extra of system ? [{}, npmBuild] : [{}]) {
      let report: DamageReport | undefined;
      const frames: number[] = [];
      for await (const f of make(extra)({ tolerant: true }).frames(path, 5, { onDamage: (d) => (report = d) })) frames.push(f.frame);
      assert.deepEqual(frames, [0, 5, 10, 15, 20, 25, 30, 35, 40]);
      assert.deepEqual(report?.ranges, [
        { from_ms: 4300, to_ms: 4300, frames: 1, sampled_frames: 0 },
        { from_ms: 4400, to_ms: 9900, frames: 56, sampled_frames: 11 },
      ]);
      assert.deepEqual([report!.sampled_expected, report!.sampled_missing], [20, 11]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
