/**
 * An Ultralytics YOLO ONNX model on onnxruntime-node, in the calling thread. `../onnx-yolo.ts` runs
 * this inside a worker thread; use that.
 *
 * Per call: frames are letterboxed as Ultralytics does (`yolo/letterbox.ts`, with sharp on libuv's
 * thread pool), batched up to the model's batch size, run, decoded, mapped back to frame pixels,
 * clamped, then de-duplicated by class-wise NMS in frame pixels (so no two returned boxes of one
 * class overlap by more than `iou`). Boxes and confidences are returned unrounded. `confidence` and
 * `iou` are the call's options where given, else the detector's (`opts`); the confidence is also
 * the decode's floor, so a call asking less than the default really sees the lower-scored boxes.
 *
 * Note: onnxruntime-node runs a session synchronously on the calling thread, so a run blocks this
 * thread's event loop for the inference time — hence the worker thread. Letterboxing is async
 * (sharp) and starts as soon as a call arrives, so it overlaps the run of the call before it.
 */
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DetectOptions, Detector, DetectorOptions } from '../../../ports/detector.js';
import type { DetectedObject, FrameImage } from '../../../core/types.js';
import { sha256OfFiles } from '../model-hash.js';
import { callThresholds } from '../thresholds.js';
import { decodeYolo, type YoloLayout } from './decode.js';
import { halfsToFloats } from './float16.js';
import { batchWriter, type InputType } from './input-tensor.js';
import { resolveLayout } from './layout.js';
import { letterbox, letterboxPixels, unletterbox, type Letterbox } from './letterbox.js';
import { className, parseFlag, parseImgsz, parseNames, readLabels } from './model-info.js';
import { classwiseNms, type Candidate } from './nms.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import { openSession, type SessionChoice } from './session.js';

export interface OnnxYoloOptions extends DetectorOptions, SessionChoice {
  /** Model name recorded with results. */
  name: string;
  /** The `.onnx` file. */
  modelPath: string;
  /** Class names, one per line; wins over the model's `names` metadata. */
  labelsPath?: string;
  /** Output layout; `auto` (default) decides from the output shape and class count. */
  layout?: 'auto' | YoloLayout;
  /** Square input side, used only if the model's H/W dims are dynamic (default: its `imgsz`, else 640). */
  inputSize?: number;
  /** Frames per run when the batch dim is dynamic (default 8). */
  maxBatch?: number;
  /** Most objects kept per frame (default 300). */
  maxDetections?: number;
}

export interface OnnxYoloDetector extends Detector {
  /** Class names by index (`class<i>` where the model and labels name none). */
  readonly classes: readonly string[];
  /** Hex SHA-256 of the model file. */
  readonly sha256: string;
  readonly layout: YoloLayout;
  /** The model input the frames are letterboxed to. */
  readonly inputSize: { width: number; height: number };
  /** Frames per run: the model's fixed batch size, or `dynamic` (up to `maxBatch`). */
  readonly batch: number | 'dynamic';
  /** The execution provider the session runs on (`cpu` or `cuda`). */
  readonly provider: string;
}

function check(name: string, v: unknown, ok: (n: number) => boolean, what: string): void {
  if (typeof v !== 'number' || !ok(v)) throw new Error(`${name} must be ${what}, got ${String(v)}`);
}
const isUnit = (n: number): boolean => n >= 0 && n <= 1;
const isCount = (n: number): boolean => Number.isInteger(n) && n > 0;

function tensorMetadata(file: string, what: string, m: ort.InferenceSession.ValueMetadata | undefined) {
  if (!m?.isTensor || (m.type !== 'float32' && m.type !== 'float16')) {
    throw new Error(`${file}: the model's first ${what} must be a float32 or float16 tensor`);
  }
  return { name: m.name, type: m.type as InputType, shape: m.shape };
}

/** Opens the model at `opts.modelPath` and reads what it says about itself (see module comment). */
export async function openOnnxYolo(opts: OnnxYoloOptions): Promise<OnnxYoloDetector> {
  if (typeof opts.name !== 'string' || opts.name === '') throw new Error('name must be a non-empty string');
  check('confidence', opts.confidence, isUnit, 'a number between 0 and 1');
  check('iou', opts.iou, isUnit, 'a number between 0 and 1');
  for (const k of ['inputSize', 'maxBatch', 'maxDetections', 'intraOpThreads', 'interOpThreads'] as const) {
    if (opts[k] !== undefined) check(k, opts[k], isCount, 'a positive integer');
  }
  if (!['auto', 'v5', 'v8', 'end2end', undefined].includes(opts.layout)) throw new Error(`unknown layout ${opts.layout}`);
  const file = path.resolve(opts.modelPath);
  const { session, provider } = await openSession(file, opts);
  try {
    return await openDetector(file, session, provider, opts);
  } catch (err) {
    await session.release();
    throw err;
  }
}

async function openDetector(
  file: string,
  session: ort.InferenceSession,
  provider: string,
  opts: OnnxYoloOptions,
): Promise<OnnxYoloDetector> {
  const [sha256, meta, labels] = await Promise.all([
    sha256OfFiles([file]),
    readOnnxMetadata(file),
    opts.labelsPath === undefined ? undefined : readLabels(path.resolve(opts.labelsPath)),
  ]);
  if (labels?.length === 0) throw new Error(`${opts.labelsPath}: no class names`);
  const input = tensorMetadata(file, 'input', session.inputMetadata[0]);
  const output = tensorMetadata(file, 'output', session.outputMetadata[0]);
  const [b, c, h, w] = input.shape;
  if (input.shape.length !== 4 || (typeof c === 'number' && c !== 3)) {
    throw new Error(`${file}: input shape [${input.shape.join(', ')}] is not [batch, 3, height, width]`);
  }
  let names = labels;
  const namesMeta = meta.get('names');
  if (!names && namesMeta !== undefined) {
    try {
      names = parseNames(namesMeta);
    } catch (err) {
      throw new Error(`${file}: cannot read the names metadata (pass labelsPath): ${(err as Error).message}`);
    }
  }
  const layout = resolveLayout(
    { file, shape: output.shape, classes: names?.length, end2end: parseFlag(meta.get('end2end')) },
    opts.layout === 'auto' ? undefined : opts.layout,
  );
  // Without names, the class count is the output's class dim (unknown for end2end).
  const classDim = layout === 'v8' ? output.shape[1] : output.shape[2];
  const nc = layout === 'end2end' || typeof classDim !== 'number' ? 0 : classDim - (layout === 'v8' ? 4 : 5);
  const classes = names ?? Array.from({ length: nc }, (_, i) => className([], i));

  const side = opts.inputSize ?? parseImgsz(meta.get('imgsz')) ?? 640;
  const fallback = typeof side === 'number' ? { height: side, width: side } : side;
  const inputSize = {
    width: typeof w === 'number' ? w : fallback.width,
    height: typeof h === 'number' ? h : fallback.height,
  };
  const batch = typeof b === 'number' && b > 0 ? b : 'dynamic';
  const perRun = batch === 'dynamic' ? (opts.maxBatch ?? 8) : batch;
  const maxDetections = opts.maxDetections ?? 300;
  const writeBatch = batchWriter(input.type, perRun, inputSize.height, inputSize.width);

  const toObjects = (values: ArrayLike<number>, dims: readonly number[], slot: number, lb: Letterbox, t: DetectorOptions): DetectedObject[] => {
    const mapped: Candidate[] = [];
    for (const c of decodeYolo(values, dims, layout, slot, t.confidence)) {
      const box = unletterbox(lb, ...c.box);
      if (box) mapped.push({ ...c, box });
    }
    // End-to-end models have done their own NMS.
    const kept =
      layout === 'end2end'
        ? mapped.sort((x, y) => y.score - x.score).slice(0, maxDetections)
        : classwiseNms(mapped, t.iou, maxDetections);
    return kept.map((k) => ({ class: className(classes, k.cls), box: k.box, conf: k.score }));
  };

  const { width: W, height: H } = inputSize;
  const letterboxes = (frames: readonly FrameImage[]): Letterbox[] => frames.map((f) => letterbox(f.width, f.height, W, H));
  const prepare = (frames: readonly FrameImage[], boxes: Letterbox[], start: number): Promise<Buffer[]> => {
    const pixels = Promise.all(frames.slice(start, start + perRun).map((f, i) => letterboxPixels(f, boxes[start + i]!, W, H)));
    // Its rejection is seen when it is awaited; the no-op catch only keeps it from being reported unhandled meanwhile.
    pixels.catch(() => undefined);
    return pixels;
  };

  /** Runs `frames` in runs of `perRun`; `first` is the first run's letterboxed pixels, already under way. */
  const runAll = async (frames: readonly FrameImage[], boxes: Letterbox[], first: Promise<Buffer[]>, t: DetectorOptions): Promise<DetectedObject[][]> => {
    const results: DetectedObject[][] = [];
    let next = first;
    for (let start = 0; start < frames.length; start += perRun) {
      const pixels = await next;
      // Letterbox the next run's frames on the thread pool while this one infers.
      if (start + perRun < frames.length) next = prepare(frames, boxes, start + perRun);
      const slots = batch === 'dynamic' ? pixels.length : batch; // fixed batch: zero slots pad the last run
      const data = writeBatch(pixels, slots);
      const out = (await session.run({ [input.name]: new ort.Tensor(input.type, data, [slots, 3, H, W]) }))[output.name]!;
      resolveLayout({ file, shape: out.dims }, layout); // the actual dims fit the layout
      if (out.dims[0]! < pixels.length) throw new Error(`${file}: output shape [${out.dims.join(', ')}] for a batch of ${slots}`);
      const values = out.data instanceof Uint16Array ? halfsToFloats(out.data) : (out.data as ArrayLike<number>);
      pixels.forEach((_, i) => results.push(toObjects(values, out.dims, i, boxes[start + i]!, t)));
    }
    return results;
  };

  let queue: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  return {
    name: opts.name,
    classes,
    sha256,
    layout,
    inputSize,
    batch,
    provider,
    detect(frames: readonly FrameImage[], options?: DetectOptions): Promise<DetectedObject[][]> {
      if (closing) return Promise.reject(new Error(`detector ${opts.name} is closed`));
      let t: DetectorOptions;
      try {
        t = callThresholds(opts, options);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      for (const [i, f] of frames.entries()) {
        if (!f || !isCount(f.width) || !isCount(f.height) || !(f.data instanceof Uint8Array) || f.data.length !== f.width * f.height * 3) {
          return Promise.reject(new Error(`frame ${i}: not ${f?.width}x${f?.height} packed RGB bytes`));
        }
      }
      // Calls run one after another, in arrival order; each one's first letterboxing starts now.
      const boxes = letterboxes(frames);
      const first = prepare(frames, boxes, 0);
      const run = queue.then(() => runAll(frames, boxes, first, t));
      queue = run.catch(() => undefined);
      return run;
    },
    close(): Promise<void> {
      // Calls already accepted finish first; then the session goes.
      closing ??= queue.then(() => session.release());
      return closing;
    },
  };
}
