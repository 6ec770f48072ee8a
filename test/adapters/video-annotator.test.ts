import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { FfmpegFrameSource } from '../../src/adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { FfmpegSandbox } from '../../src/adapters/frame-source/ffmpeg-sandbox.js';
import { LocalDirObjectStore } from '../../src/adapters/object-store/local-dir.js';
import type { ObjectStore } from '../../src/ports/object-store.js';
import { FfmpegVideoAnnotator, renderAnnotatedVideo } from '../../src/adapters/video-annotator/ffmpeg-libass.js';
import { AnnotationRenderError, type AnnotatedFrame } from '../../src/ports/video-annotator.js';
import { classColour, drawingSizes, labelText } from '../../src/adapters/video-annotator/ass-script.js';
import { renderAnnotationFor } from '../../src/stages/result-publisher/annotate-job.js';
import { annotatedKey, inputKey } from '../../src/core/ids.js';
import type { Box, FrameImage } from '../../src/core/types.js';
import type { VideoMetadata } from '../../src/core/job.js';

const run = promisify(execFile);
const FIXTURE = fileURLToPath(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
const ffmpegPath = resolveBinary('ffmpeg');
const annotator = new FfmpegVideoAnnotator(ffmpegPath);
const decoder = new FfmpegFrameSource({ decodeErrors: 'fail' });

type Rgb = readonly [number, number, number];
const at = (img: FrameImage, x: number, y: number): Rgb => {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
};
/** Largest channel difference: H.264 at crf 23 and 4:2:0 chroma keep a drawn colour within ~70 of itself. */
const distance = (a: Rgb, b: Rgb) => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));
const near = (img: FrameImage, x: number, y: number, colour: Rgb) => distance(at(img, x, y), colour) < 70;

/** Points on the middle line of each edge of a box's ring, away from the corners and the label. */
function edgePoints([x1, y1, x2, y2]: Box, line: number): Array<[number, number]> {
  const h = Math.floor(line / 2);
  const pts: Array<[number, number]> = [];
  for (let k = 1; k <= 5; k++) {
    const x = Math.round(x1 + ((x2 - x1) * k) / 6);
    const y = Math.round(y1 + ((y2 - y1) * k) / 6);
    pts.push([x1 + h, y], [x2 - 1 - h, y], [x, y2 - 1 - h]);
    if (k >= 4) pts.push([x, y1 + h]); // the left of the top edge is under the label
  }
  return pts;
}

/** Mean absolute difference of two frames over a rectangle. */
function meanDiff(a: FrameImage, b: FrameImage, [x1, y1, x2, y2]: Box): number {
  let sum = 0;
  let n = 0;
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      const p = at(a, x, y);
      const q = at(b, x, y);
      sum += Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]);
      n += 3;
    }
  }
  return sum / n;
}

/** Decodes two videos in step, frame by frame (one frame of each in memory). */
async function* inStep(a: string, b: string): AsyncGenerator<[number, FrameImage, FrameImage]> {
  const ia = decoder.frames(a, 1)[Symbol.asyncIterator]();
  const ib = decoder.frames(b, 1)[Symbol.asyncIterator]();
  try {
    for (let n = 0; ; n++) {
      const [fa, fb] = await Promise.all([ia.next(), ib.next()]);
      assert.equal(fa.done, fb.done, `both videos end at frame ${n}`);
      if (fa.done || fb.done) return;
      yield [n, fa.value.image, fb.value.image];
    }
  } finally {
    await Promise.all([ia.return?.(), ib.return?.()]);
  }
}

async function* from(frames: AnnotatedFrame[]): AsyncGenerator<AnnotatedFrame> {
  yield* frames;
}

describe('annotated video rendering (real ffmpeg, libass)', () => {
  let dir: string;
  let video: VideoMetadata;
  const savedTmp = process.env.TMPDIR;
  let tmp: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-annotate-'));
    // The renderer's temp files go here, so the tests can see that none are left behind.
    tmp = join(dir, 'tmp');
    await mkdir(tmp);
    process.env.TMPDIR = tmp;
    const info = await decoder.probe(FIXTURE);
    video = {
      width: info.width,
      height: info.height,
      fps: info.fps ?? null,
      duration_ms: Math.round(info.durationSeconds! * 1000),
      frame_count: info.frameCount ?? null,
      codec: info.codec,
      rotation: info.rotation,
    };
  });
  after(async () => {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
    await rm(dir, { recursive: true, force: true });
  });

  const BIG: Box = [120, 160, 520, 420];
  const TRUCK: Box = [560, 300, 700, 400];
  const BUS: Box = [40, 450, 200, 560];
  /** Every 5th frame has the big box; frame 50 alone a truck, frame 60 alone a bus (its boxes show until frame 65, across a window boundary at 64). */
  const scene = (): AnnotatedFrame[] =>
    Array.from({ length: 20 }, (_, k) => ({
      frame: k * 5,
      timestamp_ms: k * 500,
      objects: [
        { class: 'person', box: BIG, conf: 0.9, track_id: 7 },
        ...(k === 10 ? [{ class: 'truck', box: TRUCK, conf: 0.61, track_id: null }] : []),
        ...(k === 12 ? [{ class: 'bus', box: BUS, conf: 0.5 }] : []),
      ],
    }));

  test('draws each sampled frame’s boxes on it and the frames up to the next sampled one, nowhere else; labels drawn; same frames and duration', async () => {
    const outputPath = join(dir, 'annotated.mp4');
    await renderAnnotatedVideo({ videoPath: FIXTURE, video, frames: from(scene()), outputPath, ffmpegPath, framesPerWindow: 32 });

    const out = await decoder.probe(outputPath);
    assert.equal(out.frameCount, video.frame_count, 'frame count');
    assert.ok(Math.abs(out.durationSeconds! * 1000 - video.duration_ms!) <= 50, `duration ${out.durationSeconds} s`);
    assert.deepEqual([out.width, out.height, out.codec, out.rotation], [video.width, video.height, 'h264', 0]);
    const { stdout } = await run(resolveBinary('ffprobe'), ['-v', 'error', '-show_entries', 'stream=pix_fmt,codec_type', '-of', 'csv=p=0', outputPath]);
    assert.deepEqual(stdout.trim().split('\n'), ['video,yuv420p'], 'one yuv420p video stream, no audio');
    const bytes = await readFile(outputPath);
    assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'moov before mdat (+faststart)');

    const { line, fontSize } = drawingSizes(video.width, video.height);
    const person = classColour('person');
    const truck = classColour('truck');
    const bus = classColour('bus');
    const label: Box = [
      BIG[0],
      BIG[1] - fontSize - 6,
      BIG[0] + Math.round(fontSize * 0.6 * labelText({ class: 'person', box: BIG, conf: 0.9, track_id: 7 }).length),
      BIG[1] - 1,
    ];
    let frames = 0;
    for await (const [n, input, output] of inStep(FIXTURE, outputPath)) {
      frames++;
      for (const [x, y] of edgePoints(BIG, line)) assert.ok(near(output, x, y, person), `frame ${n}: person box edge at ${x},${y} is ${at(output, x, y)}`);
      const truckShown = n >= 50 && n < 55;
      const busShown = n >= 60 && n < 65;
      for (const [x, y] of edgePoints(TRUCK, line)) assert.equal(near(output, x, y, truck), truckShown, `frame ${n}: truck edge at ${x},${y}`);
      for (const [x, y] of edgePoints(BUS, line)) assert.equal(near(output, x, y, bus), busShown, `frame ${n}: bus edge at ${x},${y}`);
      // Not elsewhere: inside the big box (no fill), and a region no box or label touches, are the video as it was.
      assert.ok(meanDiff(input, output, [BIG[0] + 10, BIG[1] + 30, BIG[2] - 10, BIG[3] - 10]) < 6, `frame ${n}: the box's inside is unchanged`);
      assert.ok(meanDiff(input, output, [560, 40, 760, 280]) < 6, `frame ${n}: a region without boxes is unchanged`);
      let personColoured = 0;
      for (let y = 40; y < 280; y += 2) for (let x = 560; x < 760; x += 2) if (near(output, x, y, person)) personColoured++;
      assert.equal(personColoured, 0, `frame ${n}: no box colour outside the boxes`);
      // The label: a background of the class's colour with text on it (pixels far from that colour).
      let background = 0;
      let text = 0;
      for (let y = label[1]; y < label[3]; y++) {
        for (let x = label[0]; x < label[2]; x++) {
          if (near(output, x, y, person)) background++;
          else if (distance(at(output, x, y), person) > 150 && distance(at(input, x, y), at(output, x, y)) > 60) text++;
        }
      }
      assert.ok(background > 200, `frame ${n}: label background (${background} px)`);
      assert.ok(text > 40, `frame ${n}: label text (${text} px)`);
    }
    assert.equal(frames, video.frame_count);
    assert.deepEqual(await readdir(tmp), [], 'no temp files left');
  });

  test('a rotated video: boxes in displayed pixels land where they belong, the output is upright', async () => {
    const rotated = join(dir, 'rotated.mp4');
    await run(ffmpegPath, ['-v', 'error', '-y', '-i', FIXTURE, '-c', 'copy', '-metadata:s:v', 'rotate=90', rotated]);
    // ffmpeg 6 and later ignore the `rotate` tag when muxing; they take a display rotation instead.
    if ((await decoder.probe(rotated)).rotation === 0)
      await run(ffmpegPath, ['-v', 'error', '-y', '-display_rotation:v:0', '90', '-i', FIXTURE, '-c', 'copy', rotated]);
    const info = await decoder.probe(rotated);
    assert.equal(Math.abs(info.rotation), 90, 'the variant is rotated');
    assert.deepEqual([info.width, info.height], [video.height, video.width]);
    const box: Box = [60, 500, 500, 740];
    const outputPath = join(dir, 'rotated-annotated.mp4');
    await renderAnnotatedVideo({
      videoPath: rotated,
      video: { ...video, width: info.width, height: info.height },
      frames: from([{ frame: 0, objects: [{ class: 'person', box, conf: 0.8, track_id: 1 }] }]),
      outputPath,
      ffmpegPath,
    });
    const out = await decoder.probe(outputPath);
    assert.deepEqual([out.width, out.height, out.rotation], [info.width, info.height, 0], 'upright, displayed size');
    const { line } = drawingSizes(info.width, info.height);
    for await (const [n, , output] of inStep(rotated, outputPath)) {
      if (n % 25 !== 0) continue;
      for (const [x, y] of edgePoints(box, line)) assert.ok(near(output, x, y, classColour('person')), `frame ${n}: edge at ${x},${y} is ${at(output, x, y)}`);
    }
  });

  test('a corrupt video rejects (no hang), the partial output is removed, no temp files remain', async () => {
    const corrupt = join(dir, 'corrupt.mp4');
    const head = (await readFile(FIXTURE)).subarray(0, 64);
    await writeFile(corrupt, Buffer.concat([head, Buffer.alloc(200_000, 0x5a)]));
    const outputPath = join(dir, 'corrupt-annotated.mp4');
    await writeFile(outputPath, 'an older rendering');
    await assert.rejects(renderAnnotatedVideo({ videoPath: corrupt, video, frames: from(scene()), outputPath, ffmpegPath }), AnnotationRenderError);
    await assert.rejects(stat(outputPath), { code: 'ENOENT' });
    await assert.rejects(
      renderAnnotatedVideo({ videoPath: join(dir, 'missing.mp4'), video, frames: from(scene()), outputPath, ffmpegPath }),
      AnnotationRenderError,
    );
    assert.deepEqual(await readdir(tmp), []);
  });

  test("every ffmpeg runs under the runner's resource limits: too little memory fails with the limit in the reason; enough renders", async () => {
    const MiB = 1024 * 1024;
    const outputPath = join(dir, 'limited-annotated.mp4');
    const tiny = new FfmpegSandbox({ limits: { memoryBytes: 32 * MiB } });
    await assert.rejects(renderAnnotatedVideo({ videoPath: FIXTURE, video, frames: from(scene()), outputPath, ffmpegPath, sandbox: tiny }), (err: unknown) => {
      assert.ok(err instanceof AnnotationRenderError);
      assert.match(err.message, /ffmpeg ran out of memory \(limit 32 MiB\)/);
      return true;
    });
    await assert.rejects(stat(outputPath), { code: 'ENOENT' });
    const roomy = new FfmpegSandbox({ limits: { memoryBytes: 1536 * MiB, cpuSeconds: 600 } });
    await renderAnnotatedVideo({ videoPath: FIXTURE, video, frames: from(scene()), outputPath, ffmpegPath, sandbox: roomy });
    assert.ok((await stat(outputPath)).size > 1000);
    assert.deepEqual(await readdir(tmp), []);
  });

  test('frames out of order reject; an abort stops ffmpeg at once; nothing is left behind', async () => {
    const outputPath = join(dir, 'bad-annotated.mp4');
    const disordered = [
      { frame: 0, objects: [] },
      { frame: 50, objects: [] },
      { frame: 10, objects: [] },
    ];
    await assert.rejects(
      renderAnnotatedVideo({ videoPath: FIXTURE, video, frames: from(disordered), outputPath, ffmpegPath, framesPerWindow: 8 }),
      /frames must ascend: 10 after 50/,
    );
    await assert.rejects(stat(outputPath), { code: 'ENOENT' });

    const controller = new AbortController();
    const started = Date.now();
    // Frames that arrive slowly keep the rendering busy until the abort.
    async function* slow(): AsyncGenerator<AnnotatedFrame> {
      for (let f = 0; f < 100; f += 5) {
        if (f === 20) controller.abort(new Error('shutting down'));
        await new Promise((r) => setTimeout(r, 20));
        yield { frame: f, objects: [{ class: 'person', box: BIG, conf: 0.9, track_id: 1 }] };
      }
    }
    await assert.rejects(
      renderAnnotatedVideo({ videoPath: FIXTURE, video, frames: slow(), outputPath, ffmpegPath, framesPerWindow: 10, signal: controller.signal }),
      /shutting down/,
    );
    assert.ok(Date.now() - started < 10_000);
    await assert.rejects(stat(outputPath), { code: 'ENOENT' });
    assert.deepEqual(await readdir(tmp), []);
  });

  test('renderAnnotationFor stores detection/{id}.mp4 from a local or a remote store, idempotently, leaving no temp files', async () => {
    const id = '0b7f6c9e-2f4a-4c1e-9d3b-5a6e7f8a9b0c';
    const key = inputKey(id, 'mp4');
    /** A store seen as a remote one: no local path, so the input is downloaded. */
    const remote = (s: LocalDirObjectStore): ObjectStore => ({
      bucket: s.bucket,
      put: s.put.bind(s),
      get: s.get.bind(s),
      stat: s.stat.bind(s),
      exists: s.exists.bind(s),
      localPath: () => undefined,
      delete: s.delete.bind(s),
      deletePrefix: s.deletePrefix.bind(s),
      close: s.close.bind(s),
    });
    for (const objects of [new LocalDirObjectStore(join(dir, 'local'), 'videos'), remote(new LocalDirObjectStore(join(dir, 'remote'), 'videos'))]) {
      await objects.put(key, Readable.from([await readFile(FIXTURE)]));
      const job = { _id: id, input: { bucket: 'videos', object: key, media_type: 'video/mp4' }, video };
      const first = await renderAnnotationFor(job, objects, from(scene()), { annotator });
      assert.deepEqual({ ...first, size: 0 }, { bucket: 'videos', object: annotatedKey(id), size: 0 });
      assert.equal((await objects.stat(annotatedKey(id))).size, first.size);
      const again = await renderAnnotationFor(job, objects, from(scene().slice(0, 3)), { annotator });
      assert.equal((await objects.stat(annotatedKey(id))).size, again.size, 'a second rendering replaces the first');
      assert.deepEqual(await readdir(tmp), [], 'no temp files left');

      await objects.delete(key);
      await assert.rejects(renderAnnotationFor(job, objects, from(scene()), { annotator }), /not in the object store/);
      await assert.rejects(renderAnnotationFor({ _id: id, input: job.input }, objects, from(scene()), { annotator }), /no video metadata/);
    }
  });
});
