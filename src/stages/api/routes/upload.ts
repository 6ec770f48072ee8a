import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { ErrorBody, ModelList, RequestBody, UploadAccepted, UploadForm, UploadQuery } from '../schemas.js';
import type { FastifyRequest } from 'fastify';
import { FramewiseError } from '../../../core/errors.js';
import { inputKey, newEventId } from '../../../core/ids.js';
import { videoSubmitted, type VideoRef } from '../../../core/job.js';
import { TOPICS } from '../../../core/topics.js';
import { newTraceparent, parseTraceparent } from '../../../core/trace.js';
import { DuplicateIdempotencyKeyError } from '../../../ports/jobs-outbox.js';
import { peek } from '../head-stream.js';
import { SNIFF_BYTES, sniffVideo } from '../sniff.js';
import { jobOptions, optionsFromFields, OPTION_NAMES, type JobOptionsInput } from '../job-options.js';
import { enforceStoredLimits, enforceUploadLimits, stageUpload } from '../video-limits.js';
import { ownerOf, principalOf, scopeIdempotencyKey } from '../auth.js';
import { admitActiveJob, admitRequestedObject } from '../job-admission.js';

const errors = {
  400: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  413: ErrorBody,
  415: ErrorBody,
  422: ErrorBody,
  429: ErrorBody,
  500: ErrorBody,
  503: ErrorBody,
};

/** The `Idempotency-Key` header, validated (printable ASCII, 1–255 characters) and scoped to the caller's key, or undefined. */
function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (!key || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) throw new FramewiseError('ERR_IDEMPOTENCY_KEY_MALFORMED');
  return scopeIdempotencyKey(principalOf(req), key);
}

/** A form field's value (`@fastify/multipart` keeps fields that came before the file). */
function fieldValue(fields: Record<string, unknown> | undefined, name: string): string | undefined {
  const f = fields?.[name];
  const one = Array.isArray(f) ? f[0] : f;
  return one && typeof one === 'object' && 'value' in one && typeof one.value === 'string' ? one.value : undefined;
}

const accepted = (id: string) => ({ status: 'ok' as const, event_id: id });

/** Extension for `input/{id}.{ext}`: the client's if plausible, else the detected one. */
function extensionOf(filename: string | undefined, detected: string | undefined): string {
  const m = /\.([a-z0-9]{1,8})$/i.exec(filename ?? '');
  return (m?.[1] ?? detected ?? 'bin').toLowerCase();
}

export const uploadRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  /** The job's model: the client's choice if the server has it, else the default. */
  const modelOf = (chosen: string | undefined) => {
    const model = chosen ?? deps.models.defaultModel;
    if (!deps.models.names.includes(model)) throw new FramewiseError('ERR_MODEL_UNKNOWN', JSON.stringify(model), deps.models.names.join(', '));
    return model;
  };
  /** The job's options, checked against its model; undefined when the client chose none (the payload stays as before). */
  const optionsOf = (input: JobOptionsInput, model: string) => {
    const options = jobOptions(input, { model, classesOf: (m) => deps.models.classes?.[m], webhookAllowPrivate: deps.webhookAllowPrivate });
    return Object.keys(options).length > 0 ? { options } : {};
  };

  app.get(
    '/api/models',
    { schema: { description: 'The models a job may choose, and the default (with their classes where the server knows them).', response: { 200: ModelList } } },
    async () => ({
      default: deps.models.defaultModel,
      models: deps.models.names.map((name) => ({
        name,
        ...(deps.models.classes?.[name] ? { classes: [...deps.models.classes[name]] } : {}),
        defaults: deps.models.defaults(name),
      })),
    }),
  );

  /**
   * Inserts the job's `video.submitted` event: the atomic "ok" — the job exists from here on.
   * The idempotency key is written in the same insert; if a concurrent request with the same key
   * won, that job is the answer and this request's upload is removed (`discard`).
   */
  const createJob = async (req: FastifyRequest, id: string, video: VideoRef, idempotencyKey: string | undefined, discard?: () => Promise<void>) => {
    const traceparent = parseTraceparent(req.headers.traceparent as string | undefined) ?? newTraceparent();
    // The job records the key that created it (its owner): only that key and admins see it.
    const event = videoSubmitted(id, { ...video, ...ownerOf(principalOf(req)) }, TOPICS.outboxEvents, traceparent);
    try {
      await deps.jobsOutbox.insert(event, idempotencyKey);
    } catch (err) {
      if (!(err instanceof DuplicateIdempotencyKeyError)) throw err;
      const winner = await deps.jobsOutbox.findByIdempotencyKey(err.idempotencyKey);
      if (!winner) throw err;
      await discard?.().catch(() => {});
      return accepted(winner._id);
    }
    // A cleanup whose cutoff is later than this job's creation removes it, but may have deleted the
    // events before this insert landed (a request in flight, another replica's clock): the runner
    // would refuse the job, so its event goes now, with the cleanup's own operation (idempotent),
    // and the client is told to send it again rather than "ok".
    const cutoff = await deps.jobRecords.cleanupCutoff();
    if (cutoff && event.created_at < cutoff) {
      await deps.outboxEvents.clearBefore(cutoff);
      await discard?.().catch(() => {});
      throw new FramewiseError('ERR_JOB_CLEANED_UP');
    }
    // The request's logger carries the trace id already (the job's: see `observability/request-trace.ts`).
    req.log.info({ event_id: id, object: video.object, media_type: video.media_type }, 'video accepted');
    deps.metrics?.jobsSubmitted.inc();
    deps.onAccepted?.();
    return accepted(id);
  };

  app.post(
    '/api/upload_video',
    {
      schema: {
        description:
          'Upload a video (multipart/form-data, field `file`); it is streamed to the object store and a job is created. ' +
          'Choose the detector with `model`, and the job’s options (sampling, confidence, IoU, classes, annotate, webhook_url), ' +
          'as query parameters or as form fields *before* the file (a form field wins over the query parameter of the same name).',
        consumes: ['multipart/form-data'],
        querystring: UploadQuery,
        response: { 200: UploadAccepted, ...errors },
      },
      // A query option that fails the schema is the same mistake as a form field that does: one code.
      attachValidation: true,
      // Describe the form in /openapi.json without making Fastify validate (and so buffer) the body.
      config: { swaggerTransform: ({ schema, url }) => ({ schema: { ...schema, body: UploadForm }, url }) },
    },
    async (req, reply) => {
      const idempotencyKey = idempotencyKeyOf(req);
      // A retry of a request that already created its job: answer before reading the upload.
      const earlier = idempotencyKey !== undefined ? await deps.jobsOutbox.findByIdempotencyKey(idempotencyKey) : undefined;
      if (earlier) {
        req.log.info({ event_id: earlier._id }, 'upload retried with its idempotency key; same job returned');
        return accepted(earlier._id);
      }
      if (req.validationError) {
        const e = req.validationError as { validation?: Array<{ instancePath?: string; message?: string }> };
        const first = e.validation?.[0];
        // The option's name: the path's first segment (`/classes/0` is an item of `classes`).
        const name = first?.instancePath?.split('/')[1] ?? '';
        if (name === 'model' || !name) throw new FramewiseError('ERR_REQUEST_INVALID', req.validationError.message);
        throw new FramewiseError(
          'ERR_OPTION_INVALID',
          `${name}=${JSON.stringify((req.query as Record<string, unknown>)[name]).slice(0, 100)}: ${first?.message ?? 'invalid'}`,
        );
      }
      if (!req.isMultipart()) throw new FramewiseError('ERR_UPLOAD_NO_FILE');
      // Before the upload is read: a key at its limit of unfinished jobs is told at once (429).
      await admitActiveJob(deps, principalOf(req), reply);
      const { model: queriedModel, ...queried } = req.query;
      if (queriedModel !== undefined) modelOf(queriedModel);
      const part = await req.file();
      if (!part || part.fieldname !== 'file') throw new FramewiseError('ERR_UPLOAD_NO_FILE');
      const fields = part.fields as Record<string, unknown>;
      let model: string;
      let options: ReturnType<typeof optionsOf>;
      try {
        model = modelOf(fieldValue(fields, 'model') ?? queriedModel);
        const fromFields = optionsFromFields(Object.fromEntries(OPTION_NAMES.map((n) => [n, fieldValue(fields, n)]).filter(([, v]) => v !== undefined)));
        options = optionsOf({ ...queried, ...fromFields }, model);
      } catch (err) {
        // Read the rest of the upload (up to its limit) into nothing: a client still sending its
        // file when the answer comes would see a reset connection instead of the 400.
        await pipeline(part.file, new Writable({ write: (_chunk, _enc, done) => done() })).catch(() => {});
        throw err;
      }
      const { head, whole } = await peek(part.file, SNIFF_BYTES);
      const sniffed = await sniffVideo(head);
      const id = newEventId();
      const key = inputKey(id, extensionOf(part.filename, sniffed.ext));
      const mediaType = sniffed.mediaType !== 'application/octet-stream' ? sniffed.mediaType : part.mimetype || sniffed.mediaType;
      // Where the stored upload can be probed for the video limits (a temp copy for a remote store).
      const staged = await stageUpload(deps, key, whole);
      try {
        await deps.objects.put(key, staged.body, mediaType);
      } catch (err) {
        await staged.release();
        await deps.objects.delete(key).catch(() => {});
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new FramewiseError('ERR_UPLOAD_TOO_LARGE', deps.maxUploadBytes);
        // Only a body that did not arrive whole is the client's doing; after it, a storage failure is ours (503).
        if (!req.raw.complete && (req.raw.destroyed || (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE'))
          throw new FramewiseError('ERR_UPLOAD_INTERRUPTED');
        throw err;
      }
      if (part.file.truncated) {
        await staged.release();
        await deps.objects.delete(key);
        throw new FramewiseError('ERR_UPLOAD_TOO_LARGE', deps.maxUploadBytes);
      }
      // Over a duration, resolution or frame-count limit: 422, the object deleted, no job.
      await enforceUploadLimits(deps, key, staged);
      return createJob(req, id, { bucket: deps.objects.bucket, object: key, media_type: mediaType, model, ...options }, idempotencyKey, () =>
        deps.objects.delete(key),
      );
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
    async (req, reply) => {
      const { bucket = deps.objects.bucket, object, media_type: _mediaType, model: _model, ...optionInput } = req.body;
      const model = modelOf(req.body.model);
      const options = optionsOf(optionInput, model);
      // An allowed bucket; a key the server made, of an upload the caller may see; stored.
      await admitRequestedObject(deps, principalOf(req), bucket, object);
      const idempotencyKey = idempotencyKeyOf(req);
      const earlier = idempotencyKey !== undefined ? await deps.jobsOutbox.findByIdempotencyKey(idempotencyKey) : undefined;
      if (earlier) return accepted(earlier._id);
      await admitActiveJob(deps, principalOf(req), reply);
      await enforceStoredLimits(deps, object);
      return createJob(req, newEventId(), { bucket, object, media_type: req.body.media_type ?? 'application/octet-stream', model, ...options }, idempotencyKey);
    },
  );
};
