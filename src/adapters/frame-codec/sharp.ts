import sharp from 'sharp';
import type { EncodeOptions, FrameCodec } from '../../ports/frame-codec.js';
import type { FrameImage } from '../../core/types.js';

/** JPEG via libvips (sharp): runs on libuv's thread pool, off the event loop. */
export class SharpJpegCodec implements FrameCodec {
  constructor(private readonly quality = 90) {}

  encode(image: FrameImage, options: EncodeOptions = {}): Promise<Buffer> {
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
    const scale = options.scale ?? 1;
    if (scale < 1) {
      const size = (side: number): number => Math.max(1, Math.round(side * scale));
      pipeline = pipeline.resize(size(image.width), size(image.height), { fit: 'fill' });
    }
    return pipeline.jpeg({ quality: options.quality ?? this.quality, chromaSubsampling: '4:4:4' }).toBuffer();
  }

  async decode(encoded: Buffer): Promise<FrameImage> {
    const { data, info } = await sharp(encoded).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
}
