/**
 * Bench, detector alone: a video's sampled frames decoded (decode frames/s), preprocessed and
 * encoded and decoded for the bus as the pipeline does (outside any timing), then one detector timed on them at
 * batch 1 (one frame per call, one call at a time) and at batch B (B frames per call, two calls
 * outstanding — what the inference stage's batching does).
 */
import { performance } from 'node:perf_hooks';
import { SharpFrameCodec } from '../src/adapters/frame-codec/sharp.js';
import { preprocess } from '../src/core/preprocess.js';
import { sampleEvery } from '../src/core/sampling.js';
import { frameSource, preprocessing } from '../src/modes/settings.js';
import type { Config } from '../src/core/config.js';
import type { Detector } from '../src/ports/detector.js';
import type { FrameImage } from '../src/core/types.js';

export interface SampledVideo {
  frames: FrameImage[];
  every: number;
  width: number;
  height: number;
  /** Sampled frames per second of ffmpeg decoding (every frame is decoded; the sampled ones kept). */
  decodeFps: number;
  /** Per sampled frame, single-threaded: preprocess, frame encode and decode (ms, in `FRAMEWISE_FRAME_FORMAT`) and message size (KB). */
  costs: { preprocess_ms: number; frame_encode_ms: number; frame_decode_ms: number; frame_kb: number };
}

export async function sampleVideo(video: string, config: Config): Promise<SampledVideo> {
  const source = frameSource(config);
  const codec = new SharpFrameCodec(config.frameFormat, config.jpegQuality);
  const info = await source.probe(video);
  const every = sampleEvery(config.sampleFps ? { targetFps: config.sampleFps } : { everyNFrames: config.sampleEvery }, info.fps);

  // Decoding alone first, so its rate is not mixed with the work done on each frame.
  let n = 0;
  let start = performance.now();
  for await (const _ of source.frames(video, every)) n++;
  const decodeFps = n / ((performance.now() - start) / 1000);

  const frames: FrameImage[] = [];
  const t = { pre: 0, enc: 0, dec: 0, bytes: 0 };
  for await (const { image } of source.frames(video, every)) {
    start = performance.now();
    const pre = preprocess(image, preprocessing(config));
    t.pre += performance.now() - start;
    start = performance.now();
    const jpeg = await codec.encode(pre);
    t.enc += performance.now() - start;
    t.bytes += jpeg.length;
    start = performance.now();
    const back = await codec.decode(jpeg);
    t.dec += performance.now() - start;
    frames.push({ width: back.width, height: back.height, data: back.data.slice() });
  }
  if (frames.length === 0) throw new Error(`no frames decoded from ${video}`);
  const per = (v: number) => v / frames.length;
  return {
    frames,
    every,
    width: info.width,
    height: info.height,
    decodeFps,
    costs: { preprocess_ms: per(t.pre), frame_encode_ms: per(t.enc), frame_decode_ms: per(t.dec), frame_kb: per(t.bytes) / 1024 },
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

export async function detectorSpeed(open: () => Promise<Detector>, frames: FrameImage[], passes: number, batch: number): Promise<DetectorSpeed> {
  const detector = await open();
  try {
    // Warm-up: first calls compile kernels and let V8 optimise pre/post-processing.
    await detector.detect(frames.slice(0, batch));
    await detector.detect(frames.slice(0, 1));
    const batch1Fps = await framesPerSecond(detector, frames, passes, 1, 1);
    const batchFps = await framesPerSecond(detector, frames, passes, batch, 2);
    return { batch1Fps, batchFps, peakRssMb: process.resourceUsage().maxRSS / 1024 };
  } finally {
    await detector.close();
  }
}
