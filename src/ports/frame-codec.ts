import type { FrameImage } from '../core/types.js';

/**
 * FrameCodec: how frames travel on the bus. JPEG (a raw 768×576 frame is 1.3 MB, over Kafka's
 * default message limit; as JPEG ~110 KB), or raw RGB where bytes are cheaper than CPU (embedded
 * mode's local bus). `decode` reads every format, whatever this codec encodes. Both calls run off
 * the event loop.
 */
export interface FrameCodec {
  /** What `encode` writes: the task's `content_type` header. */
  readonly contentType: string;
  /** Whether `quality` changes anything (a raw frame only gets smaller by `scale`). */
  readonly lossy: boolean;
  /**
   * `quality` (1–100) overrides the codec's own; `scale` (0–1] shrinks the image first (each side
   * rounded, at least 1 pixel) — the decoded frame is then that smaller size.
   */
  encode(image: FrameImage, options?: EncodeOptions): Promise<Buffer>;
  decode(encoded: Buffer): Promise<FrameImage>;
}

export type FrameFormat = 'jpeg' | 'raw';

export interface EncodeOptions {
  quality?: number;
  scale?: number;
}
