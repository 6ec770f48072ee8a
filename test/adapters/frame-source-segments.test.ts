import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { planSegments } from '../../src/core/segments.js';
import { loopOfFixture } from '../support/derived-videos.js';

const run = promisify(execFile);
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';

/**
 * A long video read in segments gives exactly the frames of one read: the same frame numbers,
 * timestamps and pixels, each once — for H.264 with B-frames (closed and open GOPs), HEVC in
 * Matroska, and vtest.avi's MS-MPEG4 where installed. Every segment after the first starts with a
 * seek to its keyframe.
 */
describe('frame source: segments read exactly what one read does', () => {
  let dir: string;
  const source = new FfmpegFrameSource({ decodeErrors: 'fail' });
  const videos: Record<string, string> = {};

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-segments-'));
    // The fixture 4 times over: 40 s of H.264 (x264, B-frames), a keyframe every 10 s.
    videos.h264 = await loopOfFixture(dir, 'loop4.mp4', 4);
    const ffmpeg = resolveBinary('ffmpeg');
    videos['h264-open-gop'] = join(dir, 'open-gop.mp4');
    await run(ffmpeg, ['-v', 'error', '-y', '-i', videos.h264, '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-x264-params', 'open-gop=1:keyint=60:min-keyint=20', videos['h264-open-gop']]);
    videos['hevc-mkv'] = join(dir, 'hevc.mkv');
    await run(ffmpeg, ['-v', 'error', '-y', '-i', videos.h264, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'keyint=60:open-gop=1:log-level=error', videos['hevc-mkv']]);
    if (existsSync(VTEST)) videos['msmpeg4-avi'] = VTEST;
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const fingerprint = (f: { frame: number; timestampMs?: number; image: { data: Uint8Array } }) => `${f.frame}@${f.timestampMs}:${createHash('sha1').update(f.image.data).digest('hex')}`;

  for (const [name, every, seconds] of [['h264', 5, 10], ['h264', 3, 8], ['h264-open-gop', 5, 10], ['hevc-mkv', 4, 10], ['msmpeg4-avi', 5, 20]] as const) {
    test(`${name}, 1 frame in ${every}, ${seconds} s segments`, { skip: name === 'msmpeg4-avi' && !existsSync(VTEST) ? `${VTEST} is not installed (Debian opencv-doc)` : false }, async () => {
      const file = videos[name]!;
      const index = await source.index(file);
      assert.ok(index, 'indexed');
      const plan = planSegments(index, every, seconds);
      assert.ok(plan.length >= 3, `${plan.length} segments`);
      const whole: string[] = [];
      for await (const f of source.frames(file, every)) whole.push(fingerprint(f));
      const split: string[] = [];
      for (const p of plan) {
        const before = split.length;
        for await (const f of source.frames(file, every, { segment: { ...p, ptsOffset: index.ptsOffset } })) split.push(fingerprint(f));
        assert.equal(split.length - before, p.sampledPts.length, `segment ${p.segment} gave the frames it listed`);
      }
      assert.equal(split.length, whole.length);
      assert.deepEqual(split, whole);
    });
  }

  test('a video without timestamps on its packets cannot be indexed (it is read in one piece)', async () => {
    const avi = join(dir, 'mpeg4-bframes.avi');
    await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', videos.h264!, '-t', '4', '-c:v', 'mpeg4', '-bf', '2', '-q:v', '8', avi]);
    assert.equal(await source.index(avi), undefined);
  });

  test('a segment whose frames are not the ones listed fails loudly, naming the problem', async () => {
    const index = (await source.index(videos.h264!))!;
    const [, second] = planSegments(index, 5, 10);
    const wrong = { ...second!, sampledPts: second!.sampledPts.map((p) => p + 1), ptsOffset: index.ptsOffset };
    await assert.rejects(
      (async () => {
        for await (const _ of source.frames(videos.h264!, 5, { segment: wrong })) void _;
      })(),
      /cannot be split at its keyframes: in segment 1, frame 100 decoded at timestamp \d+ where the container lists timestamp \d+/,
    );
  });
});
