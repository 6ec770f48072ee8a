import type { FrameImage } from '../core/types.js';

/** A frame as it travels: its bytes, and the `content_type` header that says how to read them. */
export interface EncodedFrame {
  bytes: Buffer;
  /** `image/jpeg`, or `image/x-raw-rgb; width=W; height=H` (packed RGB, no header in the bytes). */
  contentType: string;
}

/**
 * FrameCodec: how frames travel on the bus. JPEG (a raw 768×576 frame is 1.3 MB, over Kafka's
 * default message limit; as JPEG ~110 KB, but an encode and a decode cost ~15 ms of CPU), or raw
 * RGB (no codec CPU: the bytes are the frame's own, not copied) where bytes are cheap — a frame at
 * a 640-pixel model's size is 921,600 bytes, under the limit.
 * Both calls run off the event loop where they do real work (JPEG).
 */
export interface FrameCodec {
  /** Whether `quality` can make an encoding smaller (JPEG is, or may be chosen). */
  readonly lossy: boolean;
  /**
   * The frame's bytes and content type. `quality` (1–100) overrides the codec's own, `scale`
   * (0–1] shrinks the image first (each side rounded, at least 1 pixel; the decoded frame is then
   * that smaller size), `maxBytes` lets an `auto` codec choose raw when the raw frame fits. A raw
   * encoding may share the image's memory: the caller must not change the image while the bytes
   * are in use.
   */
  encode(image: FrameImage, options?: EncodeOptions): Promise<EncodedFrame>;
  /**
   * Reads every format, whatever this codec encodes, told apart by the content type (and, for raw
   * frames written before content types carried their size, by their first bytes), so workers of
   * mixed settings interoperate. A raw frame's pixels are a view of the bytes.
   */
  decode(bytes: Buffer, contentType?: string): Promise<FrameImage>;
}

/** `auto`: raw where the raw frame fits the message limit, else JPEG. */
export type FrameFormat = 'jpeg' | 'raw' | 'auto';

export interface EncodeOptions {
  quality?: number;
  scale?: number;
  /** The longest message the bus takes (for `auto`). */
  maxBytes?: number;
}
