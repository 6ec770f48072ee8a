import type { FrameImage } from '../core/types.js';

/**
 * FrameCodec: compresses frames for the bus (a raw 768×576 frame is 1.3 MB, over Kafka's default
 * message limit; as JPEG it is ~50 KB). Both calls run off the event loop.
 */
export interface FrameCodec {
  encode(image: FrameImage): Promise<Buffer>;
  decode(encoded: Buffer): Promise<FrameImage>;
}
