import sharp from 'sharp';
import type { EncodeOptions, FrameCodec, FrameFormat } from '../../ports/frame-codec.js';
import type { FrameImage } from '../../core/types.js';

/** Raw frames: this magic, width and height (uint32 LE), then packed RGB bytes. */
const RAW_MAGIC = Buffer.from('FWRGB\x001\x00', 'latin1');
const RAW_HEADER = RAW_MAGIC.length + 8;

/**
 * Frames on the bus, via libvips (sharp; resizing and JPEG run on libuv's thread pool, off the
 * event loop). Encodes in one format — JPEG (quality 4:4:4), or raw RGB behind a small header —
 * and decodes either, told apart by their first bytes, so workers of mixed settings interoperate.
 */
export class SharpFrameCodec implements FrameCodec {
  readonly lossy: boolean;
  readonly contentType: string;

  constructor(
    readonly format: FrameFormat = 'jpeg',
    private readonly quality = 90,
  ) {
    this.lossy = format === 'jpeg';
    this.contentType = format === 'jpeg' ? 'image/jpeg' : 'application/x-framewise-rgb';
  }

  async encode(image: FrameImage, options: EncodeOptions = {}): Promise<Buffer> {
    const scale = options.scale ?? 1;
    let pipeline = scale < 1 || this.format === 'jpeg' ? sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } }) : undefined;
    let { width, height } = image;
    if (pipeline && scale < 1) {
      width = Math.max(1, Math.round(image.width * scale));
      height = Math.max(1, Math.round(image.height * scale));
      pipeline = pipeline.resize(width, height, { fit: 'fill' });
    }
    if (this.format === 'jpeg') return pipeline!.jpeg({ quality: options.quality ?? this.quality, chromaSubsampling: '4:4:4' }).toBuffer();
    const pixels = pipeline ? await pipeline.raw().toBuffer() : image.data;
    const header = Buffer.alloc(RAW_HEADER);
    RAW_MAGIC.copy(header);
    header.writeUInt32LE(width, RAW_MAGIC.length);
    header.writeUInt32LE(height, RAW_MAGIC.length + 4);
    return Buffer.concat([header, pixels]);
  }

  async decode(encoded: Buffer): Promise<FrameImage> {
    if (encoded.length >= RAW_HEADER && encoded.subarray(0, RAW_MAGIC.length).equals(RAW_MAGIC)) {
      const width = encoded.readUInt32LE(RAW_MAGIC.length);
      const height = encoded.readUInt32LE(RAW_MAGIC.length + 4);
      if (width === 0 || height === 0 || encoded.length !== RAW_HEADER + width * height * 3) throw new Error(`raw frame of ${encoded.length} bytes does not hold ${width}x${height} RGB`);
      return { width, height, data: new Uint8Array(encoded.buffer, encoded.byteOffset + RAW_HEADER, width * height * 3) };
    }
    const { data, info } = await sharp(encoded).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
}
