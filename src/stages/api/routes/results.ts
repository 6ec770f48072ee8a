import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../app.js';
import { ErrorBody, EventIdParams, JobStatusBody, ResultBody, StatusAll } from '../schemas.js';
import { parseEventId } from '../../../core/ids.js';
import { JOB_STATUSES, STATUS_DESCRIPTIONS } from '../../../core/job.js';
import { findJob, processingTime, readPrediction, viewJob } from '../job-view.js';
import { jobProgress } from '../../../core/progress.js';

export const resultRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get(
    '/api/result_video/:event_id',
    {
      schema: {
        description: 'The job’s detections once ready; otherwise its status (and progress or failure reason).',
        params: EventIdParams,
        response: { 200: ResultBody, 400: ErrorBody, 404: ErrorBody, 500: ErrorBody },
      },
    },
    async (req) => {
      const id = parseEventId(req.params.event_id);
      const job = await findJob(deps.outbox, deps.runs, id);
      const timing = processingTime(job);
      const published = job.status === 'ready' || job.status === 'predictable' ? await readPrediction(deps.objects, id) : undefined;
      if (published) return { status: 'ready' as const, event_id: id, ...published, ...timing };
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
    async (req) => {
      const id = parseEventId(req.params.event_id);
      const job = await findJob(deps.outbox, deps.runs, id);
      return {
        event_id: id,
        status: job.status,
        status_description: STATUS_DESCRIPTIONS[job.status],
        ...jobProgress(job.status, job.run, job.processingSeconds),
        ...processingTime(job),
        ...(job.status === 'failed' ? { reason: job.reason } : {}),
      };
    },
  );

  app.get(
    '/api/status/all',
    { schema: { description: 'Every job with its status.', response: { 200: StatusAll, 500: ErrorBody } } },
    async () => {
      const [events, runs] = await Promise.all([deps.outbox.list(), deps.runs.list()]);
      const byId = new Map(runs.map((r) => [r._id, r]));
      const now = new Date();
      const counts: Record<string, number> = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0]));
      // Jobs whose sent event was removed after its retention live on in their runner record.
      const eventIds = new Set(events.map((e) => e._id));
      const jobs = [...events.map((e) => viewJob(e, byId.get(e._id), now)), ...runs.filter((r) => !eventIds.has(r._id)).map((r) => viewJob(undefined, r, now))];
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
