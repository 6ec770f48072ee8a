import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../app.js';
import { ErrorBody, RequestBody, UploadAccepted } from '../schemas.js';
import { FramewiseError } from '../../../core/errors.js';
import { inputKey, newEventId } from '../../../core/ids.js';
import { peek } from '../head-stream.js';
import { SNIFF_BYTES, sniffVideo } from '../sniff.js';

const errors = { 400: ErrorBody, 404: ErrorBody, 413: ErrorBody, 415: ErrorBody, 500: ErrorBody };

/** Extension for `input/{id}.{ext}`: the client's if plausible, else the detected one. */
function extensionOf(filename: string | undefined, detected: string | undefined): string {
  const m = /\.([a-z0-9]{1,8})$/i.exec(filename ?? '');
  return (m?.[1] ?? detected ?? 'bin').toLowerCase();
}

export const uploadRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.post(
    '/api/upload_video',
    {
      schema: {
        description: 'Upload a video (multipart/form-data, field `file`); it is streamed to the object store and a job is created.',
        consumes: ['multipart/form-data'],
        response: { 200: UploadAccepted, ...errors },
      },
    },
    async (req) => {
      if (!req.isMultipart()) throw new FramewiseError('ERR_UPLOAD_NO_FILE');
      const part = await req.file();
      if (!part || part.fieldname !== 'file') throw new FramewiseError('ERR_UPLOAD_NO_FILE');
      const { head, whole } = await peek(part.file, SNIFF_BYTES);
      const sniffed = await sniffVideo(head);
      const id = newEventId();
      const key = inputKey(id, extensionOf(part.filename, sniffed.ext));
      const mediaType = sniffed.mediaType !== 'application/octet-stream' ? sniffed.mediaType : part.mimetype || sniffed.mediaType;
      try {
        await deps.objects.put(key, whole, mediaType);
      } catch (err) {
        await deps.objects.delete(key).catch(() => {});
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new FramewiseError('ERR_UPLOAD_TOO_LARGE', deps.maxUploadBytes);
        if (req.raw.destroyed || (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE') throw new FramewiseError('ERR_UPLOAD_INTERRUPTED');
        throw err;
      }
      if (part.file.truncated) {
        await deps.objects.delete(key);
        throw new FramewiseError('ERR_UPLOAD_TOO_LARGE', deps.maxUploadBytes);
      }
      // The job exists from here on: the insert is the atomic "ok".
      await deps.outbox.insert({ _id: id, status: 'new', payload: { bucket: deps.objects.bucket, object: key, media_type: mediaType }, created_at: new Date() });
      req.log.info({ event_id: id, object: key, media_type: mediaType }, 'video accepted');
      deps.onAccepted?.();
      return { status: 'ok' as const, event_id: id };
    },
  );

  app.post(
    '/api/request',
    {
      schema: {
        description: 'Create a job for a video already in the object store.',
        body: RequestBody,
        response: { 200: UploadAccepted, ...errors },
      },
    },
    async (req) => {
      const { bucket = deps.objects.bucket, object } = req.body;
      if (bucket !== deps.objects.bucket) throw new FramewiseError('ERR_BUCKET_UNKNOWN', JSON.stringify(bucket), deps.objects.bucket);
      if (!object.startsWith('input/') || object.includes('..') || !(await deps.objects.exists(object))) {
        throw new FramewiseError('ERR_OBJECT_NOT_FOUND', JSON.stringify(object), bucket);
      }
      const id = newEventId();
      const mediaType = req.body.media_type ?? 'application/octet-stream';
      await deps.outbox.insert({ _id: id, status: 'new', payload: { bucket, object, media_type: mediaType }, created_at: new Date() });
      deps.onAccepted?.();
      return { status: 'ok' as const, event_id: id };
    },
  );
};
