import { Transform, type Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { checkRange, ObjectNotFoundError, type ByteRange, type ObjectStat, type ObjectStore } from '../../ports/object-store.js';

export interface S3Options {
  /** `host:port` (MinIO's convention) or a full URL; empty for AWS S3's own endpoints. */
  endpoint?: string;
  secure: boolean;
  accessKey: string;
  secretKey: string;
  region: string;
  bucket: string;
  /** Path-style addressing: needed by MinIO and most self-hosted S3; AWS accepts it too. */
  forcePathStyle: boolean;
}

const isNotFound = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
};

const isInvalidRange = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'InvalidRange' || e.$metadata?.httpStatusCode === 416;
};

/**
 * Objects in an S3 bucket (MinIO, AWS S3 or any S3-compatible store). Puts stream as multipart
 * uploads, 8 MiB parts, two in flight: memory stays ~16 MiB whatever the object's size, and a
 * failed body aborts the upload so nothing partial is ever visible.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  private readonly client: S3Client;

  constructor(opts: S3Options) {
    this.bucket = opts.bucket;
    const endpoint = opts.endpoint ? (/^https?:\/\//.test(opts.endpoint) ? opts.endpoint : `${opts.secure ? 'https' : 'http'}://${opts.endpoint}`) : undefined;
    this.client = new S3Client({
      ...(endpoint ? { endpoint } : {}),
      region: opts.region,
      forcePathStyle: opts.forcePathStyle,
      credentials: { accessKeyId: opts.accessKey, secretAccessKey: opts.secretKey },
      maxAttempts: 3,
    });
  }

  /** Resolves once S3 answered that the bucket exists and these credentials reach it (HeadBucket; readiness). */
  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      // HeadBucket answers have no body: the SDK's message is often just "UnknownError".
      const e = err as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
      const status = e.$metadata?.httpStatusCode;
      throw new Error(`bucket ${this.bucket}: ${status ? `HTTP ${status} ${e.name ?? ''}`.trim() : e.message || e.code || e.name || String(err)}`, {
        cause: err,
      });
    }
  }

  /** Creates the bucket if it does not exist. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket })).catch((e: { name?: string }) => {
        if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
      });
    }
  }

  async put(key: string, body: Readable, contentType?: string): Promise<{ size: number }> {
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    body.on('error', (err) => counted.destroy(err));
    body.pipe(counted);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: counted, ...(contentType ? { ContentType: contentType } : {}) },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
    });
    // A body that fails must abort the upload, not leave it waiting for more bytes.
    const failed = new Promise<never>((_, reject) => counted.once('error', reject));
    failed.catch(() => {});
    try {
      await Promise.race([upload.done(), failed]);
    } catch (err) {
      await upload.abort().catch(() => {});
      throw err;
    }
    return { size };
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    if (range) checkRange(range);
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      return r.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      // S3 answers 416 InvalidRange to a range that starts past the object's end.
      if (range && isInvalidRange(err)) throw new RangeError(`byte range ${range.start}-${range.end} starts past the end of ${key}`);
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectStat> {
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return {
        size: r.ContentLength ?? 0,
        ...(r.ContentType ? { contentType: r.ContentType } : {}),
        ...(r.LastModified ? { lastModified: r.LastModified } : {}),
        ...(r.ETag ? { etag: r.ETag } : {}),
      };
    } catch (err) {
      if (isNotFound(err)) throw new ObjectNotFoundError(key);
      throw err;
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  localPath(): undefined {
    return undefined;
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0) await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
