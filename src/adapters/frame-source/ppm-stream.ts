import type { Readable } from 'node:stream';
import type { FrameImage } from '../../core/types.js';

/**
 * Splits a stream of binary PPM images (`P6 <w> <h> 255` + RGB bytes, what ffmpeg's `image2pipe`
 * with the `ppm` encoder writes) into frames. Each frame's bytes are copied once, chunk by chunk,
 * into a buffer of the frame's size (no buffer grows or is joined), so memory holds one frame plus
 * one chunk, and the garbage per frame is that frame alone — or, with `reuse`, nothing: each frame
 * of the size of the one before is written into the same buffer, once the consumer asks for it.
 */
export async function* readPpmFrames(stream: Readable, options: { reuse?: boolean } = {}): AsyncGenerator<FrameImage> {
  let spare: Buffer | undefined;
  /** Bytes of a header seen so far (a header may straddle chunks). */
  let head: Buffer = Buffer.alloc(0);
  let frame: { width: number; height: number; data: Buffer; filled: number } | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let at = 0;
    while (at < chunk.length) {
      if (!frame) {
        head = head.length === 0 ? chunk.subarray(at) : Buffer.concat([head, chunk.subarray(at)]);
        const h = parseHeader(head);
        if (!h) {
          head = Buffer.from(head); // keep the bytes, not the chunk they are in
          at = chunk.length;
          break;
        }
        // The header's bytes in this chunk: what `head` held from earlier chunks came first.
        const fromEarlier = head.length - (chunk.length - at);
        at += h.headerLen - fromEarlier;
        head = Buffer.alloc(0);
        const bytes = h.width * h.height * 3;
        // allocUnsafe: every byte is written below before the frame is handed out.
        const data = spare?.length === bytes ? spare : Buffer.allocUnsafe(bytes);
        frame = { width: h.width, height: h.height, data, filled: 0 };
      }
      const take = Math.min(frame.data.length - frame.filled, chunk.length - at);
      chunk.copy(frame.data, frame.filled, at, at + take);
      frame.filled += take;
      at += take;
      if (frame.filled === frame.data.length) {
        const done = frame;
        frame = undefined;
        if (options.reuse) spare = done.data;
        yield { width: done.width, height: done.height, data: done.data };
      }
    }
  }
  if (frame) throw new Error(`video decoder output ended inside a frame (${frame.filled} of its ${frame.data.length} bytes)`);
  if (head.length > 0) throw new Error(`video decoder output ended inside a frame header (${head.length} bytes)`);
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
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width === 0 || height === 0) throw new Error(`video decoder wrote an empty ${width}x${height} frame`);
  return { width, height, headerLen: m[0].length };
}
