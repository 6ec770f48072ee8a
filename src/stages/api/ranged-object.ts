import parseRange from 'range-parser';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ObjectNotFoundError, type ByteRange, type ObjectStore } from '../../ports/object-store.js';
import { FramewiseError } from '../../core/errors.js';

export interface ObjectToServe {
  key: string;
  /** The media type to answer with when the caller knows it; else the stored one, else octet-stream. */
  contentType?: string;
  /** The error to answer when the object is absent (its own 404 code). */
  notFound: () => FramewiseError;
}

/**
 * Answers a GET or HEAD with a stored object, honouring one HTTP byte range (RFC 9110 §14):
 * - no `Range`, a malformed one, a non-byte unit, several ranges, or an `If-Range` that no longer
 *   matches → 200 with the whole object (all allowed: a server may always ignore `Range`);
 * - one satisfiable range → 206 with `Content-Range: bytes a-b/size` and exactly those bytes;
 * - none satisfiable → 416 with `Content-Range: bytes *\/size` (and the JSON error body).
 * Every answer carries `Accept-Ranges: bytes`, `Content-Length`, `Content-Type` and, where the
 * store knows them, `ETag` and `Last-Modified`. The body is streamed from the store, never
 * buffered; HEAD opens no stream at all.
 */
export async function sendObject(req: FastifyRequest, reply: FastifyReply, objects: ObjectStore, target: ObjectToServe, attempt = 1): Promise<FastifyReply> {
  const stat = await objects.stat(target.key).catch((err: unknown) => {
    throw err instanceof ObjectNotFoundError ? target.notFound() : err;
  });
  const lastModified = stat.lastModified?.toUTCString();
  reply.code(200).removeHeader('content-range');
  reply.header('accept-ranges', 'bytes');
  reply.header('content-type', target.contentType ?? stat.contentType ?? 'application/octet-stream');
  // The type is the one recorded at upload: browsers must not guess another from the bytes.
  reply.header('x-content-type-options', 'nosniff');
  if (stat.etag) reply.header('etag', stat.etag);
  if (lastModified) reply.header('last-modified', lastModified);

  const range = requestedRange(req, stat.size, stat.etag, lastModified);
  if (range === 'unsatisfiable') {
    reply.header('content-range', `bytes */${stat.size}`);
    throw new FramewiseError('ERR_RANGE_NOT_SATISFIABLE', JSON.stringify(String(req.headers.range).slice(0, 100)), stat.size);
  }
  if (range) {
    reply.code(206);
    reply.header('content-range', `bytes ${range.start}-${range.end}/${stat.size}`);
  }
  reply.header('content-length', String(range ? range.end - range.start + 1 : stat.size));
  if (req.method === 'HEAD') return reply.send();
  let body;
  try {
    body = await objects.get(target.key, range);
  } catch (err) {
    if (err instanceof ObjectNotFoundError) throw target.notFound();
    // Replaced by a shorter version since `stat`: answer as if the request had come a moment later.
    if (err instanceof RangeError && attempt < 3) return sendObject(req, reply, objects, target, attempt + 1);
    throw err;
  }
  return reply.send(body);
}

/** The one byte range to serve, `undefined` for the whole object, or `'unsatisfiable'`. */
function requestedRange(
  req: FastifyRequest,
  size: number,
  etag: string | undefined,
  lastModified: string | undefined,
): ByteRange | 'unsatisfiable' | undefined {
  const header = req.headers.range;
  if (!header) return undefined;
  // If-Range: the client's copy is partial; if the object changed, it needs all of it again.
  const ifRange = req.headers['if-range'];
  if (ifRange !== undefined && ifRange !== etag && ifRange !== lastModified) return undefined;
  const ranges = parseRange(size, header, { combine: true });
  if (ranges === -1) return 'unsatisfiable';
  if (ranges === -2 || ranges.type !== 'bytes' || ranges.length !== 1) return undefined;
  return ranges[0];
}
