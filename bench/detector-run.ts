/**
 * Bench, detector alone: the video's sampled frames decoded (decode frames/s and the decoder's CPU),
 * prepared exactly as the runner prepares them (the design's preprocessing, resized to the size
 * the model scales them to), then one detector timed on them — as the inference stage deploys it
 * (its replicas; batch 1, one call at a time, and batch B, two calls per replica outstanding) —
 * and the model itself: onnxruntime sessions run on the letterboxed inputs and nothing else, whose
 * CPU per frame is what the pipelines' CPU is compared with ("Framewise's own CPU" is the rest).
 */
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { SharpFrameCodec } from '../src/adapters/frame-codec/sharp.js';
import { WasmFramePreparer } from '../src/adapters/frame-preparer/wasm-simd.js';
import { TypeScriptFramePreparer } from '../src/adapters/frame-preparer/typescript.js';
import { FrameKernels } from '../src/adapters/frame-kernels/wasm-kernels.js';
import { sampleEvery } from '../src/core/sampling.js';
import { letterbox, PAD_VALUE, travelSize, type ModelInput } from '../src/core/model-input.js';
import { frameSource, preprocessing } from '../src/modes/settings.js';
import type { Config } from '../src/core/config.js';
import type { Detector } from '../src/ports/detector.js';
import type { FrameImage } from '../src/core/types.js';
import { cpuOfSelfSync } from './proc-stat.js';

export interface SampledVideo {
  /** Decoded sampled frames at display size. */
  decoded: FrameImage[];
  every: number;
  width: number;
  height: number;
  /** Sampled frames per second of ffmpeg decoding alone (every frame is decoded; the sampled ones kept). */
  decodeFps: number;
  /** ffmpeg's CPU per sampled frame when decoding alone (ms). */
  decodeCpuMs: number;
}

export async function sampleVideo(video: string, config: Config): Promise<SampledVideo> {
  const source = frameSource(config);
  const info = await source.probe(video);
  const every = sampleEvery(config.sampleFps ? { targetFps: config.sampleFps } : { everyNFrames: config.sampleEvery }, info.fps);
  // Decoding alone first, so its rate is not mixed with the work done on each frame.
  let n = 0;
  const cpu0 = cpuOfSelfSync().childrenMs;
  const start = performance.now();
  for await (const _ of source.frames(video, every, { reuse: true })) n++;
  const decodeFps = n / ((performance.now() - start) / 1000);
  const decodeCpuMs = (cpuOfSelfSync().childrenMs - cpu0) / n;
  const decoded: FrameImage[] = [];
  for await (const { image } of source.frames(video, every)) decoded.push(image);
  if (decoded.length === 0) throw new Error(`no frames decoded from ${video}`);
  return { decoded, every, width: info.width, height: info.height, decodeFps, decodeCpuMs };
}

/** What a frame costs on its way, per sampled frame, single-threaded (ms), at a model's travel size. */
export interface FrameCosts {
  travel: { width: number; height: number };
  /** The SIMD kernels: preprocessing, and preprocessing + resize to the travel size. */
  preprocess_ms: number;
  prepare_ms: number;
  /** The TypeScript reference of the same (what the runner did before the kernels). */
  reference_prepare_ms: number;
  /** JPEG (quality 90) at the travel size: encode, decode, size. */
  jpeg_encode_ms: number;
  jpeg_decode_ms: number;
  jpeg_kb: number;
  /** Raw RGB at the travel size, KB (no codec CPU). */
  raw_kb: number;
  /** The letterboxed model input, written by the kernels (ms). */
  model_input_ms: number;
}

const time = async (n: number, f: (i: number) => unknown): Promise<number> => {
  const t = performance.now();
  for (let i = 0; i < n; i++) await f(i);
  return (performance.now() - t) / n;
};

/** The frames as the runner sends them to a model of `input`, and what preparing them costs. */
export async function prepareFrames(video: SampledVideo, config: Config, input: ModelInput | undefined): Promise<{ frames: FrameImage[]; costs: FrameCosts }> {
  const pre = preprocessing(config);
  const travel = input ? travelSize(video.width, video.height, input) : { width: video.width, height: video.height };
  const preparer = new WasmFramePreparer();
  const frames = video.decoded.map((f) => preparer.prepare(f, { preprocess: pre, size: travel }));
  const sample = video.decoded.slice(0, Math.min(40, video.decoded.length));
  const k = sample.length;
  await time(3, (i) => preparer.prepare(sample[i % k]!, { preprocess: pre, size: travel })); // warm-up
  const preprocess_ms = await time(k, (i) => preparer.prepare(sample[i]!, { preprocess: pre }));
  const prepare_ms = await time(k, (i) => preparer.prepare(sample[i]!, { preprocess: pre, size: travel }));
  const reference = new TypeScriptFramePreparer();
  const reference_prepare_ms = await time(Math.min(k, 10), (i) => reference.prepare(sample[i]!, { preprocess: pre, size: travel }));
  const jpeg = new SharpFrameCodec('jpeg', config.jpegQuality);
  const encoded = await Promise.all(frames.slice(0, k).map((f) => jpeg.encode(f)));
  const jpeg_encode_ms = await time(k, (i) => jpeg.encode(frames[i]!));
  const jpeg_decode_ms = await time(k, (i) => jpeg.decode(encoded[i]!.bytes, encoded[i]!.contentType));
  let model_input_ms = Number.NaN;
  if (input) {
    const kernels = FrameKernels.create();
    kernels.reserveInput(1, input.width, input.height);
    const lb = letterbox(travel.width, travel.height, input.width, input.height);
    model_input_ms = await time(k, (i) => kernels.fillInput(0, frames[i]!, lb, input.width, input.height, PAD_VALUE));
  }
  return {
    frames,
    costs: {
      travel,
      preprocess_ms,
      prepare_ms,
      reference_prepare_ms,
      jpeg_encode_ms,
      jpeg_decode_ms,
      jpeg_kb: encoded.reduce((a, e) => a + e.bytes.length, 0) / k / 1024,
      raw_kb: (travel.width * travel.height * 3) / 1024,
      model_input_ms,
    },
  };
}

export interface DetectorSpeed {
  batch1Fps: number;
  batchFps: number;
  /** This process's peak RSS after the detector ran (MB; the frames held are part of it). */
  peakRssMb: number;
}

/** Frames/s of `detector` over `passes` passes of `frames`, `batch` frames per call, `outstanding` calls at once. */
async function framesPerSecond(detector: Detector, frames: FrameImage[], passes: number, batch: number, outstanding: number): Promise<number> {
  const calls: FrameImage[][] = [];
  for (let p = 0; p < passes; p++) for (let i = 0; i < frames.length; i += batch) calls.push(frames.slice(i, i + batch));
  const start = performance.now();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < calls.length) await detector.detect(calls[next++]!);
  };
  await Promise.all(Array.from({ length: outstanding }, lane));
  return (passes * frames.length) / ((performance.now() - start) / 1000);
}

/** `open` makes the detector as deployed; `replicas` calls run at once at batch 1, two per replica at batch B. */
export async function detectorSpeed(
  open: () => Promise<Detector>,
  frames: FrameImage[],
  passes: number,
  batch: number,
  replicas: number,
): Promise<DetectorSpeed> {
  const detector = await open();
  try {
    // Warm-up: first calls compile kernels and let V8 optimise pre/post-processing.
    await detector.detect(frames.slice(0, batch));
    await Promise.all(Array.from({ length: replicas }, (_, i) => detector.detect(frames.slice(i, i + 1))));
    const batch1Fps = await framesPerSecond(detector, frames, passes, 1, replicas);
    const batchFps = await framesPerSecond(detector, frames, passes, batch, 2 * replicas);
    return { batch1Fps, batchFps, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await detector.close();
  }
}

/**
 * The model alone: `replicas` onnxruntime sessions (`intraOpThreads` threads each), each in a
 * worker thread of its own as the inference stage runs them, run at once on the letterboxed model
 * inputs of up to 48 of `frames`, one frame per run, nothing else done. Returns the frames/s of
 * them together and the CPU per frame (this process's CPU over the runs: the sessions' threads and
 * the run calls) — the model's cost, which the pipelines' CPU is compared with.
 */
export async function modelAlone(
  modelPath: string,
  input: ModelInput,
  frames: FrameImage[],
  intraOpThreads: number | undefined,
  replicas = 1,
): Promise<{ fps: number; cpuMsPerFrame: number }> {
  const some = frames.slice(0, 48);
  const plane = 3 * input.width * input.height;
  // The inputs in shared memory: every worker reads them, none copies them.
  const shared = new SharedArrayBuffer(some.length * plane * 4);
  const kernels = FrameKernels.create();
  kernels.reserveInput(1, input.width, input.height);
  some.forEach((f, i) => {
    kernels.fillInput(0, f, letterbox(f.width, f.height, input.width, input.height), input.width, input.height, PAD_VALUE);
    new Float32Array(shared, i * plane * 4, plane).set(kernels.inputBatch(1, input.width, input.height));
  });
  const code = `
    const { parentPort, workerData: d } = require('node:worker_threads');
    const ort = require(d.ort);
    (async () => {
      const options = { graphOptimizationLevel: 'all', executionProviders: ['cpu'] };
      if (d.threads) options.intraOpNumThreads = d.threads;
      const session = await ort.InferenceSession.create(d.model, options);
      const name = session.inputNames[0];
      // onnxruntime-node refuses shared memory: this worker's frames are copied out once, before timing.
      const mine = new Map();
      for (let i = d.first; i < d.count; i += d.step) mine.set(i, new ort.Tensor('float32', new Float32Array(d.shared, i * d.plane * 4, d.plane).slice(), [1, 3, d.h, d.w]));
      const tensor = (i) => mine.get(i) ?? new ort.Tensor('float32', new Float32Array(d.shared, i * d.plane * 4, d.plane).slice(), [1, 3, d.h, d.w]);
      for (let i = 0; i < 2; i++) await session.run({ [name]: tensor(i % d.count) });
      parentPort.postMessage('warm');
      parentPort.once('message', async () => {
        for (let i = d.first; i < d.count; i += d.step) await session.run({ [name]: tensor(i) });
        await session.release();
        parentPort.postMessage('done');
      });
    })();`;
  const ortPath = createRequire(import.meta.url).resolve('onnxruntime-node');
  const workers = Array.from(
    { length: replicas },
    (_, r) =>
      new Worker(code, {
        eval: true,
        workerData: {
          ort: ortPath,
          model: modelPath,
          threads: intraOpThreads,
          shared,
          plane,
          count: some.length,
          first: r,
          step: replicas,
          w: input.width,
          h: input.height,
        },
      }),
  );
  const next = (w: Worker): Promise<unknown> => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject));
  try {
    await Promise.all(workers.map(next));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const done = workers.map(next);
    for (const w of workers) w.postMessage('go');
    await Promise.all(done);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { fps: some.length / (ms / 1000), cpuMsPerFrame: (cpu.user + cpu.system) / 1000 / some.length };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
