import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { VideoDecodeError, type FrameReadOptions, type FrameSource, type SampledFrame } from '../../src/ports/frame-source.js';
import { planSegments } from '../../src/core/segments.js';
import type { DamageReport } from '../../src/core/damage.js';
import { DAMAGED, damagedCopy, damagedFixture, loopOfFixture } from '../support/derived-videos.js';

/**
 * The FrameSource port's contract (`src/ports/frame-source.ts`), for every frame source, on real
 * videos: the vtest fixture (`test/fixtures/vtest-10s.mp4`, 100 frames at 10 fps), Debian
 * opencv-doc's vtest.avi (MS-MPEG4, 795 frames) and Megamind.avi (MPEG-4 part 2, 29.97 fps) where
 * installed, variants of the fixture made here by the real ffmpeg (other codecs, a variable frame
 * rate, a shifted start, a rotation flag, an hour-long loop) and a damaged copy
 * (`damagedFixture`). What each member promises: probe's facts and refusals, frames' order,
 * numbering, timestamps, sampling, sizes, rotation, pixel ownership (`reuse`), streaming memory,
 * stopping, segments, damage; index's timeline.
 */
const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const VIDEO = fixture('vtest-10s.mp4');
const DATA = '/usr/share/doc/opencv-doc/examples/data';
const VTEST = `${DATA}/vtest.avi`;
const MEGAMIND = `${DATA}/Megamind.avi`;
const missing = (file: string) => (existsSync(file) ? false : `${file} is not installed (Debian opencv-doc)`);

/** A frame source under the contract. */
export interface FrameSourceUnderTest {
  name: string;
  /** A source that fails a video at its first decoding error (`tolerant`: one that keeps the frames that decode). */
  make: (o: { tolerant: boolean }) => FrameSource;
  /**
   * Whether to run the cases of `FrameReadOptions.segment` itself: true, or why not (a variant
   * that already reads in segments would repeat them).
   */
  segmentCases: true | string;
}

async function collect(frames: AsyncIterable<SampledFrame>, copy = false): Promise<SampledFrame[]> {
  const out: SampledFrame[] = [];
  for await (const f of frames) out.push(copy ? { ...f, image: { ...f.image, data: new Uint8Array(f.image.data) } } : f);
  return out;
}

/** Mean absolute difference of two same-size RGB images, 0–255. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

const fingerprint = (f: SampledFrame) => `${f.frame}@${f.timestampMs}:${createHash('sha1').update(f.image.data).digest('hex')}`;

/** Rejects with a VideoDecodeError whose message matches `reason`. */
const decodeError = (reason: RegExp) => (e: unknown) => {
  assert.ok(e instanceof VideoDecodeError, `a VideoDecodeError, not ${String(e)}`);
  assert.match(e.message, reason);
  return true;
};

export function frameSourceContract(t: FrameSourceUnderTest): void {
  describe(`FrameSource contract: ${t.name}`, () => {
    let dir: string;
    const source = t.make({ tolerant: false });
    const tolerant = t.make({ tolerant: true });
    let reference: SampledFrame[];

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'fw-frame-source-'));
      reference = await collect(source.frames(VIDEO, 5));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    describe('probe', () => {
      test('the fixture: display size, rate, duration, frame count, codec, rotation', async () => {
        const info = await source.probe(VIDEO);
        assert.equal(info.width, 768);
        assert.equal(info.height, 576);
        assert.equal(info.fps, 10);
        assert.equal(info.frameCount, 100);
        assert.ok(Math.abs(info.durationSeconds! - 10) < 0.1, `duration ${info.durationSeconds}`);
        assert.equal(info.codec, 'h264');
        assert.equal(info.rotation, 0);
      });

      test('real videos of opencv-doc: vtest.avi and Megamind.avi', { skip: missing(VTEST) || missing(MEGAMIND) }, async () => {
        const vtest = await source.probe(VTEST);
        assert.deepEqual([vtest.width, vtest.height, vtest.fps, vtest.frameCount, vtest.codec], [768, 576, 10, 795, 'msmpeg4v3']);
        const megamind = await source.probe(MEGAMIND);
        assert.deepEqual([megamind.width, megamind.height, megamind.frameCount, megamind.codec], [720, 528, 270, 'mpeg4']);
        assert.ok(Math.abs(megamind.fps! - 23.976) < 0.01, `fps ${megamind.fps}`);
      });

      for (const [name, file, reason] of [
        ['text', 'not-a-video.txt', /not a video/],
        ['audio only', 'megamind-audio-3s.m4a', /no video stream/],
        ['a still image', 'messi5.jpg', /still image/],
      ] as const) {
        test(`refuses ${name} with a reason (VideoDecodeError)`, async () => {
          const path = file.endsWith('.txt') ? join(dir, file) : fixture(file);
          if (file.endsWith('.txt')) await writeFile(path, 'hello\n'.repeat(100));
          await assert.rejects(source.probe(path), decodeError(reason));
        });
      }
    });

    describe('frames', () => {
      test('every Nth frame in display order, numbered by decoded index, at the display size', async () => {
        assert.deepEqual(
          reference.map((f) => f.frame),
          Array.from({ length: 20 }, (_, i) => i * 5),
        );
        for (const f of reference) {
          assert.equal(f.image.width, 768);
          assert.equal(f.image.height, 576);
          assert.equal(f.image.data.length, 768 * 576 * 3);
        }
        assert.ok(meanDiff(reference[0]!.image.data, reference[19]!.image.data) > 1, 'different frames differ');
        const every7 = await collect(source.frames(VIDEO, 7));
        assert.deepEqual(
          every7.map((f) => f.frame),
          [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98],
        );
        assert.ok(meanDiff(every7[2]!.image.data, (await collect(source.frames(VIDEO, 14)))[1]!.image.data) < 0.001, 'frame 14 is frame 14 either way');
      });

      test('a long real video: vtest.avi, all 795 frames numbered and timed in order', { skip: missing(VTEST) }, async () => {
        const frames = await collect(source.frames(VTEST, 50));
        assert.deepEqual(
          frames.map((f) => f.frame),
          Array.from({ length: 16 }, (_, i) => i * 50),
        );
        assert.deepEqual(
          frames.map((f) => f.timestampMs),
          frames.map((f) => f.frame * 100),
        );
      });

      test('each sampled frame carries its presentation time from the stream (constant rate: frame / fps)', () => {
        assert.deepEqual(
          reference.map((f) => f.timestampMs),
          reference.map((f) => (f.frame / 10) * 1000),
        );
      });

      test('timestamps follow a variable frame rate: a gap in the stream shows as a gap in time, not in frame numbers', async () => {
        // Decoded frames 20–59 of the fixture dropped, the survivors keeping their times: frame n of
        // the new file is at n × 100 ms before the gap and (n + 40) × 100 ms after it.
        const vfr = join(dir, 'vfr.mp4');
        await run(resolveBinary('ffmpeg'), [
          '-v',
          'error',
          '-y',
          '-i',
          VIDEO,
          '-vf',
          "select='lt(n,20)+gte(n,60)'",
          '-vsync',
          'vfr',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          vfr,
        ]);
        const frames = await collect(source.frames(vfr, 5));
        assert.deepEqual(
          frames.map((f) => f.frame),
          Array.from({ length: 12 }, (_, i) => i * 5),
        );
        assert.deepEqual(
          frames.map((f) => f.timestampMs),
          frames.map((f) => (f.frame < 20 ? f.frame : f.frame + 40) * 100),
        );
      });

      test('timestamps start at the video start whatever the container’s first timestamp', async () => {
        const shifted = join(dir, 'shifted.ts');
        await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', VIDEO, '-c', 'copy', '-output_ts_offset', '5', shifted]);
        const frames = await collect(source.frames(shifted, 25));
        assert.deepEqual(
          frames.map((f) => f.timestampMs),
          [0, 2500, 5000, 7500],
        );
      });

      // Each container/codec the issue names, transcoded from the fixture by ffmpeg here.
      for (const [name, args, codec] of [
        ['MKV / HEVC', ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-preset', 'ultrafast'], 'hevc'],
        ['WebM / VP9', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M'], 'vp9'],
        ['AVI / MPEG-4 part 2', ['-c:v', 'mpeg4', '-q:v', '3'], 'mpeg4'],
      ] as const) {
        test(`decodes ${name}: the same frames as the original`, async () => {
          const ext = name.startsWith('MKV') ? 'mkv' : name.startsWith('WebM') ? 'webm' : 'avi';
          const out = join(dir, `clip.${ext}`);
          await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', VIDEO, '-frames:v', '30', ...args, '-an', out]);
          const info = await source.probe(out);
          assert.equal(info.codec, codec);
          assert.equal(info.width, 768);
          assert.equal(info.height, 576);
          const frames = await collect(source.frames(out, 5));
          assert.deepEqual(
            frames.map((f) => f.frame),
            [0, 5, 10, 15, 20, 25],
          );
          for (const [i, f] of frames.entries()) {
            assert.ok(meanDiff(f.image.data, reference[i]!.image.data) < 8, `${name} frame ${f.frame} matches the original`);
          }
        });
      }

      test('applies rotation metadata: a 90° phone video comes out upright at its display size', async () => {
        const out = join(dir, 'rotated.mp4');
        // Stream copy keeps the pixels and adds a display matrix, as phones write it.
        await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', VIDEO, '-frames:v', '10', '-c', 'copy', '-metadata:s:v:0', 'rotate=90', out]);
        const info = await source.probe(out);
        assert.equal(Math.abs(info.rotation), 90);
        assert.equal(info.width, 576);
        assert.equal(info.height, 768);
        const [first] = await collect(source.frames(out, 5));
        assert.equal(first!.image.width, 576);
        assert.equal(first!.image.height, 768);
        // The frame is the original turned a quarter: every pixel comes from the original's
        // transposed position, mirrored one way or the other.
        const orig = reference[0]!.image;
        const px = (img: { width: number; data: Uint8Array }, x: number, y: number) => img.data[(y * img.width + x) * 3]!;
        let cw = 0;
        let ccw = 0;
        let n = 0;
        for (let y = 20; y < 768; y += 97) {
          for (let x = 20; x < 576; x += 83) {
            cw += Math.abs(px(first!.image, x, y) - px(orig, y, 575 - x));
            ccw += Math.abs(px(first!.image, x, y) - px(orig, 767 - y, x));
            n++;
          }
        }
        assert.ok(Math.min(cw, ccw) / n < 6, `a quarter turn of the original (mean diff cw ${cw / n}, ccw ${ccw / n})`);
      });

      test('without `reuse` every frame keeps its own pixels; with it, a consumer that copies gets the same frames', async () => {
        const own: SampledFrame[] = [];
        const seen: string[] = [];
        for await (const f of source.frames(VIDEO, 10)) {
          own.push(f);
          seen.push(fingerprint(f));
        }
        assert.deepEqual(own.map(fingerprint), seen, 'no frame was written over by a later one');
        assert.equal(new Set(seen).size, own.length);
        const copied = await collect(source.frames(VIDEO, 10, { reuse: true }), true);
        assert.deepEqual(copied.map(fingerprint), own.map(fingerprint));
      });

      test('frames stream: decoding 1 GB of frames does not grow memory', async () => {
        const long = await loopOfFixture(dir, 'long.mp4', 8);
        let n = 0;
        let baseline = 0;
        let peak = 0;
        for await (const f of source.frames(long, 1, { reuse: true })) {
          n++;
          if (n === 100) baseline = process.memoryUsage().rss;
          if (n > 100) peak = Math.max(peak, process.memoryUsage().rss);
          assert.equal(f.image.data.length, 768 * 576 * 3);
        }
        assert.equal(n, 800);
        const growth = (peak - baseline) / 2 ** 20;
        console.log(
          `# ${t.name}: decoded ${n} frames (${((n * 768 * 576 * 3) / 2 ** 30).toFixed(2)} GiB): RSS growth after frame 100: ${growth.toFixed(0)} MiB`,
        );
        assert.ok(growth < 100, `RSS grew ${growth.toFixed(0)} MiB while decoding`);
      });

      test('breaking out of the loop stops decoding: no decoder process is left', async () => {
        for await (const f of source.frames(VIDEO, 1)) if (f.frame === 3) break;
        const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]);
        // A killed child not yet reaped (`<defunct>`) decodes nothing.
        const running = stdout
          .split('\n')
          .filter((l) => !l.includes('<defunct>'))
          .join('\n');
        assert.doesNotMatch(running, /ffmpeg|ffprobe/, 'no decoder left running');
      });
    });

    describe('index', () => {
      test('the fixture’s frames as the container lists them: 100 ascending timestamps, the first a keyframe', async () => {
        const index = await source.index(VIDEO);
        assert.ok(index, 'indexed');
        assert.equal(index.pts.length, 100);
        for (let i = 1; i < index.pts.length; i++) assert.ok(index.pts[i]! > index.pts[i - 1]!, 'ascending');
        assert.equal(index.keyframes[0], 0);
        const [first, second] = [index.pts[0]!, index.pts[1]!];
        assert.equal(((second - first) * index.timeBase.num) / index.timeBase.den, 0.1, 'a frame every 100 ms');
      });

      test('a video without timestamps on its packets cannot be indexed (undefined: it is read in one piece)', async () => {
        const avi = join(dir, 'mpeg4-bframes.avi');
        await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', VIDEO, '-t', '4', '-c:v', 'mpeg4', '-bf', '2', '-q:v', '8', avi]);
        assert.equal(await source.index(avi), undefined);
      });
    });

    describe('segments', { skip: t.segmentCases === true ? false : t.segmentCases }, () => {
      const videos: Record<string, string> = {};
      before(async () => {
        // The fixture 4 times over: 40 s of H.264 (x264, B-frames), a keyframe every 10 s.
        videos.h264 = await loopOfFixture(dir, 'loop4.mp4', 4);
        const ffmpeg = resolveBinary('ffmpeg');
        videos['h264-open-gop'] = join(dir, 'open-gop.mp4');
        await run(ffmpeg, [
          '-v',
          'error',
          '-y',
          '-i',
          videos.h264,
          '-c:v',
          'libx264',
          '-preset',
          'veryfast',
          '-bf',
          '3',
          '-x264-params',
          'open-gop=1:keyint=60:min-keyint=20',
          videos['h264-open-gop'],
        ]);
        videos['hevc-mkv'] = join(dir, 'hevc.mkv');
        await run(ffmpeg, [
          '-v',
          'error',
          '-y',
          '-i',
          videos.h264,
          '-c:v',
          'libx265',
          '-preset',
          'ultrafast',
          '-x265-params',
          'keyint=60:open-gop=1:log-level=error',
          videos['hevc-mkv'],
        ]);
        if (existsSync(VTEST)) videos['msmpeg4-avi'] = VTEST;
      });

      // A long video read in segments gives exactly the frames of one read: the same frame
      // numbers, timestamps and pixels, each once. Every segment after the first starts with a seek.
      for (const [name, every, seconds] of [
        ['h264', 5, 10],
        ['h264', 3, 8],
        ['h264-open-gop', 5, 10],
        ['hevc-mkv', 4, 10],
        ['msmpeg4-avi', 5, 20],
      ] as const) {
        test(
          `read in segments = read whole: ${name}, 1 frame in ${every}, ${seconds} s segments`,
          { skip: name === 'msmpeg4-avi' ? missing(VTEST) : false },
          async () => {
            const file = videos[name]!;
            const index = await source.index(file);
            assert.ok(index, 'indexed');
            const plan = planSegments(index, every, seconds);
            assert.ok(plan.length >= 3, `${plan.length} segments`);
            const whole = (await collect(source.frames(file, every))).map(fingerprint);
            const split: string[] = [];
            for (const p of plan) {
              const got: string[] = (await collect(source.frames(file, every, { segment: { ...p, ptsOffset: index.ptsOffset } }))).map(fingerprint);
              assert.equal(got.length, p.sampledPts.length, `segment ${p.segment} gave the frames it listed`);
              split.push(...got);
            }
            assert.deepEqual(split, whole);
          },
        );
      }

      test('a segment whose frames are not the ones listed fails loudly, naming the problem', async () => {
        const index = (await source.index(videos.h264!))!;
        const [, second] = planSegments(index, 5, 10);
        const wrong = { ...second!, sampledPts: second!.sampledPts.map((p) => p + 1), ptsOffset: index.ptsOffset };
        await assert.rejects(
          collect(source.frames(videos.h264!, 5, { segment: wrong })),
          decodeError(/cannot be split at its keyframes: in segment 1, frame 100 decoded at timestamp \d+ where the container lists timestamp \d+/),
        );
      });

      test('a damaged segment gives what a whole read gives, and reports its damage', async () => {
        // The 40 s loop damaged in its second copy (13.1–14.8 s): segment 1 of 10 s segments.
        const file = await damagedCopy(dir, 'loop4-damaged.mp4', videos.h264!, 714_432, 60_000);
        const index = (await tolerant.index(file))!;
        const plan = planSegments(index, 5, 10);
        let wholeDamage: DamageReport | undefined;
        const whole = (await collect(tolerant.frames(file, 5, { onDamage: (d) => (wholeDamage = d) }))).map(fingerprint);
        const split: string[] = [];
        const reports: Array<DamageReport | undefined> = [];
        for (const p of plan) {
          let d: DamageReport | undefined;
          split.push(
            ...(await collect(tolerant.frames(file, 5, { segment: { ...p, ptsOffset: index.ptsOffset }, onDamage: (r) => (d = r) }))).map(fingerprint),
          );
          reports.push(d);
        }
        assert.deepEqual(split, whole);
        assert.deepEqual(
          reports.map((r) => r !== undefined),
          [false, true, false, false],
          'only segment 1 is damaged',
        );
        assert.deepEqual(reports[1]!.ranges, wholeDamage!.ranges);
        assert.ok(
          reports[1]!.ranges.every((r) => r.from_ms >= 13_000 && r.to_ms <= 15_000),
          JSON.stringify(reports[1]!.ranges),
        );
      });
    });

    describe('damage', () => {
      test('a damaged video: a strict source rejects with VideoDecodeError naming the damage', async () => {
        const path = await damagedFixture(dir);
        await assert.rejects(collect(source.frames(path, 5)), decodeError(/damaged/));
      });

      test('a tolerant one gives the frames that decode, placed on the timeline, and reports the damaged range', async () => {
        const path = await damagedFixture(dir);
        const reports: DamageReport[] = [];
        const frames = await collect(tolerant.frames(path, 5, { onDamage: (d) => reports.push(d) }));
        const numbers = frames.map((f) => f.frame);
        // Before the damage: the grid; after it, every frame where the timeline puts it.
        assert.deepEqual(
          numbers.filter((n) => n < DAMAGED.firstBad),
          [0, 5, 10, 15],
        );
        assert.ok(
          numbers.every((n) => n < DAMAGED.firstBad || n > DAMAGED.lastBad),
          `no frame from the damaged range: ${numbers.join(',')}`,
        );
        assert.deepEqual(
          frames.map((f) => f.timestampMs),
          numbers.map((n) => n * 100),
          'times match numbers',
        );
        assert.deepEqual(
          [...numbers].sort((a, b) => a - b),
          numbers,
          'ascending, each once',
        );
        assert.equal(new Set(numbers).size, numbers.length);
        assert.ok(numbers.at(-1)! >= 90, 'frames after the damage decode to the end');
        assert.equal(reports.length, 1, 'told once');
        const [report] = reports;
        assert.deepEqual(report!.ranges, [{ from_ms: DAMAGED.fromMs, to_ms: DAMAGED.toMs, frames: DAMAGED.lastBad - DAMAGED.firstBad + 1, sampled_frames: 7 }]);
        assert.equal(report!.sampled_expected, 20);
        assert.equal(report!.sampled_missing, 20 - frames.length);
        assert.ok(report!.first_error.length > 0 && !/0x[0-9a-f]{6,}/.test(report!.first_error), `first error without addresses: ${report!.first_error}`);
        // The frames that decode are the original's before the damage.
        for (const f of frames.filter((f) => f.frame < DAMAGED.firstBad))
          assert.ok(meanDiff(f.image.data, reference[f.frame / 5]!.image.data) < 0.001, `frame ${f.frame}`);
      });

      test('scattered damage (every 7th byte of 20 kB mid-file): strict rejects, tolerant keeps the frames that decode', async () => {
        const video = await readFile(VIDEO);
        const damaged = Buffer.from(video);
        for (let i = Math.floor(video.length / 2); i < video.length / 2 + 20_000; i += 7) damaged[i] = (i * 13) & 255;
        const path = join(dir, 'scattered.mp4');
        await writeFile(path, damaged);
        await assert.rejects(collect(source.frames(path, 5)), decodeError(/damaged/));
        const kept = await collect(tolerant.frames(path, 5));
        assert.ok(kept.length >= 10 && kept.length <= 20, `kept ${kept.length} frames`);
      });

      test('a clean read reports no damage, tolerant or not', async () => {
        let told = false;
        const frames = await collect(tolerant.frames(VIDEO, 5, { onDamage: () => (told = true) }));
        assert.deepEqual(frames.map(fingerprint), reference.map(fingerprint));
        assert.equal(told, false);
      });

      test('no frame decodes: tolerant or not, the read rejects with a reason', async () => {
        // The fixture's frames overwritten from its first packet on (at byte 1921; the moov before
        // it intact): the container is whole and probes, its video data is not.
        const path = await damagedCopy(dir, 'ruined.mp4', VIDEO, 1921, 10_000_000);
        assert.equal((await tolerant.probe(path)).frameCount, 100);
        await assert.rejects(collect(source.frames(path, 5)), (e: unknown) => e instanceof VideoDecodeError);
        await assert.rejects(collect(tolerant.frames(path, 5)), decodeError(/^no frame of the video could be decoded/));
      });
    });
  });
}

/** Reads every video in segments of `seconds` (as the runner does a long one) through `inner`, damage reports merged. */
export function segmentedReads(inner: FrameSource, seconds: number): FrameSource {
  return {
    probe: (path) => inner.probe(path),
    index: (path) => inner.index(path),
    async *frames(path: string, every: number, options: FrameReadOptions = {}) {
      const index = options.segment ? undefined : await inner.index(path);
      if (!index) return yield* inner.frames(path, every, options);
      const reports: DamageReport[] = [];
      let given = 0;
      for (const p of planSegments(index, every, seconds)) {
        for await (const f of inner.frames(path, every, { ...options, segment: { ...p, ptsOffset: index.ptsOffset }, onDamage: (d) => reports.push(d) })) {
          given++;
          yield f;
        }
      }
      // A segment may give no frame (its frames damaged), a video not: as the job's verdict.
      if (given === 0) throw new VideoDecodeError('no frame of the video could be decoded');
      if (reports.length) {
        options.onDamage?.({
          sampled_expected: reports.reduce((n, r) => n + r.sampled_expected, 0),
          sampled_missing: reports.reduce((n, r) => n + r.sampled_missing, 0),
          ranges: reports.flatMap((r) => r.ranges),
          first_error: reports[0]!.first_error,
        });
      }
    },
  };
}
