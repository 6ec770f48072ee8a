/**
 * Reads what an ONNX model says about itself without loading it: the file is walked field by
 * field with protobufjs's low-level Reader, seeking past everything else (the graph's nodes and
 * weights are never read, let alone decoded), so memory stays at the size of what is read.
 *
 * Wire format: ModelProto field 14 = repeated StringStringEntryProto { key = 1, value = 2 };
 * field 7 = GraphProto, whose field 11 = repeated ValueInfoProto { name = 1, type = 2 → TypeProto
 * { tensor_type = 1 → { elem_type = 1, shape = 2 → TensorShapeProto { dim = 1 → { dim_value = 1,
 * dim_param = 2 } } } } }.
 */
import { open, type FileHandle } from 'node:fs/promises';
import protobuf from 'protobufjs/minimal.js';

const GRAPH = 7;
const METADATA_PROPS = 14;
const GRAPH_INPUT = 11;
const LENGTH_DELIMITED = 2;
/** A tag and a length are two varints of at most 10 bytes each. */
const HEADER_BYTES = 20;

/**
 * Calls `visit` with each length-delimited field of the message spanning `[from, to)` of the file
 * (its number, and where its bytes start and how many there are); stops when `visit` returns true.
 */
async function walk(fh: FileHandle, from: number, to: number, visit: (field: number, start: number, length: number) => Promise<boolean | void>): Promise<void> {
  const header = Buffer.alloc(HEADER_BYTES);
  for (let pos = from; pos < to;) {
    const { bytesRead } = await fh.read(header, 0, Math.min(HEADER_BYTES, to - pos), pos);
    const r = protobuf.Reader.create(header.subarray(0, bytesRead));
    const tag = r.uint32();
    if (tag >>> 3 === 0) throw new Error('field number 0');
    if ((tag & 7) !== LENGTH_DELIMITED) {
      r.skipType(tag & 7); // scalars fit in the header
      pos += r.pos;
      continue;
    }
    const length = r.uint32();
    const start = pos + r.pos;
    if (start + length > to) throw new Error(`field ${tag >>> 3} runs past the end of its message`);
    if (await visit(tag >>> 3, start, length)) return;
    pos = start + length;
  }
}

async function withModel<T>(file: string, read: (fh: FileHandle, size: number) => Promise<T>): Promise<T> {
  const fh = await open(file, 'r');
  try {
    return await read(fh, (await fh.stat()).size);
  } catch (err) {
    throw new Error(`${file}: not a readable ONNX model: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close();
  }
}

async function bytesAt(fh: FileHandle, start: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  await fh.read(b, 0, length, start);
  return b;
}

/** The `metadata_props` of the ONNX model at `file` (a later duplicate key wins). */
export function readOnnxMetadata(file: string): Promise<Map<string, string>> {
  return withModel(file, async (fh, size) => {
    const props = new Map<string, string>();
    await walk(fh, 0, size, async (field, start, length) => {
      if (field !== METADATA_PROPS) return;
      const [key, value] = readEntry(await bytesAt(fh, start, length));
      props.set(key, value);
    });
    return props;
  });
}

/** A tensor's shape as declared: numbers, or names of dimensions fixed only at run time. */
export type DeclaredShape = Array<number | string>;

/** The declared shape of the model's first graph input (e.g. `['batch', 3, 640, 640]`), or undefined without one. */
export function readOnnxInputShape(file: string): Promise<DeclaredShape | undefined> {
  return withModel(file, async (fh, size) => {
    let shape: DeclaredShape | undefined;
    await walk(fh, 0, size, async (field, start, length) => {
      if (field !== GRAPH) return;
      await walk(fh, start, start + length, async (f, s, l) => {
        if (f !== GRAPH_INPUT) return;
        shape = readValueInfoShape(await bytesAt(fh, s, l));
        return true;
      });
      return true;
    });
    return shape;
  });
}

/** Calls `each` with every length-delimited field of `field` in `bytes`' message. */
function subMessages(bytes: Uint8Array, field: number, each: (b: Uint8Array) => void): void {
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === field && (tag & 7) === LENGTH_DELIMITED) each(r.bytes());
    else r.skipType(tag & 7);
  }
}

function readValueInfoShape(valueInfo: Uint8Array): DeclaredShape | undefined {
  let shape: DeclaredShape | undefined;
  subMessages(valueInfo, 2, (type) =>
    subMessages(type, 1, (tensor) =>
      subMessages(tensor, 2, (tensorShape) => {
        shape = [];
        subMessages(tensorShape, 1, (dim) => {
          const r = protobuf.Reader.create(dim);
          let d: number | string = '?';
          while (r.pos < r.len) {
            const tag = r.uint32();
            if (tag >>> 3 === 1 && (tag & 7) === 0) d = Number(r.int64());
            else if (tag >>> 3 === 2 && (tag & 7) === LENGTH_DELIMITED) d = r.string();
            else r.skipType(tag & 7);
          }
          shape!.push(d);
        });
      }),
    ),
  );
  return shape;
}

function readEntry(bytes: Uint8Array): [string, string] {
  const r = protobuf.Reader.create(bytes);
  let key = '';
  let value = '';
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LENGTH_DELIMITED) key = r.string();
    else if (tag >>> 3 === 2 && (tag & 7) === LENGTH_DELIMITED) value = r.string();
    else r.skipType(tag & 7);
  }
  return [key, value];
}
