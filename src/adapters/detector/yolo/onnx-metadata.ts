/**
 * Reads an ONNX model's `metadata_props` without loading the model: the file is walked field by
 * field with protobufjs's low-level Reader, seeking past everything else (the graph and its weights
 * are never read, let alone decoded), so memory stays at the size of the metadata.
 *
 * Wire format: ModelProto field 14 = repeated StringStringEntryProto { key = 1, value = 2 }.
 */
import { open } from 'node:fs/promises';
import protobuf from 'protobufjs/minimal.js';

const METADATA_PROPS = 14;
const LENGTH_DELIMITED = 2;
/** A tag and a length are two varints of at most 10 bytes each. */
const HEADER_BYTES = 20;

/** The `metadata_props` of the ONNX model at `file` (a later duplicate key wins). */
export async function readOnnxMetadata(file: string): Promise<Map<string, string>> {
  const props = new Map<string, string>();
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const header = Buffer.alloc(HEADER_BYTES);
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, pos);
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
      if (start + length > size) throw new Error(`field ${tag >>> 3} runs past the end of the file`);
      if (tag >>> 3 === METADATA_PROPS) {
        const entry = Buffer.alloc(length);
        await fh.read(entry, 0, length, start);
        const [key, value] = readEntry(entry);
        props.set(key, value);
      }
      pos = start + length;
    }
  } catch (err) {
    throw new Error(`${file}: not a readable ONNX model: ${(err as Error).message}`, { cause: err });
  } finally {
    await fh.close();
  }
  return props;
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
