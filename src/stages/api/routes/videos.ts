import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { ApiDeps } from '../deps.js';
import { ErrorBody, EventIdParams } from '../schemas.js';
import { annotatedKey, parseEventId } from '../../../core/ids.js';
import { FramewiseError } from '../../../core/errors.js';
import { jobStatus } from '../../../core/job.js';
import { sendObject } from '../ranged-object.js';
import { principalOf } from '../auth.js';
import { readableJob } from '../job-view.js';

const RangeHeaders = Type.Object({
  range: Type.Optional(
    Type.String({ description: 'One byte range, e.g. `bytes=0-1023`, `bytes=1024-` or `bytes=-500` (several ranges: the whole video is sent)' }),
  ),
  'if-range': Type.Optional(
    Type.String({ description: 'An ETag or Last-Modified from an earlier answer: the range is honoured only if the video is unchanged' }),
  ),
});

/** A binary answer, as OpenAPI describes one. */
const video = (description: string, mediaType: string) => ({ description, content: { [mediaType]: { schema: { type: 'string', format: 'binary' } } } });
/** Errors stay JSON whatever the video's type. */
const error = (description: string) => ({ description, content: { 'application/json': { schema: ErrorBody } } });

const responses = (mediaType: string) => ({
  200: video('The whole video (no `Range`, or one that cannot be honoured as a single range)', mediaType),
  206: video('The requested byte range, with `Content-Range: bytes <first>-<last>/<size>`', mediaType),
  400: error('A malformed event id'),
  404: error('No such job, or its video is not (or no longer) stored'),
  416: error('The range starts past the end of the video (`Content-Range: bytes */<size>`)'),
  500: error('Internal error'),
  503: error('The object store is unreachable'),
});

/**
 * The job's videos, with HTTP range requests (seeking in a `<video>` element, resumable
 * downloads): the uploaded input as stored, and the annotated MP4 once rendered. HEAD answers the
 * same headers without reading the object.
 */
export const videoRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/video/:event_id',
    schema: {
      description: 'The job’s uploaded video, as stored (its recorded media type), with range requests.',
      params: EventIdParams,
      headers: RangeHeaders,
      response: responses('video/*'),
    },
    handler: async (req, reply) => {
      const id = parseEventId(req.params.event_id);
      const { event, run } = await readableJob(deps.outboxEvents, deps.jobRecords, id, principalOf(req), () => new FramewiseError('ERR_JOB_NOT_FOUND', id));
      const input = event?.payload ?? run?.input;
      // Runner records of version 0.1 kept no input; their event is gone after its retention.
      if (!input) throw new FramewiseError('ERR_VIDEO_NOT_FOUND', id);
      return sendObject(req, reply, deps.objects, {
        key: input.object,
        contentType: input.media_type || undefined,
        notFound: () => new FramewiseError('ERR_VIDEO_NOT_FOUND', id),
      });
    },
  });

  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/result_video/:event_id/annotated.mp4',
    schema: {
      description:
        'The job’s video with its boxes, class names and track ids drawn (H.264 MP4), once rendered — for jobs uploaded with `annotate=true`. Range requests supported.',
      params: EventIdParams,
      headers: RangeHeaders,
      response: responses('video/mp4'),
    },
    handler: async (req, reply) => {
      const id = parseEventId(req.params.event_id);
      const { event, run } = await readableJob(deps.outboxEvents, deps.jobRecords, id, principalOf(req), () => new FramewiseError('ERR_JOB_NOT_FOUND', id));
      const asked = run?.parameters.annotate ?? event?.payload.options?.annotate ?? false;
      const status = jobStatus(event?.status, run?.status);
      const why = !asked
        ? 'the job did not ask for one (upload with annotate=true)'
        : status === 'failed'
          ? 'the job failed'
          : status === 'ready'
            ? 'it is not rendered (yet), or was removed'
            : `not rendered yet (job ${status})`;
      return sendObject(req, reply, deps.objects, {
        key: annotatedKey(id),
        contentType: 'video/mp4',
        notFound: () => new FramewiseError('ERR_ANNOTATION_NOT_FOUND', id, why),
      });
    },
  });
};
