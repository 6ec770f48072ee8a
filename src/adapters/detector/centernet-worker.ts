/**
 * Worker thread that owns TensorFlow.js (WASM backend) and the COCO CenterNet graph model shipped
 * by `@vladmandic/human`. The main thread talks to it through `tfjs-centernet.ts`; inference never
 * runs on the main thread.
 *
 * Pre/post-processing follows human's own adapter (`@vladmandic/human/src/object/centernet.ts`):
 * - input: the frame as float32 RGB with values 0–255, stretched (no letterbox) to 512×512 with
 *   `tf.image.resizeBilinear` (default: no align-corners, no half-pixel centers);
 * - output `tower_0/detections` [1,100,6]: x1, y1, x2, y2 in 512-input pixels, score (already a
 *   probability: the graph ends in a Sigmoid), class value used as a 0-based index into the COCO
 *   label list (`labels[classVal]`, 0 = person); rows whose class is NaN are skipped;
 * - boxes map back to the frame by x·width/512, y·height/512.
 * Unlike human (class-agnostic NMS, at most 10 objects, scores truncated to 2 decimals), this
 * worker applies NMS per class, keeps every survivor, and rounds as the port's callers expect.
 *
 * Protocol: `thread/protocol.ts`; requests are served strictly in arrival order.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { COCO_CLASSES } from './coco-classes.js';
import { sha256OfFiles } from './model-hash.js';
import { serveDetector, type ThreadLocalDetector } from './thread/serve.js';
import { callThresholds } from './thresholds.js';
import type { DetectorOptions } from '../../ports/detector.js';
import type { ThreadDetectorInfo, ThreadFrame } from './thread/protocol.js';

/** Data the main thread hands the worker at spawn time. */
export interface CenternetWorkerData {
  /** The name results record. */
  name: string;
  /** Directory holding `centernet.json` and the weight files it names. */
  modelDir: string;
  /** The default thresholds; a call's options override them. */
  confidence: number;
  iou: number;
}

/** What the worker reports once loaded. */
export interface CenternetInfo extends ThreadDetectorInfo {
  backend: string;
  inputSize: number;
  warmupMs: number;
}

export interface WorkerObject {
  class: string;
  box: [number, number, number, number];
  conf: number;
}

const INPUT_NAME = 'tower_0/images';
const OUTPUT_NAME = 'tower_0/detections';
const DEFAULT_INPUT_SIZE = 512;

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: object;
  modelTopology: object;
  weightsManifest: WeightsGroup[];
}

/** Reads a TFJS graph model (json + its binary shards) from disk, without any network handler. */
async function loadModelFromDir(modelDir: string): Promise<GraphModel> {
  const jsonPath = path.join(modelDir, 'centernet.json');
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson;
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new Error(`${jsonPath} is not a TFJS graph model`);
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const shards: Buffer[] = [];
  for (const group of json.weightsManifest) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) shards.push(await readFile(path.join(modelDir, p)));
  }
  const all = Buffer.concat(shards);
  const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
  };
  return loadGraphModel(tf.io.fromMemory(artifacts));
}

function modelInputSize(model: GraphModel): number {
  const shape = model.inputs[0]?.shape;
  const size = shape?.[2];
  return typeof size === 'number' && size > 0 ? size : DEFAULT_INPUT_SIZE;
}

interface Candidate {
  cls: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  score: number;
}

function iouOf(a: Candidate, b: Candidate): number {
  const iw = Math.min(a.x2, b.x2) - Math.max(a.x1, b.x1);
  const ih = Math.min(a.y2, b.y2) - Math.max(a.y1, b.y1);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return union > 0 ? inter / union : 0;
}

const round1 = (v: number): number => Math.round(v * 10) / 10;
const round4 = (v: number): number => Math.round(v * 10000) / 10000;

/**
 * Turns one raw `[100, 6]` detection block into the frame's objects: confidence filter, map from
 * model-input pixels to frame pixels, clamp, greedy NMS per class (suppress IoU > threshold, as
 * tf.image.nonMaxSuppression does), then round. Result is sorted by confidence, highest first.
 */
export function postprocess(
  raw: ArrayLike<number>,
  rows: number,
  inputSize: number,
  width: number,
  height: number,
  confidence: number,
  iou: number,
): WorkerObject[] {
  const sx = width / inputSize;
  const sy = height / inputSize;
  const candidates: Candidate[] = [];
  for (let r = 0; r < rows; r++) {
    const o = r * 6;
    const score = raw[o + 4]!;
    const clsVal = raw[o + 5]!;
    if (!Number.isFinite(score) || !Number.isFinite(clsVal) || score < confidence) continue;
    const cls = Math.round(clsVal);
    if (cls < 0 || cls >= COCO_CLASSES.length) continue;
    const x1 = Math.min(Math.max(raw[o]! * sx, 0), width);
    const y1 = Math.min(Math.max(raw[o + 1]! * sy, 0), height);
    const x2 = Math.min(Math.max(raw[o + 2]! * sx, 0), width);
    const y2 = Math.min(Math.max(raw[o + 3]! * sy, 0), height);
    if (!(x2 > x1) || !(y2 > y1)) continue; // degenerate (or entirely outside the frame)
    candidates.push({ cls, x1, y1, x2, y2, score });
  }
  candidates.sort((a, b) => b.score - a.score);
  const kept: Candidate[] = [];
  for (const c of candidates) {
    if (kept.some((k) => k.cls === c.cls && iouOf(k, c) > iou)) continue;
    kept.push(c);
  }
  return kept.map((k) => ({
    class: COCO_CLASSES[k.cls]!,
    box: [round1(k.x1), round1(k.y1), round1(k.x2), round1(k.y2)],
    conf: round4(k.score),
  }));
}

async function open(data: CenternetWorkerData): Promise<ThreadLocalDetector<CenternetInfo>> {
  const require = createRequire(import.meta.url);
  // The .wasm binaries sit next to the backend's node bundle; point the loader there (a directory
  // prefix with a trailing separator), so nothing is fetched.
  const wasmDir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  setWasmPaths(wasmDir + path.sep);
  if (!(await tf.setBackend('wasm'))) throw new Error('could not initialise the tfjs WASM backend');
  await tf.ready();
  tf.enableProdMode();

  const model = await loadModelFromDir(data.modelDir);
  const inputSize = modelInputSize(model);

  const runFrame = async (frame: ThreadFrame, t: DetectorOptions): Promise<WorkerObject[]> => {
    const { width, height } = frame;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      throw new Error(`invalid frame size ${width}x${height}`);
    }
    if (!(frame.data instanceof Uint8Array) || frame.data.length !== width * height * 3) {
      throw new Error(`frame data must be ${width}x${height}x3 bytes`);
    }
    const out = tf.tidy(() => {
      // float32 0–255 RGB, stretched to the model's square input (as human does).
      const pixels = tf.tensor4d(new Float32Array(frame.data), [1, height, width, 3], 'float32');
      const input = tf.image.resizeBilinear(pixels, [inputSize, inputSize]);
      return model.execute({ [INPUT_NAME]: input }, OUTPUT_NAME) as tf.Tensor;
    });
    try {
      const raw = await out.data();
      const rows = out.shape[1] ?? 0;
      return postprocess(raw, rows, inputSize, width, height, t.confidence, t.iou);
    } finally {
      out.dispose();
    }
  };

  // Warm-up: the first calls compile WASM paths and let V8 optimise pre/post-processing; a square
  // blank frame and then a textured frame of a typical video size so the first real frames of a
  // job are not several times slower than the rest.
  const t0 = performance.now();
  await runFrame({ width: inputSize, height: inputSize, data: new Uint8Array(inputSize * inputSize * 3) }, data);
  const textured = new Uint8Array(768 * 576 * 3);
  for (let i = 0; i < textured.length; i++) textured[i] = (i * 2654435761) >>> 24;
  for (let k = 0; k < 2; k++) await runFrame({ width: 768, height: 576, data: textured }, data);
  const warmupMs = performance.now() - t0;

  return {
    info: {
      name: data.name,
      // The model is its graph and its weights.
      sha256: await sha256OfFiles(['centernet.json', 'centernet.bin'].map((f) => path.join(data.modelDir, f))),
      backend: tf.getBackend(),
      inputSize,
      warmupMs,
    },
    async detect(frames, options) {
      const t = callThresholds(data, options);
      const objects: WorkerObject[][] = [];
      for (const frame of frames) objects.push(await runFrame(frame, t));
      return objects;
    },
  };
}

serveDetector(open);
