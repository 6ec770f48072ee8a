/**
 * A compact output appended to a YOLO graph: per anchor its box, its best class's score and that
 * class's index — `[B, 6, A]` for the v8 layout (of `[B, 4+nc, A]`), `[B, N, 7]` for v5 (box,
 * objectness, best class score, class: the decoder multiplies the two, in double precision as it
 * does on the full output) — as one more graph output, `framewise_compact`.
 *
 * Why: onnxruntime-node copies every output a run returns into a new JavaScript buffer. The v8
 * output of an 80-class model at 640 is 84 × 8,400 floats (2.8 MB a frame): its copy, the garbage
 * it leaves for the worker's collector, and the best-class search over it in JavaScript cost more
 * than the rest of a frame's post-processing. Asking the session for the compact output alone
 * (`fetches`) makes onnxruntime compute the search with its vectorised ReduceMax/ArgMax and return
 * 6/84 of the floats. The answers are the same: ArgMax keeps the first of equal maxima, as the
 * JavaScript search does, and the scores are the same floats.
 *
 * The model bytes are changed on the wire: nodes and an output are appended to the GraphProto
 * (protobuf merges repeated fields in order, so appending is adding), whose length prefix is
 * rewritten; nothing else of the file is touched. Constants are Constant nodes (`value_ints`), so
 * no initializer is added. ReduceMax takes its axes as an attribute before opset 18 and as an
 * input from 18 on.
 */
import protobuf from 'protobufjs/minimal.js';
import type { YoloLayout } from './decode.js';

/** The name of the appended output. */
export const COMPACT_OUTPUT = 'framewise_compact';

const LENGTH_DELIMITED = 2;
const VARINT = 0;
/** onnx.AttributeProto.AttributeType */
const ATTR = { INT: 2, INTS: 7 } as const;
/** onnx.TensorProto.DataType */
export const ELEM = { FLOAT: 1, FLOAT16: 10 } as const;

interface Attribute {
  name: string;
  int?: number;
  ints?: number[];
}

interface Node {
  op: string;
  inputs: string[];
  output: string;
  attributes?: Attribute[];
}

function attributeBytes(a: Attribute): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | LENGTH_DELIMITED).string(a.name);
  if (a.ints) {
    for (const v of a.ints) w.uint32((8 << 3) | VARINT).int64(v);
    w.uint32((20 << 3) | VARINT).int32(ATTR.INTS);
  } else {
    w.uint32((3 << 3) | VARINT).int64(a.int!);
    w.uint32((20 << 3) | VARINT).int32(ATTR.INT);
  }
  return w.finish();
}

function nodeBytes(n: Node, index: number): Uint8Array {
  const w = protobuf.Writer.create();
  for (const i of n.inputs) w.uint32((1 << 3) | LENGTH_DELIMITED).string(i);
  w.uint32((2 << 3) | LENGTH_DELIMITED).string(n.output);
  w.uint32((3 << 3) | LENGTH_DELIMITED).string(`framewise/${index}/${n.op}`);
  w.uint32((4 << 3) | LENGTH_DELIMITED).string(n.op);
  for (const a of n.attributes ?? []) w.uint32((5 << 3) | LENGTH_DELIMITED).bytes(attributeBytes(a));
  return w.finish();
}

/** ValueInfoProto { name, type { tensor_type { elem_type } } } (the shape left to inference). */
function outputBytes(name: string, elemType: number): Uint8Array {
  const tensor = protobuf.Writer.create()
    .uint32((1 << 3) | VARINT)
    .int32(elemType)
    .finish();
  const type = protobuf.Writer.create()
    .uint32((1 << 3) | LENGTH_DELIMITED)
    .bytes(tensor)
    .finish();
  return protobuf.Writer.create()
    .uint32((1 << 3) | LENGTH_DELIMITED)
    .string(name)
    .uint32((2 << 3) | LENGTH_DELIMITED)
    .bytes(type)
    .finish();
}

/** The nodes that compute the compact output from `output` (see the module comment). */
function compactNodes(output: string, layout: 'v8' | 'v5', classes: number, opset: number, elemType: number): Node[] {
  const k = (name: string, ints: number[]): Node => ({ op: 'Constant', inputs: [], output: `framewise_${name}`, attributes: [{ name: 'value_ints', ints }] });
  // The attribute axis: 1 (v8, [B, attrs, A]) or 2 (v5, [B, N, attrs]).
  const axis = layout === 'v8' ? 1 : 2;
  const first = layout === 'v8' ? 4 : 5; // the first class score
  const slice = (name: string, start: string, end: string): Node => ({
    op: 'Slice',
    inputs: [output, `framewise_${start}`, `framewise_${end}`, 'framewise_axis'],
    output: `framewise_${name}`,
  });
  const max: Node =
    opset >= 18
      ? { op: 'ReduceMax', inputs: ['framewise_scores', 'framewise_axis'], output: 'framewise_max', attributes: [{ name: 'keepdims', int: 1 }] }
      : {
          op: 'ReduceMax',
          inputs: ['framewise_scores'],
          output: 'framewise_max',
          attributes: [
            { name: 'axes', ints: [axis] },
            { name: 'keepdims', int: 1 },
          ],
        };
  const nodes: Node[] = [
    k('axis', [axis]),
    k('zero', [0]),
    k('four', [4]),
    k('first', [first]),
    k('last', [first + classes]),
    slice('boxes', 'zero', 'four'),
    slice('scores', 'first', 'last'),
    max,
    {
      op: 'ArgMax',
      inputs: ['framewise_scores'],
      output: 'framewise_argmax',
      attributes: [
        { name: 'axis', int: axis },
        { name: 'keepdims', int: 1 },
      ],
    },
    { op: 'Cast', inputs: ['framewise_argmax'], output: 'framewise_class', attributes: [{ name: 'to', int: elemType }] },
  ];
  const parts = ['framewise_boxes', 'framewise_max', 'framewise_class'];
  if (layout === 'v5') {
    nodes.push(k('five', [5]), slice('objectness', 'four', 'five'));
    parts.splice(1, 0, 'framewise_objectness');
  }
  nodes.push({ op: 'Concat', inputs: parts, output: COMPACT_OUTPUT, attributes: [{ name: 'axis', int: axis }] });
  return nodes;
}

/** Where each top-level field of a ModelProto is; opset of the default domain. */
function modelFields(model: Uint8Array): { graph: { start: number; end: number; headerStart: number }; opset: number } {
  const r = protobuf.Reader.create(model);
  let graph: { start: number; end: number; headerStart: number } | undefined;
  let opset = 0;
  while (r.pos < r.len) {
    const headerStart = r.pos;
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== LENGTH_DELIMITED) {
      r.skipType(tag & 7);
      continue;
    }
    const length = r.uint32();
    const start = r.pos;
    if (field === 7) graph = { start, end: start + length, headerStart };
    if (field === 8) {
      // OperatorSetIdProto { domain = 1, version = 2 }: the default domain is "" or absent.
      const o = protobuf.Reader.create(model.subarray(start, start + length));
      let domain = '';
      let version = 0;
      while (o.pos < o.len) {
        const t = o.uint32();
        if (t >>> 3 === 1 && (t & 7) === LENGTH_DELIMITED) domain = o.string();
        else if (t >>> 3 === 2 && (t & 7) === VARINT) version = Number(o.int64());
        else o.skipType(t & 7);
      }
      if (domain === '' || domain === 'ai.onnx') opset = Math.max(opset, version);
    }
    r.pos = start + length;
  }
  if (!graph) throw new Error('the model has no graph');
  return { graph, opset };
}

export interface CompactSpec {
  /** The YOLO output the compact one is computed from. */
  output: string;
  layout: YoloLayout;
  classes: number;
  /** Its element type (`ELEM`): the compact output has the same. */
  elemType: number;
}

/**
 * The model bytes with the compact output appended, or undefined where it does not apply: the
 * end-to-end layout (already compact), no classes, or an opset before 13 (Slice with inputs and
 * `value_ints` Constants need 11 and 12; 13 keeps the nodes' semantics the same throughout).
 */
export function withCompactOutput(model: Uint8Array, spec: CompactSpec): Uint8Array | undefined {
  if (spec.layout === 'end2end' || spec.classes < 1) return undefined;
  const { graph, opset } = modelFields(model);
  if (opset < 13) return undefined;
  const w = protobuf.Writer.create();
  compactNodes(spec.output, spec.layout, spec.classes, opset, spec.elemType).forEach((n, i) => w.uint32((1 << 3) | LENGTH_DELIMITED).bytes(nodeBytes(n, i)));
  w.uint32((12 << 3) | LENGTH_DELIMITED).bytes(outputBytes(COMPACT_OUTPUT, spec.elemType));
  const appended = w.finish();
  const header = protobuf.Writer.create()
    .uint32((7 << 3) | LENGTH_DELIMITED)
    .uint32(graph.end - graph.start + appended.length)
    .finish();
  const out = new Uint8Array(graph.headerStart + header.length + (graph.end - graph.start) + appended.length + (model.length - graph.end));
  let at = 0;
  for (const part of [model.subarray(0, graph.headerStart), header, model.subarray(graph.start, graph.end), appended, model.subarray(graph.end)]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
