import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { VideoDecodeError, type SampledFrame } from '../../src/ports/frame-source.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const VIDEO = fixture('vtest-10s.mp4');

async function collect(source: FfmpegFrameSource, path: string, every: number): Promise<SampledFrame[]> {
  const out: SampledFrame[] = [];
  for await (const f of source.frames(path, every)) out.push(f);
  return out;
}

/** Mean absolute difference of two same-size RGB images, 0–255. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]! - b[i]!);
  return s / a.length;
}

describe('ffmpeg frame source', () => {
  let dir: string;
  const source = new FfmpegFrameSource({ decodeErrors: 'fail' });
  const tolerant = new FfmpegFrameSource({ decodeErrors: 'tolerate' });
  let reference: SampledFrame[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-ffmpeg-'));
    reference = await collect(source, VIDEO, 5);
  });
  after(() => rm(dir, { recursive: true, force: true }));

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
    await run(resolveBinary('ffmpeg'), ['-v', 'error', '-i', VIDEO, '-vf', "select='lt(n,20)+gte(n,60)'", '-vsync', 'vfr', '-c:v', 'libx264', '-preset', 'ultrafast', vfr]);
    const frames = await collect(source, vfr, 5);
    assert.deepEqual(frames.map((f) => f.frame), Array.from({ length: 12 }, (_, i) => i * 5));
    assert.deepEqual(
      frames.map((f) => f.timestampMs),
      frames.map((f) => (f.frame < 20 ? f.frame : f.frame + 40) * 100),
    );
  });

  test('timestamps start at the video start whatever the container’s first timestamp', async () => {
    const shifted = join(dir, 'shifted.ts');
    await run(resolveBinary('ffmpeg'), ['-v', 'error', '-i', VIDEO, '-c', 'copy', '-output_ts_offset', '5', shifted]);
    const frames = await collect(source, shifted, 25);
    assert.deepEqual(frames.map((f) => f.timestampMs), [0, 2500, 5000, 7500]);
  });

  test('probes the fixture: display size, rate, frame count, codec', async () => {
    const info = await source.probe(VIDEO);
    assert.equal(info.width, 768);
    assert.equal(info.height, 576);
    assert.equal(info.fps, 10);
    assert.equal(info.frameCount, 100);
    assert.equal(info.codec, 'h264');
    assert.equal(info.rotation, 0);
  });

  test('yields every Nth frame, numbered by decoded index, one frame per image', async () => {
    assert.deepEqual(reference.map((f) => f.frame), Array.from({ length: 20 }, (_, i) => i * 5));
    for (const f of reference) {
      assert.equal(f.image.width, 768);
      assert.equal(f.image.height, 576);
      assert.equal(f.image.data.length, 768 * 576 * 3);
    }
    assert.ok(meanDiff(reference[0]!.image.data, reference[19]!.image.data) > 1, 'different frames differ');
    const every7 = await collect(source, VIDEO, 7);
    assert.deepEqual(every7.map((f) => f.frame), [0, 7, 14, 21, 28, 35, 42, 49, 56, 63, 70, 77, 84, 91, 98]);
    assert.ok(meanDiff(every7[2]!.image.data, (await collect(source, VIDEO, 14))[1]!.image.data) < 0.001, 'frame 14 is frame 14 either way');
  });

  // Each container/codec the issue names, transcoded from the fixture by ffmpeg here.
  for (const [name, args, codec] of [
    ['MKV / HEVC', ['-c:v', 'libx265', '-x265-params', 'log-level=error', '-preset', 'ultrafast'], 'hevc'],
    ['WebM / VP9', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1M'], 'vp9'],
    ['AVI / MPEG-4 part 2', ['-c:v', 'mpeg4', '-q:v', '3'], 'mpeg4'],
  ] as const) {
    test(`decodes ${name}`, async () => {
      const ext = name.startsWith('MKV') ? 'mkv' : name.startsWith('WebM') ? 'webm' : 'avi';
      const out = join(dir, `clip.${ext}`);
      await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-i', VIDEO, '-frames:v', '30', ...args, '-an', out]);
      const info = await source.probe(out);
      assert.equal(info.codec, codec);
      assert.equal(info.width, 768);
      assert.equal(info.height, 576);
      const frames = await collect(source, out, 5);
      assert.deepEqual(frames.map((f) => f.frame), [0, 5, 10, 15, 20, 25]);
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
    const [first] = await collect(source, out, 5);
    assert.equal(first!.image.width, 576);
    assert.equal(first!.image.height, 768);
    // The frame is the original turned a quarter (ffmpeg applies the display matrix): every pixel
    // comes from the original's transposed position, mirrored one way or the other.
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

  for (const [name, file, reason] of [
    ['text', 'not-a-video.txt', /not a video/],
    ['audio only', 'megamind-audio-3s.m4a', /no video stream/],
    ['a still image', 'messi5.jpg', /still image/],
  ] as const) {
    test(`refuses ${name} at probe with a reason`, async () => {
      const path = file.endsWith('.txt') ? join(dir, file) : fixture(file);
      if (file.endsWith('.txt')) await writeFile(path, 'hello\n'.repeat(100));
      await assert.rejects(source.probe(path), (e: Error) => e instanceof VideoDecodeError && reason.test(e.message));
    });
  }

  test('damage fails the video by default, or keeps the decodable frames when tolerated', async () => {
    const video = await readFile(VIDEO);
    const damaged = Buffer.from(video);
    for (let i = Math.floor(video.length / 2); i < video.length / 2 + 20_000; i += 7) damaged[i] = (i * 13) & 255;
    const path = join(dir, 'damaged.mp4');
    await writeFile(path, damaged);
    await assert.rejects(collect(source, path, 5), (e: Error) => e instanceof VideoDecodeError && /damaged/.test(e.message));
    const kept = await collect(tolerant, path, 5);
    assert.ok(kept.length >= 10 && kept.length <= 20, `kept ${kept.length} frames`);
  });

  test('frames stream: decoding 1 GB of frames does not grow memory', async () => {
    const long = join(dir, 'long.mp4');
    await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-stream_loop', '7', '-i', VIDEO, '-c', 'copy', long]);
    let n = 0;
    let baseline = 0;
    let peak = 0;
    for await (const f of source.frames(long, 1)) {
      n++;
      if (n === 100) baseline = process.memoryUsage().rss;
      if (n > 100) peak = Math.max(peak, process.memoryUsage().rss);
      assert.equal(f.image.data.length, 768 * 576 * 3);
    }
    assert.equal(n, 800);
    const growth = (peak - baseline) / 2 ** 20;
    console.log(`# decoded ${n} frames (${((n * 768 * 576 * 3) / 2 ** 30).toFixed(2)} GiB): RSS growth after frame 100: ${growth.toFixed(0)} MiB`);
    assert.ok(growth < 100, `RSS grew ${growth.toFixed(0)} MiB while decoding`);
  });

  test('stopping early ends the decoder', async () => {
    for await (const f of source.frames(VIDEO, 1)) if (f.frame === 3) break;
    const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]);
    assert.doesNotMatch(stdout, /ffmpeg/, 'no ffmpeg left running');
  });
});
