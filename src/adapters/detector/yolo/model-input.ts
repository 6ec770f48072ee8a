import type { ModelInput } from '../../../core/model-input.js';
import { readOnnxInputShape, readOnnxMetadata } from './onnx-metadata.js';
import { parseImgsz } from './model-info.js';

/**
 * The input of the YOLO ONNX model at `file`, read from the file alone (no session: a runner need
 * not load the model to know what size its frames should travel at), decided as the detector
 * decides it: the graph input's fixed height and width, else `inputSize` (square), else the
 * Ultralytics `imgsz` metadata, else 640. Letterboxed.
 */
export async function yoloModelInput(file: string, inputSize?: number): Promise<ModelInput> {
  const [shape, meta] = await Promise.all([readOnnxInputShape(file), readOnnxMetadata(file)]);
  const [, , h, w] = shape ?? [];
  const side = inputSize ?? parseImgsz(meta.get('imgsz')) ?? 640;
  const fallback = typeof side === 'number' ? { height: side, width: side } : side;
  return {
    width: typeof w === 'number' && w > 0 ? w : fallback.width,
    height: typeof h === 'number' && h > 0 ? h : fallback.height,
    fit: 'letterbox',
  };
}
