import type { EncodedFrame, FrameCodec } from '../../ports/frame-codec.js';
import type { FrameImage } from '../../core/types.js';

/** Qualities tried, in order, below the configured one when a frame's JPEG is over the limit. */
const FALLBACK_QUALITIES = [75, 60, 45];

/**
 * A frame's message for `inference_tasks`, at most `maxBytes` long (Kafka refuses messages over its
 * `message.max.bytes`, 1 MiB by default): the codec's choice first (an `auto` codec sends the frame
 * raw when it fits), then (lossy codecs) JPEG at lower qualities, then smaller images (scaled to the
 * size that should fit, again until one does). The inference worker maps boxes from the decoded
 * size back to the frame's own size (the task's width/height headers), so a shrunken frame still
 * yields boxes in frame pixels — only small objects may be missed.
 */
export async function encodeFrameWithin(codec: FrameCodec, image: FrameImage, maxBytes: number): Promise<EncodedFrame> {
  let frame = await codec.encode(image, { maxBytes });
  for (const quality of codec.lossy ? FALLBACK_QUALITIES : []) {
    if (frame.bytes.length <= maxBytes) return frame;
    frame = await codec.encode(image, { quality, maxBytes });
  }
  let scale = 1;
  const quality = codec.lossy ? FALLBACK_QUALITIES.at(-1)! : undefined;
  while (frame.bytes.length > maxBytes) {
    // Encoded size grows about with the pixel count; aim 10 % under, and always shrink.
    scale *= Math.min(0.9, Math.sqrt((0.9 * maxBytes) / frame.bytes.length));
    if (Math.max(image.width, image.height) * scale < 16) throw new Error(`frame ${image.width}x${image.height} cannot be encoded in ${maxBytes} bytes`);
    frame = await codec.encode(image, { ...(quality ? { quality } : {}), scale, maxBytes });
  }
  return frame;
}
