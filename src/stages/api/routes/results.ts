import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { Readable } from 'node:stream';
import { ErrorBody, EventIdParams, JobStatusBody, ResultBody, ResultQuery, StatusAll } from '../schemas.js';
import { parseEventId } from '../../../core/ids.js';
import { JOB_STATUSES, STATUS_DESCRIPTIONS } from '../../../core/job.js';
import { findJob, openDocument, processingTime, statusOf, viewJob } from '../job-view.js';
import { checkResultQuery, readResultPage, type ResultQuery as PageQuery } from '../result-pages.js';
import { mayRead, principalOf } from '../auth.js';
import { ResultCache } from '../result-cache.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export const resultRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const results = new ResultCache(deps.resultCacheBytes ?? 64 * 1024 ** 2);

  app.get(
    '/api/result_video/:event_id',
    {
      schema: {
        description:
          'The job’s detections once ready (frames with timestamps and tracks, the video’s metadata, the model, the parameters, and the track, class and segment summaries); ' +
          'otherwise its status (and progress or failure reason). With `limit`, one page of frames and a `next_cursor`; ' +
          '`class`, `min_conf`, `track_id`, `from_ms` and `to_ms` filter. Every page carries the metadata and summaries.',
        params: EventIdParams,
        querystring: ResultQuery,
        response: { 200: ResultBody, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody },
      },
    },
    async (req, reply) => {
      const id = parseEventId(req.params.event_id);
      const q = req.query;
      const query: PageQuery = {
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
        ...(q.cursor !== undefined ? { cursor: q.cursor } : {}),
        ...(q.class !== undefined
          ? {
              classes: q.class
                .split(',')
                .map((c) => c.trim())
                .filter(Boolean),
            }
          : {}),
        ...(q.min_conf !== undefined ? { minConf: q.min_conf } : {}),
        ...(q.track_id !== undefined ? { trackId: q.track_id } : {}),
        ...(q.from_ms !== undefined ? { fromMs: q.from_ms } : {}),
        ...(q.to_ms !== undefined ? { toMs: q.to_ms } : {}),
      };
      checkResultQuery(query);
      const job = await findJob(deps.outboxEvents, deps.jobRecords, id, principalOf(req));
      const timing = processingTime(job);
      const readyAt = job.status === 'ready' ? job.run?.ready_at : undefined;
      // A job `predictable` with its result already written (the publisher marks it just after) is served uncached.
      const opened =
        readyAt !== undefined
          ? await results.get(id, readyAt, () => openDocument(deps.objects, id))
          : job.status === 'ready' || job.status === 'predictable'
            ? await openDocument(deps.objects, id).then((stream) => stream && { stream })
            : undefined;
      const whole = Object.keys(query).length === 0;
      // Answers made of the published JSON bypass the response serializer (the typed reply expects the object form).
      if (opened && 'indexed' in opened) {
        // The document's head names the job (`event_id`): the answer adds its status and timing.
        const prefix = JSON.stringify({ status: 'ready', ...timing }).slice(1, -1) + ',';
        return reply.type(JSON_TYPE).send((whole ? opened.indexed.whole(prefix) : opened.indexed.page(prefix, query)) as never);
      }
      if (opened && whole) {
        // The whole result, streamed as published (memory stays flat, whatever the video's length).
        const prefix = JSON.stringify({ status: 'ready', event_id: id, ...timing }).slice(0, -1) + ',';
        return reply.type(JSON_TYPE).send(Readable.from(wholeResult(prefix, opened.stream)) as never);
      }
      if (opened) {
        const page = await readResultPage(opened.stream, query);
        return { ...page.head, status: 'ready' as const, event_id: id, prediction: page.prediction, next_cursor: page.next_cursor, ...timing };
      }
      return {
        status: job.status,
        event_id: id,
        ...timing,
        ...(job.status === 'failed' ? { reason: job.reason } : {}),
        ...(job.run && job.status !== 'failed'
          ? { progress: { frames_done: job.run.received_frames, frames_total: job.run.total_frames, frames_expected: job.run.expected_frames } }
          : {}),
      };
    },
  );

  app.get(
    '/api/status/:event_id',
    {
      schema: {
        description: 'One job’s status and progress: stage, frames done of the total (or the estimate), percent and ETA.',
        params: EventIdParams,
        response: { 200: JobStatusBody, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody },
      },
    },
    async (req) => statusOf(await findJob(deps.outboxEvents, deps.jobRecords, parseEventId(req.params.event_id), principalOf(req))),
  );

  app.get(
    '/api/status/all',
    { schema: { description: 'Every job with its status (a client’s key: its own jobs only).', response: { 200: StatusAll, 500: ErrorBody } } },
    async (req) => {
      const principal = principalOf(req);
      const [events, records] = await Promise.all([deps.outboxEvents.list(), deps.jobRecords.list()]);
      const byId = new Map(records.map((r) => [r._id, r]));
      const now = new Date();
      const counts: Record<string, number> = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0]));
      // Jobs whose sent event was removed after its retention live on in their runner record.
      const eventIds = new Set(events.map((e) => e._id));
      const jobs = [
        ...events.map((e) => viewJob(e, byId.get(e._id), now)),
        ...records.filter((r) => !eventIds.has(r._id)).map((r) => viewJob(undefined, r, now)),
      ].filter((job) => mayRead(principal, job.owner));
      const operations = jobs.map((job) => {
        counts[job.status] = (counts[job.status] ?? 0) + 1;
        return {
          video_id: job.id,
          status_code: job.status,
          status_description: STATUS_DESCRIPTIONS[job.status],
          ...processingTime(job),
          ...(job.status === 'failed' ? { reason: job.reason } : {}),
        };
      });
      return { operations, total: operations.length, counts };
    },
  );
};

/** `prefix` (the answer's own fields, ending in a comma) then the document without its opening brace. */
async function* wholeResult(prefix: string, doc: Readable): AsyncGenerator<Buffer> {
  let first = true;
  for await (const chunk of doc as AsyncIterable<Buffer>) {
    if (first && chunk.length > 0) {
      first = false;
      if (chunk[0] !== 0x7b) throw new Error('the published result is not a JSON object');
      yield Buffer.concat([Buffer.from(prefix), chunk.subarray(1)]);
    } else yield chunk;
  }
}
