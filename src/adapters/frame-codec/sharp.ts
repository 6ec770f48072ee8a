import sharp from 'sharp';
import type { FrameCodec } from '../../ports/frame-codec.js';
import type { FrameImage } from '../../core/types.js';

/** JPEG via libvips (sharp): runs on libuv's thread pool, off the event loop. */
export class SharpJpegCodec implements FrameCodec {
  constructor(private readonly quality = 90) {}

  encode(image: FrameImage): Promise<Buffer> {
    return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
      .jpeg({ quality: this.quality, chromaSubsampling: '4:4:4' })
      .toBuffer();
  }

  async decode(encoded: Buffer): Promise<FrameImage> {
    const { data, info } = await sharp(encoded).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
}
