import type { FrameImage } from '../core/types.js';

/**
 * FrameCodec: compresses frames for the bus (a raw 768×576 frame is 1.3 MB, over Kafka's default
 * message limit; as JPEG it is ~50 KB). Both calls run off the event loop.
 */
export interface FrameCodec {
  /**
   * `quality` (1–100) overrides the codec's own; `scale` (0–1] shrinks the image first (each side
   * rounded, at least 1 pixel) — the decoded frame is then that smaller size.
   */
  encode(image: FrameImage, options?: EncodeOptions): Promise<Buffer>;
  decode(encoded: Buffer): Promise<FrameImage>;
}

export interface EncodeOptions {
  quality?: number;
  scale?: number;
}
