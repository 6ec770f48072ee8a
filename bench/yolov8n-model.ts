/**
 * A YOLOv8n-architecture ONNX model with random (seeded) weights, for measuring detector speed
 * without torch, Ultralytics or a weights download.
 *
 *   node --import tsx bench/yolov8n-model.ts <out.onnx> [--imgsz 640] [--batch dynamic|N] [--seed N] [--fp16]
 *
 * Speed depends on the graph, not on what the weights learnt, so this writes the graph that
 * `yolo export format=onnx` writes for `yolov8n.pt` (Ultralytics `yolov8.yaml` at scale n: depth
 * 0.33, width 0.25, max_channels 1024; BatchNorm fused into the convolutions, as export does): the
 * same layers, channel counts, ops and output. Only the weight values differ.
 *
 *   images [b,3,S,S] ─ backbone ─ PAN neck (P3/8, P4/16, P5/32) ─ Detect ─ output0 [b, 84, A]
 *   A = (S/8)² + (S/16)² + (S/32)² = 8400 at S = 640
 *
 * Detect, as exported (Ultralytics `Detect._inference` with `export=True`): per level
 * `cat(cv2(x) → 64 box-distribution logits, cv3(x) → 80 class logits)`, flattened and concatenated to
 * [b,144,A]; split 64/80; DFL (reshape [b,4,16,A] → transpose → softmax over the 16 bins → 1×1 conv
 * with weights 0…15 → [b,4,A]); dist2bbox to centre-x, centre-y, w, h around constant anchors (cell
 * centres, +0.5) times the level's stride, i.e. in input pixels; class sigmoid; concat → [b,84,A].
 *
 * Weights. Plain He init does not work here: SiLU has slope ½ at 0 and 1 for large inputs, so with
 * a fixed gain the activations either shrink or grow geometrically over the ~65 convs (measured on
 * a real frame: gain 1.4 → std 0.02 at P5, gain 1.6 → std 6 and most class scores near 1). A
 * trained net is kept in range by BatchNorm, whose statistics export folds into each conv's weight
 * and bias. So this does the same: weights are drawn uniform at He scale from a seeded PRNG, then
 * every conv is batch-normalised on a synthetic calibration batch (one onnxruntime run of a
 * calibration graph with a per-channel normalisation after every conv, see {@link calibrate}) and
 * the statistics are folded into its weight and bias. On real frames the hidden pre-activations
 * then have a std of about 0.4–0.9 all the way down (measured at SPPF and P5 on 14 photos and
 * video frames; the calibration batch, with its black and white frames, sits at 1).
 *
 * The calibration batch must span global brightness and contrast (dim, bright, flat, black and
 * white versions of one "dead leaves" image, see {@link CALIBRATION_VARIANTS}): calibrated on the
 * single image alone, a frame whose mean colour or contrast differs from it was amplified layer
 * after layer (random weights have no reason to damp that direction), and P5 activations ranged
 * from std 1 to 37 between real images, with 56 to 260,000 scores over 0.25.
 *
 * The heads' final 1×1 convs are calibrated to chosen statistics instead: box logits mean 1
 * (Ultralytics' `bias_init`), class logits mean -4.6 (sigmoid ≈ 0.01) with a small spread, so
 * that on a real frame only tens of the 8400 × 80 scores pass a 0.25 confidence threshold, as with
 * a trained model, and decoding and NMS see a realistic, small number of candidates. That count
 * depends on the frame and the seed (it lives in the tail of the logits): with the default seed,
 * 30–160 on frames of OpenCV's vtest video (the bench's fixture), 0–60 on most photos (900 on
 * the very busy starry_night.jpg); other seeds gave 0–1200 on vtest.
 *
 * Determinism: the graph and the pre-calibration weights are a function of the options; the folded
 * weights also depend on onnxruntime's float arithmetic, so the bytes (and SHA-256) are the same
 * from run to run on one machine, but may differ in the last bits on another CPU or onnxruntime.
 *
 * Opset 17: Split takes its sizes as an input, Resize (X, roi, scales), ReduceMean an `axes`
 * attribute, Softmax is per-axis. Initializer and node names follow the PyTorch exporter's
 * (`model.2.m.0.cv1.conv.weight`, `/model.2/m.0/cv1/conv/Conv`), handy next to a real export in Netron.
 *
 * `fp16` mimics `yolo export half=True` as far as onnxruntime's CPU provider allows: input, output
 * and stored weights are float16, the math runs in float32 (the CPU provider has no float16 Conv;
 * the weights' Casts are constant-folded at load). So the file is half the size and the detector's
 * float16 path is exercised, but the speed is not that of a real float16 model on a GPU.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { endianness, homedir } from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { COCO_CLASSES } from '../src/adapters/detector/coco-classes.js';
import { toHalf } from '../src/adapters/detector/yolo/float16.js';
import { ultralyticsMetadata } from '../test/support/yolo-models.js';

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttribute = onnxProto.onnx.IAttributeProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const INT64 = onnx.TensorProto.DataType.INT64;
const ATTR = onnx.AttributeProto.AttributeType;

const OPSET = 17;
/** IR version 8 goes with opset 17 (ONNX 1.12+). */
const IR_VERSION = 8;
const NC = 80;
const REG_MAX = 16;
const STRIDES = [8, 16, 32] as const;
/**
 * The first seed tried. The graph never depends on it, but the candidate count does (see the
 * module comment): with this one, tens of scores pass 0.25 on vtest frames.
 */
const DEFAULT_SEED = 8;

/** Pre-calibration weights: uniform ±√(6/fan_in) (He). Calibration rescales them per channel anyway. */
const INIT_GAIN = Math.SQRT2;
/** BatchNorm's epsilon as Ultralytics sets it (1e-3), used in calibration and folding alike. */
const BN_EPS = 1e-3;
/** Hidden convs, on the calibration batch: per-channel pre-activation std 1, mean uniform in ±this (BN's β). */
const HIDDEN_BETA = 0.5;
/** Box-distribution logits: mean 1 (Ultralytics' Detect.bias_init); the spread varies the DFL bins, so the boxes' sizes. */
const BOX_MEAN = 1.0;
const BOX_STD = 2.0;
/**
 * Class logits, on the calibration batch: mean -4.6 (sigmoid ≈ 0.01), per-class std CLS_STD. A
 * score > 0.25 needs a logit above -1.1. Real frames sit lower than the calibration batch (about
 * 0.3–0.5 of CLS_STD), so only the tail passes; CLS_STD was tuned on vtest frames for tens of
 * scores over 0.25 (see the module comment).
 */
const CLS_MEAN = -4.6;
const CLS_STD = 0.9;

export interface Yolov8nOptions {
  /** Square input side in pixels, a multiple of 32. Default 640. */
  imgsz?: number;
  /** Batch dim: a fixed size or the symbolic `batch`. Default `dynamic`. */
  batch?: number | 'dynamic';
  /** PRNG seed for the weights and the calibration image. Default 8. */
  seed?: number;
  /** float16 input, output and stored weights, float32 math (see the module comment). */
  fp16?: boolean;
}

export interface Yolov8nModel {
  /** The encoded ModelProto. */
  bytes: Uint8Array;
  /**
   * Parameters as Ultralytics counts them for the fused model: conv weights and biases (the fused
   * BatchNorm), plus DFL's 16 fixed weights. yolov8n: 3,151,904.
   */
  parameters: number;
}

/** mulberry32: a tiny, fast, seedable 32-bit PRNG; plenty for weight noise. Returns [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tensorType(elemType: number, dims: (number | string)[]): onnxProto.onnx.ITypeProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { tensorType: { elemType, shape: { dim } } };
}

/** Little-endian bytes of `values` as float32, or as float16 bits (ONNX raw_data is little-endian). */
function rawBytes(values: Float32Array, fp16: boolean): Uint8Array {
  if (fp16) {
    const out = new Uint8Array(values.length * 2);
    const view = new DataView(out.buffer);
    values.forEach((v, i) => view.setUint16(i * 2, toHalf(v), true));
    return out;
  }
  if (endianness() === 'LE') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

const ints = (name: string, v: number[]): IAttribute => ({ name, type: ATTR.INTS, ints: v });
const int = (name: string, i: number): IAttribute => ({ name, type: ATTR.INT, i });
const str = (name: string, s: string): IAttribute => ({ name, type: ATTR.STRING, s: Buffer.from(s) });

/**
 * The PyTorch exporter's scope for a module path: a numeric part (a ModuleList/Sequential index)
 * stays with the name before it, `model.2.m.0.cv1.conv` → `/model.2/m.0/cv1/conv`.
 */
function torchScope(modulePath: string): string {
  const parts: string[] = [];
  for (const p of modulePath.split('.')) {
    if (/^\d+$/.test(p) && parts.length > 0) parts[parts.length - 1] += `.${p}`;
    else parts.push(p);
  }
  return `/${parts.join('/')}`;
}

/** A conv whose weight and bias calibration rescales: its pre-activation gets per-channel std `std`, mean `mean[c]`. */
interface NormalisedConv {
  /** The Conv node's output (the pre-activation). */
  output: string;
  channels: number;
  weight: Float32Array;
  bias: Float32Array;
  std: number;
  mean: Float32Array;
}

/**
 * Accumulates nodes and initializers, float32 throughout; {@link GraphBuilder.model} serialises
 * (float16 if asked). Value names are `<node name>_output_<i>`, unique because node names are.
 */
class GraphBuilder {
  readonly nodes: INode[] = [];
  /** Learnable float tensors by name (kept as arrays: calibration rescales them in place). */
  readonly weights = new Map<string, { dims: number[]; values: Float32Array }>();
  /** Everything else: shapes, split sizes, anchors. Never float16, never counted. */
  readonly constants: ITensor[] = [];
  readonly convs: NormalisedConv[] = [];
  private readonly rand: () => number;

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  get parameters(): number {
    let n = 0;
    for (const w of this.weights.values()) n += w.values.length;
    return n;
  }

  /** Adds a node; returns its output names. */
  node(opType: string, name: string, inputs: string[], attribute: IAttribute[] = [], outputs = 1): string[] {
    const output = Array.from({ length: outputs }, (_, i) => `${name}_output_${i}`);
    this.nodes.push({ opType, name, input: inputs, output, attribute });
    return [...output]; // a copy: callers may extend it (C2f's parts) without touching the node
  }

  weight(name: string, dims: number[], values: Float32Array): string {
    this.weights.set(name, { dims, values });
    return name;
  }

  int64(name: string, values: number[]): string {
    this.constants.push({ name, dataType: INT64, dims: [values.length], int64Data: values });
    return name;
  }

  floatConst(name: string, dims: number[], values: ArrayLike<number>): string {
    this.constants.push({ name, dataType: FLOAT, dims, rawData: rawBytes(Float32Array.from(values), false) });
    return name;
  }

  /** `n` values uniform in ±`bound`. */
  uniform(n: number, bound: number): Float32Array {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = (this.rand() * 2 - 1) * bound;
    return v;
  }

  /**
   * Conv2d with bias (BN fused), pad k//2 (Ultralytics' autopad), then SiLU as the exporter writes
   * it, x·sigmoid(x). `scope` is the module path, e.g. `model.2.cv1`; the conv sits at
   * `<scope>.conv` as in Ultralytics' Conv module. `head` makes a plain Conv2d at `scope`, no
   * activation, calibrated to the given logit statistics (the Detect branches' last 1×1 convs).
   */
  conv(scope: string, x: string, c1: number, c2: number, k: number, s = 1, head?: { mean: number; std: number }): string {
    const convScope = head ? scope : `${scope}.conv`;
    const fanIn = c1 * k * k;
    const weight = this.uniform(c2 * fanIn, INIT_GAIN * Math.sqrt(3 / fanIn));
    const bias = new Float32Array(c2);
    const w = this.weight(`${convScope}.weight`, [c2, c1, k, k], weight);
    const b = this.weight(`${convScope}.bias`, [c2], bias);
    const p = Math.floor(k / 2);
    const attrs = [ints('dilations', [1, 1]), int('group', 1), ints('kernel_shape', [k, k]), ints('pads', [p, p, p, p]), ints('strides', [s, s])];
    const y = this.node('Conv', `${torchScope(convScope)}/Conv`, [x, w, b], attrs)[0]!;
    const mean = head ? new Float32Array(c2).fill(head.mean) : this.uniform(c2, HIDDEN_BETA);
    this.convs.push({ output: y, channels: c2, weight, bias, std: head?.std ?? 1, mean });
    if (head) return y;
    const sig = this.node('Sigmoid', `${torchScope(scope)}/act/Sigmoid`, [y])[0]!;
    return this.node('Mul', `${torchScope(scope)}/act/Mul`, [y, sig])[0]!;
  }

  /**
   * C2f(c1, c2, n, shortcut), e=0.5: cv1 (1×1, c1 → 2c) split in two halves; n Bottlenecks
   * (3×3 → 3×3, e=1.0, residual if `shortcut`) chained on the second half; cv2 (1×1) over the
   * concat of both halves and every bottleneck's output, (2+n)·c → c2.
   */
  c2f(scope: string, x: string, c1: number, c2: number, n: number, shortcut: boolean): string {
    const c = Math.floor(c2 * 0.5);
    const y = this.conv(`${scope}.cv1`, x, c1, 2 * c, 1);
    const at = torchScope(scope);
    const parts = this.node('Split', `${at}/Split`, [y, this.int64(`${at}/split_sizes`, [c, c])], [int('axis', 1)], 2);
    for (let i = 0; i < n; i++) {
      const m = `${scope}.m.${i}`;
      const h = this.conv(`${m}.cv2`, this.conv(`${m}.cv1`, parts.at(-1)!, c, c, 3), c, c, 3);
      parts.push(shortcut ? this.node('Add', `${torchScope(m)}/Add`, [parts.at(-1)!, h])[0]! : h);
    }
    return this.conv(`${scope}.cv2`, this.concat(scope, parts), (2 + n) * c, c2, 1);
  }

  /** SPPF(c1, c2, k): cv1 (1×1, c1 → c1/2), three chained k×k stride-1 max pools, concat of all four, cv2 (1×1). */
  sppf(scope: string, x: string, c1: number, c2: number, k: number): string {
    const c = Math.floor(c1 / 2);
    const parts = [this.conv(`${scope}.cv1`, x, c1, c, 1)];
    const p = Math.floor(k / 2);
    const attrs = [int('ceil_mode', 0), ints('kernel_shape', [k, k]), ints('pads', [p, p, p, p]), ints('strides', [1, 1])];
    for (let i = 0; i < 3; i++) {
      parts.push(this.node('MaxPool', `${torchScope(scope)}/m${i === 0 ? '' : `_${i}`}/MaxPool`, [parts.at(-1)!], attrs)[0]!);
    }
    return this.conv(`${scope}.cv2`, this.concat(scope, parts), 4 * c, c2, 1);
  }

  /** nn.Upsample(scale_factor=2, mode='nearest') as torch exports it (Resize, asymmetric / floor). */
  upsample(scope: string, x: string): string {
    const at = torchScope(scope);
    const scales = this.floatConst(`${at}/scales`, [4], [1, 1, 2, 2]);
    const attrs = [
      str('coordinate_transformation_mode', 'asymmetric'),
      { name: 'cubic_coeff_a', type: ATTR.FLOAT, f: -0.75 },
      str('mode', 'nearest'),
      str('nearest_mode', 'floor'),
    ];
    return this.node('Resize', `${at}/Resize`, [x, '', scales], attrs)[0]!;
  }

  /** Concat along channels (Ultralytics' Concat module, and inside C2f/SPPF). */
  concat(scope: string, xs: string[]): string {
    return this.node('Concat', `${torchScope(scope)}/Concat`, xs, [int('axis', 1)])[0]!;
  }

  /**
   * The model with input `images` [batch,3,S,S] and the given outputs, float32 or float16. For
   * float16, every learnable tensor is stored as float16 and Cast back to float32 before use, and
   * the input and output are Cast at the graph's ends (Casts of initializers are constant-folded
   * by onnxruntime at load time).
   */
  model(o: {
    batch: number | string;
    imgsz: number;
    outputs: { name: string; dims?: (number | string)[] }[];
    fp16: boolean;
    metadata?: Record<string, string>;
  }): onnxProto.onnx.IModelProto {
    const io = o.fp16 ? FLOAT16 : FLOAT;
    const pre: INode[] = [];
    const post: INode[] = [];
    const renamed = new Map<string, string>(); // a float32 value's name → the name the graph's nodes use for it
    if (o.fp16) {
      const cast = (from: string, to: string, type: number): INode => ({
        opType: 'Cast',
        name: `${from}/Cast`,
        input: [from],
        output: [to],
        attribute: [int('to', type)],
      });
      pre.push(cast('images', 'images_f32', FLOAT));
      renamed.set('images', 'images_f32');
      for (const name of this.weights.keys()) {
        pre.push(cast(name, `${name}_f32`, FLOAT));
        renamed.set(name, `${name}_f32`);
      }
      for (const out of o.outputs) {
        post.push(cast(`${out.name}_f32`, out.name, FLOAT16));
      }
    }
    const outputName = new Map(o.fp16 ? o.outputs.map((out) => [out.name, `${out.name}_f32`]) : []);
    const node = this.nodes.map((n) => ({
      ...n,
      input: n.input!.map((v) => renamed.get(v) ?? v),
      output: n.output!.map((v) => outputName.get(v) ?? v),
    }));
    const weights: ITensor[] = [...this.weights].map(([name, w]) => ({ name, dataType: io, dims: w.dims, rawData: rawBytes(w.values, o.fp16) }));
    return {
      irVersion: IR_VERSION,
      producerName: 'framewise-bench',
      producerVersion: '1',
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: 'main_graph',
        node: [...pre, ...node, ...post],
        initializer: [...weights, ...this.constants],
        input: [{ name: 'images', type: tensorType(io, [o.batch, 3, o.imgsz, o.imgsz]) }],
        output: o.outputs.map((out) => ({ name: out.name, type: out.dims ? tensorType(io, out.dims) : { tensorType: { elemType: io } } })),
      },
      metadataProps: Object.entries(o.metadata ?? {}).map(([key, value]) => ({ key, value })),
    };
  }
}

/**
 * A deterministic stand-in for a video frame, [3,S,S] in 0–1: a "dead leaves" image, the classic
 * synthetic model of natural-image statistics: 1500 flat-coloured, mutually occluding rectangles
 * with sides log-uniform from 0.4 % to 40 % of the image (edges and uniform regions at every scale)
 * over a vertical two-colour gradient, plus a little pixel noise (sensor grain).
 *
 * The colours are deliberately saturated (independent R, G, B). Real frames are less so, and so
 * sit a little *below* the calibrated scale, where the net is tame; calibrating on desaturated
 * shapes instead gives the colour-difference channels too much gain and real frames blow up
 * (measured: class logits' spread ×3–30, most scores over 0.25). Fewer, larger shapes (80 of
 * 2–40 %) made the result depend more on the seed.
 */
function calibrationImage(size: number, seed: number): Float32Array {
  const rand = mulberry32(seed ^ 0x5eed);
  const plane = size * size;
  const img = new Float32Array(3 * plane);
  const top = [rand(), rand(), rand()];
  const bottom = [rand(), rand(), rand()];
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) img.fill(top[c]! + ((bottom[c]! - top[c]!) * y) / size, c * plane + y * size, c * plane + (y + 1) * size);
  }
  for (let r = 0; r < 1500; r++) {
    const w = Math.ceil(size * 0.004 * 100 ** rand()); // log-uniform, 0.4–40 % of the side
    const h = Math.ceil(size * 0.004 * 100 ** rand());
    const x0 = Math.floor(rand() * (size - w));
    const y0 = Math.floor(rand() * (size - h));
    const colour = [rand(), rand(), rand()];
    for (let c = 0; c < 3; c++) {
      for (let y = y0; y < y0 + h; y++) img.fill(colour[c]!, c * plane + y * size + x0, c * plane + y * size + x0 + w);
    }
  }
  for (let i = 0; i < img.length; i++) img[i] = Math.min(1, Math.max(0, img[i]! + (rand() - 0.5) * 0.06));
  return img;
}

/**
 * (offset, contrast) pairs applied to the calibration image, x → offset + contrast·x, then two
 * uniform frames, black and white: the calibration batch. See {@link calibrate} for why it spans
 * global brightness and contrast rather than being one image.
 */
const CALIBRATION_VARIANTS: readonly [number, number][] = [
  [0, 1],
  [0, 0.6],
  [0.4, 0.6],
  [0.2, 0.6],
  [0, 0.3],
  [0.7, 0.3],
  [0, 0],
  [1, 0],
];

function calibrationBatch(size: number, seed: number): { data: Float32Array; count: number } {
  const base = calibrationImage(size, seed);
  const data = new Float32Array(base.length * CALIBRATION_VARIANTS.length);
  CALIBRATION_VARIANTS.forEach(([offset, contrast], i) => {
    for (let j = 0; j < base.length; j++) data[i * base.length + j] = offset + contrast * base[j]!;
  });
  return { data, count: CALIBRATION_VARIANTS.length };
}

/**
 * Folds "BatchNorm" statistics into every conv registered in `g.convs`, in place: the statistics of
 * a calibration graph in which each conv's output is replaced by its per-channel normalisation,
 *
 *   y = (conv − mean_c) / √(var_c + ε) · std + target_c,   mean_c, var_c over the image (ReduceMean, axes 0,2,3)
 *
 * so every layer already sees normalised inputs and one run yields all the statistics at once.
 * Folding (w ← w·std/√(var+ε), b ← (b − mean)·std/√(var+ε) + target) then makes the plain graph
 * compute exactly what the calibration graph did, on that image.
 */
async function calibrate(g: GraphBuilder, imgsz: number, seed: number): Promise<void> {
  const constants: ITensor[] = [];
  const constant = (name: string, dims: number[], values: Float32Array): string => {
    constants.push({ name, dataType: FLOAT, dims, rawData: rawBytes(values, false) });
    return name;
  };
  const outputs: { name: string }[] = [];
  const axes = ints('axes', [0, 2, 3]);
  const eps = constant('/calib/eps', [], Float32Array.of(BN_EPS));
  // Each conv writes `<output>_raw` instead, and its normalisation, right after it (so the node
  // order stays topological), writes `<output>`, which the rest of the graph reads.
  const after = new Map<string, INode[]>();
  for (const [i, c] of g.convs.entries()) {
    const at = `/calib/${i}`;
    const raw = `${c.output}_raw`;
    const gamma = constant(`${at}/gamma`, [1, c.channels, 1, 1], new Float32Array(c.channels).fill(c.std));
    const beta = constant(`${at}/beta`, [1, c.channels, 1, 1], c.mean);
    const nodes: INode[] = [];
    const n = (opType: string, input: string[], output: string, attribute: IAttribute[] = []): void => {
      nodes.push({ opType, name: `${output}/${opType}`, input, output: [output], attribute });
    };
    n('ReduceMean', [raw], `${at}/mean`, [axes, int('keepdims', 1)]);
    n('Sub', [raw, `${at}/mean`], `${at}/centred`);
    n('Mul', [`${at}/centred`, `${at}/centred`], `${at}/square`);
    n('ReduceMean', [`${at}/square`], `${at}/var`, [axes, int('keepdims', 1)]);
    n('Add', [`${at}/var`, eps], `${at}/var_eps`);
    n('Sqrt', [`${at}/var_eps`], `${at}/sd`);
    n('Div', [`${at}/centred`, `${at}/sd`], `${at}/normal`);
    n('Mul', [`${at}/normal`, gamma], `${at}/scaled`);
    n('Add', [`${at}/scaled`, beta], c.output);
    after.set(c.output, nodes);
    outputs.push({ name: `${at}/mean` }, { name: `${at}/var` });
  }
  const proto = g.model({ batch: 'batch', imgsz, outputs, fp16: false });
  const graph = proto.graph!;
  graph.node = graph.node!.flatMap((node) => {
    const out = node.output![0]!;
    const norm = after.get(out);
    return norm ? [{ ...node, output: [`${out}_raw`] }, ...norm] : [node];
  });
  graph.initializer!.push(...constants);

  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(proto).finish(), { graphOptimizationLevel: 'all' });
  try {
    const batch = calibrationBatch(imgsz, seed);
    const stats = await session.run({ images: new ort.Tensor('float32', batch.data, [batch.count, 3, imgsz, imgsz]) });
    for (const [i, c] of g.convs.entries()) {
      const mean = stats[`/calib/${i}/mean`]!.data as Float32Array;
      const vari = stats[`/calib/${i}/var`]!.data as Float32Array;
      const perChannel = c.weight.length / c.channels;
      for (let ch = 0; ch < c.channels; ch++) {
        const scale = c.std / Math.sqrt(vari[ch]! + BN_EPS);
        for (let j = ch * perChannel; j < (ch + 1) * perChannel; j++) c.weight[j]! *= scale;
        c.bias[ch] = (c.bias[ch]! - mean[ch]!) * scale + c.mean[ch]!;
      }
    }
  } finally {
    await session.release();
  }
}

/**
 * Anchor points and strides as Ultralytics' `make_anchors(feats, strides, 0.5)`: for each level,
 * row-major over (y, x), the cell centre (x+0.5, y+0.5) in that level's grid units, and the stride.
 * Returned transposed as Detect keeps them: anchors [1, 2, A] (x row, then y row), strides [1, A].
 */
function makeAnchors(imgsz: number): { anchors: Float32Array; strides: Float32Array; count: number } {
  const count = STRIDES.reduce((n, s) => n + (imgsz / s) ** 2, 0);
  const anchors = new Float32Array(2 * count);
  const strides = new Float32Array(count);
  let i = 0;
  for (const s of STRIDES) {
    const g = imgsz / s;
    for (let y = 0; y < g; y++) {
      for (let x = 0; x < g; x++, i++) {
        anchors[i] = x + 0.5;
        anchors[count + i] = y + 0.5;
        strides[i] = s;
      }
    }
  }
  return { anchors, strides, count };
}

/** Builds the graph (float32, uncalibrated weights); returns the builder and the output's anchor count. */
function buildGraph(imgsz: number, seed: number): { g: GraphBuilder; count: number } {
  const g = new GraphBuilder(seed);

  // Backbone (yolov8.yaml × n: widths 64…1024 → 16…256, repeats 3/6/6/3 → 1/2/2/1).
  const x0 = g.conv('model.0', 'images', 3, 16, 3, 2); // P1/2
  const x1 = g.conv('model.1', x0, 16, 32, 3, 2); // P2/4
  const x2 = g.c2f('model.2', x1, 32, 32, 1, true);
  const x3 = g.conv('model.3', x2, 32, 64, 3, 2); // P3/8
  const x4 = g.c2f('model.4', x3, 64, 64, 2, true);
  const x5 = g.conv('model.5', x4, 64, 128, 3, 2); // P4/16
  const x6 = g.c2f('model.6', x5, 128, 128, 2, true);
  const x7 = g.conv('model.7', x6, 128, 256, 3, 2); // P5/32
  const x8 = g.c2f('model.8', x7, 256, 256, 1, true);
  const x9 = g.sppf('model.9', x8, 256, 256, 5);

  // Head (PAN): top-down, then bottom-up; its C2f blocks have no shortcut.
  const x10 = g.upsample('model.10', x9);
  const x11 = g.concat('model.11', [x10, x6]); // 256 + 128
  const x12 = g.c2f('model.12', x11, 384, 128, 1, false);
  const x13 = g.upsample('model.13', x12);
  const x14 = g.concat('model.14', [x13, x4]); // 128 + 64
  const p3 = g.c2f('model.15', x14, 192, 64, 1, false); // P3/8 out
  const x16 = g.conv('model.16', p3, 64, 64, 3, 2);
  const x17 = g.concat('model.17', [x16, x12]); // 64 + 128
  const p4 = g.c2f('model.18', x17, 192, 128, 1, false); // P4/16 out
  const x19 = g.conv('model.19', p4, 128, 128, 3, 2);
  const x20 = g.concat('model.20', [x19, x9]); // 128 + 256
  const p5 = g.c2f('model.21', x20, 384, 256, 1, false); // P5/32 out

  // Detect: c2 = max(16, ch[0]/4, 4·reg_max) = 64 box channels, c3 = max(ch[0], min(nc, 100)) = 80.
  const d = 'model.22';
  const ch = [64, 128, 256];
  const c2 = Math.max(16, Math.floor(ch[0]! / 4), REG_MAX * 4);
  const c3 = Math.max(ch[0]!, Math.min(NC, 100));
  const no = NC + REG_MAX * 4;
  const flatShape = g.int64('/model.22/flat_shape', [0, no, -1]); // Reshape: 0 copies the (dynamic) batch dim
  const suffix = (i: number): string => (i === 0 ? '' : `_${i}`);
  const levels = [p3, p4, p5].map((x, i) => {
    const box0 = g.conv(`${d}.cv2.${i}.0`, x, ch[i]!, c2, 3);
    const box = g.conv(`${d}.cv2.${i}.2`, g.conv(`${d}.cv2.${i}.1`, box0, c2, c2, 3), c2, 4 * REG_MAX, 1, 1, { mean: BOX_MEAN, std: BOX_STD });
    const cls0 = g.conv(`${d}.cv3.${i}.0`, x, ch[i]!, c3, 3);
    const cls = g.conv(`${d}.cv3.${i}.2`, g.conv(`${d}.cv3.${i}.1`, cls0, c3, c3, 3), c3, NC, 1, 1, { mean: CLS_MEAN, std: CLS_STD });
    const cat = g.node('Concat', `/${d}/Concat${suffix(i)}`, [box, cls], [int('axis', 1)])[0]!;
    return g.node('Reshape', `/${d}/Reshape${suffix(i)}`, [cat, flatShape])[0]!; // [b, 144, h·w]
  });
  const xCat = g.node('Concat', `/${d}/Concat_3`, levels, [int('axis', 2)])[0]!; // along the anchors: [b, 144, A]
  const [boxLogits, clsLogits] = g.node('Split', `/${d}/Split`, [xCat, g.int64(`/${d}/split_sizes`, [4 * REG_MAX, NC])], [int('axis', 1)], 2) as [
    string,
    string,
  ];

  // DFL: [b,64,A] → [b,4,16,A] → [b,16,4,A] → softmax over the 16 bins → 1×1 conv with weights
  // 0…15 (the bins' expected value) → [b,1,4,A] → [b,4,A]. Its weight is fixed, but Ultralytics counts it.
  const dflIn = g.node('Reshape', `/${d}/dfl/Reshape`, [boxLogits, g.int64(`/${d}/dfl/shape`, [0, 4, REG_MAX, -1])])[0]!;
  const dflT = g.node('Transpose', `/${d}/dfl/Transpose`, [dflIn], [ints('perm', [0, 2, 1, 3])])[0]!;
  const dflSoft = g.node('Softmax', `/${d}/dfl/Softmax`, [dflT], [int('axis', 1)])[0]!;
  const dflW = g.weight(
    `${d}.dfl.conv.weight`,
    [1, REG_MAX, 1, 1],
    Float32Array.from({ length: REG_MAX }, (_, i) => i),
  );
  const dflAttrs = [ints('dilations', [1, 1]), int('group', 1), ints('kernel_shape', [1, 1]), ints('pads', [0, 0, 0, 0]), ints('strides', [1, 1])];
  const dflConv = g.node('Conv', `/${d}/dfl/conv/Conv`, [dflSoft, dflW], dflAttrs)[0]!;
  const dist = g.node('Reshape', `/${d}/dfl/Reshape_1`, [dflConv, g.int64(`/${d}/dfl/shape_1`, [0, 4, -1])])[0]!;

  // dist2bbox(xywh): lt, rb = distances from the anchor to the left/top and right/bottom edges, in grid units.
  const { anchors, strides, count } = makeAnchors(imgsz);
  const anchorT = g.floatConst(`/${d}/anchors`, [1, 2, count], anchors);
  const strideT = g.floatConst(`/${d}/strides`, [1, count], strides);
  const [lt, rb] = g.node('Split', `/${d}/Split_1`, [dist, g.int64(`/${d}/split_sizes_1`, [2, 2])], [int('axis', 1)], 2) as [string, string];
  const x1y1 = g.node('Sub', `/${d}/Sub`, [anchorT, lt])[0]!;
  const x2y2 = g.node('Add', `/${d}/Add`, [anchorT, rb])[0]!;
  const sum = g.node('Add', `/${d}/Add_1`, [x1y1, x2y2])[0]!;
  const cxy = g.node('Div', `/${d}/Div`, [sum, g.floatConst(`/${d}/two`, [], [2])])[0]!;
  const wh = g.node('Sub', `/${d}/Sub_1`, [x2y2, x1y1])[0]!;
  const xywh = g.node('Concat', `/${d}/Concat_4`, [cxy, wh], [int('axis', 1)])[0]!;
  const dbox = g.node('Mul', `/${d}/Mul_2`, [xywh, strideT])[0]!; // × stride: grid units → input pixels
  const scores = g.node('Sigmoid', `/${d}/Sigmoid`, [clsLogits])[0]!;
  g.nodes.push({ opType: 'Concat', name: `/${d}/Concat_5`, input: [dbox, scores], output: ['output0'], attribute: [int('axis', 1)] });
  return { g, count };
}

/** Builds, calibrates and encodes the model (see the module comment). */
export async function yolov8nModel(opts: Yolov8nOptions = {}): Promise<Yolov8nModel> {
  const imgsz = opts.imgsz ?? 640;
  const batch = opts.batch ?? 'dynamic';
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(imgsz) || imgsz <= 0 || imgsz % 32 !== 0) throw new Error(`imgsz must be a positive multiple of 32, got ${imgsz}`);
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch > 0)) throw new Error(`batch must be 'dynamic' or a positive integer, got ${batch}`);
  if (!Number.isSafeInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);

  const { g, count } = buildGraph(imgsz, seed);
  await calibrate(g, imgsz, seed);
  const batchDim = batch === 'dynamic' ? 'batch' : batch;
  const metadata = {
    // Ultralytics writes str() of each value: stride 32, batch 1 (its default, also for dynamic),
    // imgsz [640, 640], names {0: 'person', …}.
    ...ultralyticsMetadata({ names: [...COCO_CLASSES], imgsz: [imgsz, imgsz], batch: batch === 'dynamic' ? 1 : batch }),
    description: `Ultralytics YOLOv8n architecture with random weights (seed ${seed}), for speed benchmarks only`,
    author: 'framewise bench (Ultralytics YOLOv8 architecture)',
  };
  const proto = g.model({ batch: batchDim, imgsz, outputs: [{ name: 'output0', dims: [batchDim, 4 + NC, count] }], fp16: opts.fp16 ?? false, metadata });
  return { bytes: onnx.ModelProto.encode(proto).finish(), parameters: g.parameters };
}

/** Writes `bytes` to `file` via a temp file in the same directory and a rename, so no reader sees half a file. */
async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Generates the model (see {@link yolov8nModel}) and writes it to `file`, atomically. */
export async function writeYolov8nModel(file: string, opts: Yolov8nOptions = {}): Promise<{ file: string; parameters: number; bytes: number }> {
  const { bytes, parameters } = await yolov8nModel(opts);
  await writeAtomic(file, bytes);
  return { file, parameters, bytes: bytes.length };
}

const cached = new Map<number, Promise<string>>();

/**
 * The default model (dynamic batch, float32, default seed) at `imgsz`, generated once into
 * `${XDG_CACHE_HOME:-~/.cache}/framewise-bench/yolov8n-arch-<imgsz>-dynamic.onnx` (outside the
 * repo: it is ~13 MB) and re-used from there. Concurrent generators each write a whole temp file and
 * rename it into place, so the path never holds a partial model. The file is not checked against
 * this generator: delete it after changing the graph or the weight scheme here.
 */
export function yolov8nModelPath(imgsz = 640): Promise<string> {
  let p = cached.get(imgsz);
  if (!p) {
    p = (async () => {
      const dir = path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'framewise-bench');
      const file = path.join(dir, `yolov8n-arch-${imgsz}-dynamic.onnx`);
      const present = await stat(file).then(
        (s) => s.isFile() && s.size > 0,
        () => false,
      );
      if (!present) await writeYolov8nModel(file, { imgsz, batch: 'dynamic' });
      return file;
    })();
    p.catch(() => cached.delete(imgsz)); // a failed generation may be retried
    cached.set(imgsz, p);
  }
  return p;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      imgsz: { type: 'string', default: '640' },
      batch: { type: 'string', default: 'dynamic' },
      seed: { type: 'string', default: String(DEFAULT_SEED) },
      fp16: { type: 'boolean', default: false },
    },
  });
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    throw new Error('usage: node --import tsx bench/yolov8n-model.ts <out.onnx> [--imgsz 640] [--batch dynamic|N] [--seed N] [--fp16]');
  }
  const count = (name: string, v: string): number => {
    if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
    return Number(v);
  };
  const t0 = performance.now();
  const r = await writeYolov8nModel(path.resolve(file), {
    imgsz: count('imgsz', values.imgsz),
    batch: values.batch === 'dynamic' ? 'dynamic' : count('batch', values.batch),
    seed: count('seed', values.seed),
    fp16: values.fp16,
  });
  const ms = performance.now() - t0;
  console.log(`${r.file}: ${r.parameters.toLocaleString('en-US')} parameters, ${(r.bytes / 1e6).toFixed(2)} MB, generated in ${ms.toFixed(0)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    console.error((err as Error).message);
    process.exitCode = 1;
  });
}
