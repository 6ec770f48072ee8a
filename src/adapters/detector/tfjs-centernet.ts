/**
 * Detector adapter: COCO-80 CenterNet (the model shipped by `@vladmandic/human`) on TensorFlow.js
 * with the WASM backend, run in a worker thread (`thread/host.ts`) so inference never blocks this
 * thread. `confidence`/`iou` are the defaults; a call's options override them, per call. The graph
 * returns its 100 best boxes whatever the thresholds, so any confidence filters the same candidates.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { ModelInput } from '../../core/model-input.js';
import type { Detector, DetectorOptions } from '../../ports/detector.js';
import { siblingModule, startDetectorThread } from './thread/host.js';
import type { CenternetWorkerData } from './centernet-worker.js';

export const CENTERNET_MODEL_NAME = 'centernet-coco';

/** How the bundled CenterNet takes a frame: stretched to 512×512 (its graph's input; see the worker). */
export const CENTERNET_INPUT: ModelInput = { width: 512, height: 512, fit: 'stretch' };

export interface CenternetDetectorOptions extends DetectorOptions {
  /** Directory holding `centernet.json` + `centernet.bin`; defaults to `@vladmandic/human/models`. */
  modelDir?: string;
}

/** The models directory of the installed `@vladmandic/human` package. */
export function defaultCenternetModelDir(): string {
  const require = createRequire(import.meta.url);
  // The package's `exports` hide `models/`, so locate it from the resolved entry point.
  let dir = path.dirname(require.resolve('@vladmandic/human'));
  for (;;) {
    const candidate = path.join(dir, 'models');
    if (existsSync(path.join(candidate, 'centernet.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find @vladmandic/human/models/centernet.json');
    dir = parent;
  }
}

function checkUnit(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new Error(`${name} must be a number between 0 and 1, got ${String(v)}`);
  }
  return v;
}

export async function createCenternetDetector(opts: CenternetDetectorOptions): Promise<Detector> {
  const workerData: CenternetWorkerData = {
    name: CENTERNET_MODEL_NAME,
    modelDir: path.resolve(opts.modelDir ?? defaultCenternetModelDir()),
    confidence: checkUnit('confidence', opts.confidence),
    iou: checkUnit('iou', opts.iou),
  };
  if (!existsSync(path.join(workerData.modelDir, 'centernet.json'))) {
    throw new Error(`no centernet.json in ${workerData.modelDir}`);
  }
  return startDetectorThread(siblingModule(import.meta.url, 'centernet-worker'), workerData, 'centernet detector');
}
