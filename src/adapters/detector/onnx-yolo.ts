/**
 * Detector adapter: Ultralytics YOLO detection models exported to ONNX (`yolo export format=onnx`:
 * v5, v8/v11 and the NMS-free v10/YOLO26 layouts; fixed or dynamic batch; float32 or float16), on
 * onnxruntime-node, in a worker thread of its own (`thread/host.ts`).
 *
 * What a call does (`yolo/in-thread.ts`): frames are letterboxed as Ultralytics does, batched up to
 * the model's batch size, run, decoded, mapped back to frame pixels, clamped, then de-duplicated by
 * class-wise NMS in frame pixels. Boxes and confidences are returned unrounded.
 */
import * as path from 'node:path';
import type { Detector } from '../../ports/detector.js';
import { siblingModule, startDetectorThread } from './thread/host.js';
import type { OnnxYoloOptions } from './yolo/in-thread.js';
import type { OnnxYoloInfo, OnnxYoloWorkerData } from './onnx-yolo-worker.js';

export type { OnnxYoloOptions } from './yolo/in-thread.js';

export interface OnnxYoloDetector extends Detector {
  /** Class names by index (`class<i>` where the model and labels name none). */
  readonly classes: readonly string[];
  readonly layout: OnnxYoloInfo['layout'];
  /** The model input the frames are letterboxed to. */
  readonly inputSize: { width: number; height: number };
  /** Frames per run: the model's fixed batch size, or `dynamic` (up to `maxBatch`). */
  readonly batch: number | 'dynamic';
  /** The execution provider the session runs on (`cpu` or `cuda`). */
  readonly provider: string;
}

/** Loads the model at `opts.modelPath` in a new worker thread; rejects with why it cannot. */
export async function createOnnxYoloDetector(opts: OnnxYoloOptions): Promise<OnnxYoloDetector> {
  const { log, ...rest } = opts;
  const data: OnnxYoloWorkerData = {
    ...rest,
    modelPath: path.resolve(opts.modelPath),
    ...(opts.labelsPath !== undefined ? { labelsPath: path.resolve(opts.labelsPath) } : {}),
  };
  const d = await startDetectorThread<OnnxYoloInfo>(siblingModule(import.meta.url, 'onnx-yolo-worker'), data, `YOLO model ${opts.name}`);
  for (const w of d.info.warnings ?? []) log?.warn({ model: opts.name }, w);
  const { classes, layout, inputSize, batch, provider } = d.info;
  return { name: d.name, sha256: d.sha256, classes, layout, inputSize, batch, provider, detect: (f, o) => d.detect(f, o), close: () => d.close() };
}
