import sharp from 'sharp';
import type { EncodedFrame, EncodeOptions, FrameCodec, FrameFormat } from '../../ports/frame-codec.js';
import type { FrameImage } from '../../core/types.js';

/** Raw frames before content types carried their size: this magic, width and height (uint32 LE), then RGB. */
const LEGACY_RAW_MAGIC = Buffer.from('FWRGB\x001\x00', 'latin1');
const LEGACY_RAW_HEADER = LEGACY_RAW_MAGIC.length + 8;

const RAW_TYPE = 'image/x-raw-rgb';
const JPEG_TYPE = 'image/jpeg';

/** `image/x-raw-rgb; width=640; height=480` → its size; undefined for another type. */
export function rawFrameSize(contentType: string | undefined): { width: number; height: number } | undefined {
  if (!contentType) return undefined;
  const [type, ...params] = contentType.split(';').map((p) => p.trim());
  if (type !== RAW_TYPE) return undefined;
  const value = (name: string): number => Number(params.find((p) => p.startsWith(`${name}=`))?.slice(name.length + 1));
  return { width: value('width'), height: value('height') };
}

/** The bytes of `data`, as a Buffer over the same memory (no copy). */
const bytesOf = (data: Uint8Array): Buffer => (Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));

/**
 * Frames on the bus, via libvips (sharp; resizing and JPEG run on libuv's thread pool, off the
 * event loop): JPEG (quality 4:4:4), raw RGB, or `auto` (raw when it fits `maxBytes`, else JPEG).
 */
export class SharpFrameCodec implements FrameCodec {
  readonly lossy: boolean;

  constructor(
    readonly format: FrameFormat = 'jpeg',
    private readonly quality = 90,
  ) {
    this.lossy = format !== 'raw';
  }

  async encode(image: FrameImage, options: EncodeOptions = {}): Promise<EncodedFrame> {
    const scale = options.scale ?? 1;
    let { width, height } = image;
    if (scale < 1) {
      width = Math.max(1, Math.round(image.width * scale));
      height = Math.max(1, Math.round(image.height * scale));
    }
    const rawBytes = width * height * 3;
    const raw = this.format === 'raw' || (this.format === 'auto' && options.quality === undefined && rawBytes <= (options.maxBytes ?? Infinity));
    const contentType = raw ? `${RAW_TYPE}; width=${width}; height=${height}` : JPEG_TYPE;
    if (raw && scale >= 1) return { bytes: bytesOf(image.data), contentType };
    let pipeline = sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
    if (scale < 1) pipeline = pipeline.resize(width, height, { fit: 'fill' });
    if (raw) return { bytes: await pipeline.raw().toBuffer(), contentType };
    return { bytes: await pipeline.jpeg({ quality: options.quality ?? this.quality, chromaSubsampling: '4:4:4' }).toBuffer(), contentType };
  }

  async decode(bytes: Buffer, contentType?: string): Promise<FrameImage> {
    const raw = rawFrameSize(contentType);
    if (raw) {
      const { width, height } = raw;
      if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || bytes.length !== width * height * 3) {
        throw new Error(`raw frame of ${bytes.length} bytes does not hold ${width}x${height} RGB`);
      }
      return { width, height, data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) };
    }
    if (bytes.length >= LEGACY_RAW_HEADER && bytes.subarray(0, LEGACY_RAW_MAGIC.length).equals(LEGACY_RAW_MAGIC)) {
      const width = bytes.readUInt32LE(LEGACY_RAW_MAGIC.length);
      const height = bytes.readUInt32LE(LEGACY_RAW_MAGIC.length + 4);
      if (width === 0 || height === 0 || bytes.length !== LEGACY_RAW_HEADER + width * height * 3)
        throw new Error(`raw frame of ${bytes.length} bytes does not hold ${width}x${height} RGB`);
      return { width, height, data: new Uint8Array(bytes.buffer, bytes.byteOffset + LEGACY_RAW_HEADER, width * height * 3) };
    }
    const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  }
}
