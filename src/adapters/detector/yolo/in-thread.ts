/**
 * An Ultralytics YOLO ONNX model on onnxruntime-node, in the calling thread. `../onnx-yolo.ts` runs
 * this inside a worker thread; use that.
 *
 * Per call: frames are letterboxed as Ultralytics does (`core/model-input.ts`: OpenCV's linear resize
 * where the frame is not already the letterbox's size, grey 114 padding, RGB / 255 in planar
 * float32, written by the SIMD frame kernels straight into the model's input batch), batched up to
 * the model's batch size, run, decoded, mapped back to frame pixels,
 * clamped, then de-duplicated by class-wise NMS in frame pixels (so no two returned boxes of one
 * class overlap by more than `iou`). Boxes and confidences are returned unrounded. `confidence` and
 * `iou` are the call's options where given, else the detector's (`opts`); the confidence is also
 * the decode's floor, so a call asking less than the default really sees the lower-scored boxes.
 *
 * Note: onnxruntime-node runs a session synchronously on the calling thread, so a run blocks this
 * thread's event loop for the inference time — hence the worker thread.
 */
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { DetectOptions, Detector, DetectorOptions } from '../../../ports/detector.js';
import type { DetectedObject, FrameImage } from '../../../core/types.js';
import { sha256OfFiles } from '../model-hash.js';
import { callThresholds } from '../thresholds.js';
import { decodeYolo, type YoloLayout } from './decode.js';
import { halfsToFloats } from './float16.js';
import { toHalf } from './float16.js';
import { float16Tensor } from './float16-tensor.js';
/** The model input's element type. */
type InputType = 'float32' | 'float16';
import { resolveLayout } from './layout.js';
import { letterbox, PAD_VALUE, unletterbox, type Letterbox } from '../../../core/model-input.js';
import { FrameKernels } from '../../frame-kernels/wasm-kernels.js';
import { className, parseFlag, parseImgsz, parseNames, readLabels } from './model-info.js';
import { classwiseNms, type Candidate } from './nms.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import { openSession, type SessionChoice } from './session.js';
import { COMPACT_OUTPUT, ELEM, withCompactOutput } from './compact-output.js';
import { readFile } from 'node:fs/promises';

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

async function openDetector(file: string, loaded: ort.InferenceSession, loadedOn: string, opts: OnnxYoloOptions): Promise<OnnxYoloDetector> {
  let session = loaded;
  let provider = loadedOn;
  const [sha256, meta, labels] = await Promise.all([
    sha256OfFiles([file]),
    readOnnxMetadata(file),
    opts.labelsPath === undefined ? undefined : readLabels(path.resolve(opts.labelsPath)),
  ]);
  if (labels?.length === 0) throw new Error(`${opts.labelsPath}: no class names`);
  const input = tensorMetadata(file, 'input', loaded.inputMetadata[0]);
  const output = tensorMetadata(file, 'output', loaded.outputMetadata[0]);
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

  // The compact output (`compact-output.ts`): the session computes each anchor's best class and
  // returns 6 floats an anchor instead of 4 + nc. Where it cannot be added, the full output is decoded.
  let fetch = output.name;
  if (layout !== 'end2end' && typeof classDim === 'number' && nc > 0) {
    const bytes = withCompactOutput(await readFile(file), {
      output: output.name,
      layout,
      classes: nc,
      elemType: output.type === 'float16' ? ELEM.FLOAT16 : ELEM.FLOAT,
    });
    if (bytes) {
      try {
        // On the provider the first session got (a CUDA fallback is not tried, and warned about, twice).
        const compact = await openSession(file, { ...opts, executionProvider: provider === 'cuda' ? 'cuda' : 'cpu' }, bytes);
        if (compact.session.outputNames.includes(COMPACT_OUTPUT)) {
          await loaded.release();
          session = compact.session;
          provider = compact.provider;
          fetch = COMPACT_OUTPUT;
        } else await compact.session.release();
      } catch (err) {
        opts.log?.warn({ model: file, reason: (err as Error).message }, 'cannot add the compact output; decoding the full output');
      }
    }
  }
  const compact = fetch === COMPACT_OUTPUT;

  const side = opts.inputSize ?? parseImgsz(meta.get('imgsz')) ?? 640;
  const fallback = typeof side === 'number' ? { height: side, width: side } : side;
  const inputSize = {
    width: typeof w === 'number' ? w : fallback.width,
    height: typeof h === 'number' ? h : fallback.height,
  };
  const batch = typeof b === 'number' && b > 0 ? b : 'dynamic';
  const perRun = batch === 'dynamic' ? (opts.maxBatch ?? 8) : batch;
  const maxDetections = opts.maxDetections ?? 300;
  const kernels = FrameKernels.create();
  kernels.reserveInput(perRun, inputSize.width, inputSize.height);
  const halves = input.type === 'float16' ? new Uint16Array(perRun * 3 * inputSize.width * inputSize.height) : undefined;

  const toObjects = (values: ArrayLike<number>, dims: readonly number[], slot: number, lb: Letterbox, t: DetectorOptions): DetectedObject[] => {
    const mapped: Candidate[] = [];
    for (const c of decodeYolo(values, dims, layout, slot, t.confidence, compact)) {
      const box = unletterbox(lb, ...c.box);
      if (box) mapped.push({ ...c, box });
    }
    // End-to-end models have done their own NMS.
    const kept = layout === 'end2end' ? mapped.sort((x, y) => y.score - x.score).slice(0, maxDetections) : classwiseNms(mapped, t.iou, maxDetections);
    return kept.map((k) => ({ class: className(classes, k.cls), box: k.box, conf: k.score }));
  };

  const { width: W, height: H } = inputSize;
  const letterboxes = (frames: readonly FrameImage[]): Letterbox[] => frames.map((f) => letterbox(f.width, f.height, W, H));
  const plane = 3 * W * H;

  /** The model input of `frames` (at most `perRun`) in `slots` batch slots; slots past the frames are zero. */
  const inputOf = (frames: readonly FrameImage[], boxes: readonly Letterbox[], slots: number): ort.Tensor => {
    frames.forEach((f, i) => kernels.fillInput(i, f, boxes[i]!, W, H, PAD_VALUE));
    const data = kernels.inputBatch(slots, W, H);
    data.fill(0, frames.length * plane);
    if (!halves) return new ort.Tensor('float32', data, [slots, 3, H, W]);
    const h = halves.subarray(0, slots * plane);
    for (let i = 0; i < h.length; i++) h[i] = toHalf(data[i]!);
    return float16Tensor(h, [slots, 3, H, W]);
  };

  /** Runs `frames` in runs of `perRun`. */
  const runAll = async (frames: readonly FrameImage[], boxes: Letterbox[], t: DetectorOptions): Promise<DetectedObject[][]> => {
    const results: DetectedObject[][] = [];
    for (let start = 0; start < frames.length; start += perRun) {
      const part = frames.slice(start, start + perRun);
      const slots = batch === 'dynamic' ? part.length : batch; // fixed batch: zero slots pad the last run
      const out = (await session.run({ [input.name]: inputOf(part, boxes.slice(start, start + perRun), slots) }, [fetch]))[fetch]!;
      if (!compact) resolveLayout({ file, shape: out.dims }, layout); // the actual dims fit the layout
      if (out.dims[0]! < part.length) throw new Error(`${file}: output shape [${out.dims.join(', ')}] for a batch of ${slots}`);
      const values = out.data instanceof Uint16Array ? halfsToFloats(out.data) : (out.data as ArrayLike<number>);
      part.forEach((_, i) => results.push(toObjects(values, out.dims, i, boxes[start + i]!, t)));
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
      // Calls run one after another, in arrival order.
      const boxes = letterboxes(frames);
      const run = queue.then(() => runAll(frames, boxes, t));
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
