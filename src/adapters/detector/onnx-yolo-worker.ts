/**
 * Worker thread that owns one YOLO ONNX model's onnxruntime session (`yolo/in-thread.ts`); the
 * host side is `onnx-yolo.ts`. Start-up warnings (e.g. the CUDA fallback) go back in `info`.
 */
import { openOnnxYolo, type OnnxYoloOptions } from './yolo/in-thread.js';
import { serveDetector } from './thread/serve.js';
import type { ThreadDetectorInfo } from './thread/protocol.js';

/** The options without the logger (functions do not cross threads). */
export type OnnxYoloWorkerData = Omit<OnnxYoloOptions, 'log'>;

export interface OnnxYoloInfo extends ThreadDetectorInfo {
  classes: string[];
  layout: 'v5' | 'v8' | 'end2end';
  inputSize: { width: number; height: number };
  batch: number | 'dynamic';
  provider: string;
}

serveDetector(async (data: OnnxYoloWorkerData) => {
  const warnings: string[] = [];
  const log = { warn: (obj: object, msg: string) => void warnings.push(`${msg} ${JSON.stringify(obj)}`) };
  const d = await openOnnxYolo({ ...data, log });
  return {
    info: { name: d.name, sha256: d.sha256, classes: [...d.classes], layout: d.layout, inputSize: d.inputSize, batch: d.batch, provider: d.provider, warnings },
    detect: (frames, options) => d.detect(frames, options),
  };
});
