/**
 * Worker thread that owns the bundled NanoDet-g's onnxruntime session; the host side is
 * `onnx-nanodet.ts`. Requests are served strictly in arrival order (`thread/serve.ts`).
 *
 * Pre-processing is nanodet's own (its `Pipeline` and `_normalize`): the frame resized to the
 * input (OpenCV's linear resize, by the SIMD frame kernels, where it is not that size already),
 * channels in BGR order, each normalised by nanodet's mean (103.53, 116.28, 123.675) and standard
 * deviation (57.375, 57.12, 58.395), NCHW float32. Human's TFJS adapter of the same weights
 * (`@vladmandic/human/src/object/nanodet.ts`) feeds RGB / 255 and reads each side's distribution by
 * its arg-max: measured on vtest.avi against the real YOLOv8n that gave F1 0.66 where nanodet's
 * own pre- and post-processing give 0.93 (see `nanodet-decode.ts`).
 */
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DetectedObject, FrameImage } from '../../core/types.js';
import { FrameKernels } from '../frame-kernels/wasm-kernels.js';
import { sha256OfFiles } from './model-hash.js';
import { decodeNanodet, type NanodetLevel } from './nanodet-decode.js';
import { serveDetector } from './thread/serve.js';
import type { ThreadDetectorInfo } from './thread/protocol.js';
import { callThresholds } from './thresholds.js';
import { openSession, type SessionChoice } from './yolo/session.js';

/** Data the main thread hands the worker at spawn time (no functions: they do not cross threads). */
export interface OnnxNanodetWorkerData extends Omit<SessionChoice, 'log'> {
  /** The name results record. */
  name: string;
  /** The `.onnx` file. */
  modelPath: string;
  /** The default thresholds; a call's options override them. */
  confidence: number;
  iou: number;
}

export interface OnnxNanodetInfo extends ThreadDetectorInfo {
  inputSize: number;
  provider: string;
}

const STRIDES = [8, 16, 32] as const;
const CLASSES = 80;
const MEAN_BGR = [103.53, 116.28, 123.675] as const;
const STD_BGR = [57.375, 57.12, 58.395] as const;

serveDetector(async (data: OnnxNanodetWorkerData) => {
  const warnings: string[] = [];
  const file = path.resolve(data.modelPath);
  const { session, provider } = await openSession(file, { ...data, log: { warn: (obj, msg) => void warnings.push(`${msg} ${JSON.stringify(obj)}`) } });
  const input = session.inputMetadata[0];
  const shape = input?.isTensor ? input.shape : [];
  const size = shape[2];
  if (!input?.isTensor || shape.length !== 4 || shape[1] !== 3 || typeof size !== 'number' || shape[3] !== size) {
    throw new Error(`${path.basename(file)}: input [${shape.join(', ')}] is not [1, 3, size, size]`);
  }
  // Which output is which stride's scores (`[1, cells, 80]`) and box distributions
  // (`[1, cells, 4·bins]`): by shape, as the names carry no meaning.
  const dims = new Map(session.outputMetadata.map((m) => [m.name, m.isTensor ? m.shape : []]));
  const outputs = STRIDES.map((stride) => {
    const cells = Math.ceil(size / stride) ** 2;
    const find = (scores: boolean): string => {
      const hit = [...dims].find(([, d]) => d[1] === cells && (scores ? d[2] === CLASSES : d[2] !== CLASSES && Number(d[2]) % 4 === 0));
      if (!hit) throw new Error(`${path.basename(file)}: no ${scores ? 'score' : 'box'} output for stride ${stride} (${cells} cells)`);
      return hit[0];
    };
    return { stride, scores: find(true), regs: find(false) };
  });
  const fetches = outputs.flatMap((o) => [o.scores, o.regs]);

  const kernels = FrameKernels.create();
  kernels.reserveInput(1, size, size);
  const plane = size * size;
  const normalised = new Float32Array(3 * plane);
  const stretch = { unpadWidth: size, unpadHeight: size, left: 0, top: 0 };

  const run = async (frame: FrameImage, t: { confidence: number; iou: number }): Promise<DetectedObject[]> => {
    kernels.fillInput(0, frame, stretch, size, size, 0);
    const rgb = kernels.inputBatch(1, size, size); // planar R, G, B, each value / 255
    for (let c = 0; c < 3; c++) {
      const from = rgb.subarray((2 - c) * plane, (3 - c) * plane);
      const to = normalised.subarray(c * plane, (c + 1) * plane);
      const gain = 255 / STD_BGR[c]!;
      const offset = MEAN_BGR[c]! / STD_BGR[c]!;
      for (let i = 0; i < plane; i++) to[i] = from[i]! * gain - offset;
    }
    const out = await session.run({ [input.name]: new ort.Tensor('float32', normalised, [1, 3, size, size]) }, fetches);
    const levels: NanodetLevel[] = outputs.map((o) => ({
      stride: o.stride,
      scores: out[o.scores]!.data as Float32Array,
      regs: out[o.regs]!.data as Float32Array,
    }));
    return decodeNanodet(levels, size, frame.width, frame.height, t.confidence, t.iou);
  };

  return {
    info: { name: data.name, sha256: await sha256OfFiles([file]), inputSize: size, provider, warnings },
    async detect(frames, options) {
      const t = callThresholds(data, options);
      const found: DetectedObject[][] = [];
      for (const frame of frames) found.push(await run(frame, t));
      return found;
    },
  };
});
