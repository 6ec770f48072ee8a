import type { Readable } from 'node:stream';
import type { FrameImage } from '../../core/types.js';

/**
 * Splits a stream of binary PPM images (`P6 <w> <h> 255` + RGB bytes, what ffmpeg's `image2pipe`
 * with the `ppm` encoder writes) into frames. Holds at most one frame plus one chunk in memory.
 */
export async function* readPpmFrames(stream: Readable): AsyncGenerator<FrameImage> {
  let buf: Buffer = Buffer.alloc(0);
  let need: { width: number; height: number; headerLen: number } | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      if (!need) {
        need = parseHeader(buf);
        if (!need) break;
      }
      const size = need.headerLen + need.width * need.height * 3;
      if (buf.length < size) break;
      const data = new Uint8Array(need.width * need.height * 3);
      buf.copy(data, 0, need.headerLen, size);
      yield { width: need.width, height: need.height, data };
      buf = buf.subarray(size);
      need = undefined;
    }
  }
  if (buf.length > 0) throw new Error(`video decoder output ended inside a frame (${buf.length} bytes left)`);
}

/** Parses `P6\s+W\s+H\s+MAX\s` (no comments: ffmpeg writes none). */
function parseHeader(buf: Buffer): { width: number; height: number; headerLen: number } | undefined {
  const head = buf.subarray(0, Math.min(buf.length, 64)).toString('latin1');
  const m = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(head);
  if (!m) {
    if (head.length >= 64 || (head.length >= 2 && !head.startsWith('P6'))) throw new Error('video decoder wrote something other than PPM frames');
    return undefined;
  }
  if (m[3] !== '255') throw new Error(`unsupported PPM max value ${m[3]}`);
  return { width: Number(m[1]), height: Number(m[2]), headerLen: m[0].length };
}
