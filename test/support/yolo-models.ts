/**
 * Tiny ONNX models shaped like Ultralytics YOLO exports, for testing the ONNX YOLO detector with
 * the real onnxruntime and no weights to download.
 *
 * Each model ignores its pixels except for one optional probe: it outputs a constant table of
 * detections, broadcast to the batch size it was fed, plus (at the probe, if any) the mean of that
 * batch item's input. So a test knows every box exactly, and can still see that each frame's own
 * letterboxed, normalised pixels reached its own batch slot.
 *
 *   images [B,3,H,W] ─(Cast f32)─ ReduceMean(axes 1,2,3) [B] ─ Unsqueeze [B,1,1]
 *     ─ Mul(probe mask [1,A,N]) ─ Add(table [1,A,N]) ─(Cast f16)─ output0 [B,A,N]
 *
 * Opset 13 throughout: ReduceMean takes `axes` as an attribute, Unsqueeze as an input.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const INT64 = onnx.TensorProto.DataType.INT64;

export interface TinyYoloSpec {
  layout: 'v5' | 'v8' | 'end2end';
  /**
   * One row per anchor (or per detection for end2end), in the layout's attribute order:
   * v8 `[cx, cy, w, h, score0, …]`, v5 `[cx, cy, w, h, obj, score0, …]`, end2end
   * `[x1, y1, x2, y2, score, class]`, all in model-input pixels. v8 is written transposed,
   * `[B, attrs, rows]`, as Ultralytics exports it.
   */
  rows: number[][];
  /** Batch dim: a fixed size or the symbolic `batch`. Default 1. */
  batch?: number | 'dynamic';
  /** Input H×W, or symbolic `height`/`width`. Default 64×64. */
  input?: { height: number; width: number } | 'dynamic';
  /** Float16 input and output (the math runs in float32 between two Casts). */
  fp16?: boolean;
  /** `metadata_props`, e.g. from {@link ultralyticsMetadata}. */
  metadata?: Record<string, string>;
  /** Adds the batch item's input mean (0–1) to `rows[row][attr]`. */
  probe?: { row: number; attr: number };
}

/** A Python `repr` of a string, as `str(dict)` writes it (single quotes unless it holds `'` only). */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = [...s]
    .map((c) => {
      if (c === '\\' || c === q) return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      const code = c.codePointAt(0)!;
      return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
    })
    .join('');
  return q + body + q;
}

/** Metadata as Ultralytics' exporter writes it (Python reprs of the values). */
export function ultralyticsMetadata(o: { names?: readonly string[]; imgsz?: [number, number]; batch?: number; end2end?: boolean }): Record<string, string> {
  const meta: Record<string, string> = { description: 'tiny test model', stride: '32', task: 'detect' };
  meta.batch = String(o.batch ?? 1);
  if (o.imgsz) meta.imgsz = `[${o.imgsz[0]}, ${o.imgsz[1]}]`;
  if (o.names) meta.names = `{${o.names.map((n, i) => `${i}: ${pyRepr(n)}`).join(', ')}}`;
  if (o.end2end !== undefined) meta.end2end = o.end2end ? 'True' : 'False';
  return meta;
}

function tensorType(elemType: number, dims: (number | string)[]): onnxProto.onnx.ITypeProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { tensorType: { elemType, shape: { dim } } };
}

/** Encodes the model described by `spec` (see the module comment). */
export function tinyYoloModel(spec: TinyYoloSpec): Uint8Array {
  const n = spec.rows.length;
  const attrs = spec.rows[0]?.length ?? (spec.layout === 'end2end' ? 6 : 5);
  // Output [1, A, N]: v8 is attribute-major, the others row-major.
  const [a, b] = spec.layout === 'v8' ? [attrs, n] : [n, attrs];
  const table = new Array<number>(a * b).fill(0);
  const mask = new Array<number>(a * b).fill(0);
  const at = (row: number, attr: number): number => (spec.layout === 'v8' ? attr * n + row : row * attrs + attr);
  spec.rows.forEach((r, i) => r.forEach((v, j) => (table[at(i, j)] = v)));
  if (spec.probe) mask[at(spec.probe.row, spec.probe.attr)] = 1;

  const batch = spec.batch === 'dynamic' ? 'batch' : (spec.batch ?? 1);
  const input = spec.input ?? { height: 64, width: 64 };
  const [h, w] = input === 'dynamic' ? ['height', 'width'] : [input.height, input.width];
  const io = spec.fp16 ? FLOAT16 : FLOAT;
  const x = spec.fp16 ? 'images_f32' : 'images';
  const out = spec.fp16 ? 'output_f32' : 'output0';
  const ints = onnx.AttributeProto.AttributeType.INTS;
  const int = onnx.AttributeProto.AttributeType.INT;

  const node: onnxProto.onnx.INodeProto[] = [
    {
      opType: 'ReduceMean',
      input: [x],
      output: ['mean'],
      attribute: [
        { name: 'axes', type: ints, ints: [1, 2, 3] },
        { name: 'keepdims', type: int, i: 0 },
      ],
    },
    { opType: 'Unsqueeze', input: ['mean', 'axes12'], output: ['mean3'] },
    { opType: 'Mul', input: ['mean3', 'probe'], output: ['shift'] },
    { opType: 'Add', input: ['shift', 'table'], output: [out] },
  ];
  if (spec.fp16) {
    node.unshift({ opType: 'Cast', input: ['images'], output: [x], attribute: [{ name: 'to', type: int, i: FLOAT }] });
    node.push({ opType: 'Cast', input: [out], output: ['output0'], attribute: [{ name: 'to', type: int, i: FLOAT16 }] });
  }
  const model: onnxProto.onnx.IModelProto = {
    irVersion: 8,
    producerName: 'framewise-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: `tiny-yolo-${spec.layout}`,
      node,
      initializer: [
        { name: 'axes12', dataType: INT64, dims: [2], int64Data: [1, 2] },
        { name: 'probe', dataType: FLOAT, dims: [1, a, b], floatData: mask },
        { name: 'table', dataType: FLOAT, dims: [1, a, b], floatData: table },
      ],
      input: [{ name: 'images', type: tensorType(io, [batch, 3, h, w]) }],
      output: [{ name: 'output0', type: tensorType(io, [batch, a, b]) }],
    },
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}

/** Writes {@link tinyYoloModel}(`spec`) to `dir/file` and returns its path. */
export async function writeTinyYoloModel(dir: string, file: string, spec: TinyYoloSpec): Promise<string> {
  const p = path.join(dir, file);
  await writeFile(p, tinyYoloModel(spec));
  return p;
}
