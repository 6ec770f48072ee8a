import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../app.js';
import { DeadLetterAction, DeadLetterList, DeadLetterParams, DeadLetterQuery, ErrorBody } from '../schemas.js';
import { parseEventId } from '../../../core/ids.js';
import { FramewiseError } from '../../../core/errors.js';
import type { OutboxEvent, RunnerRecord } from '../../../core/job.js';
import { adminGuard } from '../admin-guard.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 500: ErrorBody, 503: ErrorBody };

/** A dead event of the jobs outbox (the relay could not publish it). */
const fromJobsOutbox = (e: OutboxEvent) => ({
  outbox: 'jobs' as const,
  event_id: e._id,
  event_type: e.event_type,
  aggregate_type: e.aggregate_type,
  aggregate_id: e.aggregate_id,
  attempts: e.attempts,
  last_error: e.last_error ?? '',
  created_at: e.created_at.toISOString(),
  dead_at: (e.dead_at ?? e.created_at).toISOString(),
  payload: e.payload,
});

/** A dead result of the results outbox (the publisher could not write the detections). */
const fromResultsOutbox = (r: RunnerRecord) => ({
  outbox: 'results' as const,
  event_id: r._id,
  event_type: 'result.ready',
  aggregate_type: 'job',
  aggregate_id: r._id,
  attempts: r.publish_attempts ?? 0,
  last_error: r.publish_error ?? r.error ?? '',
  created_at: r.created_at.toISOString(),
  dead_at: (r.dead_at ?? r.updated_at).toISOString(),
});

/** Dead letters of both outboxes: list, replay, discard (admin only). */
export const deadLetterRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const preHandler = adminGuard(deps.adminKey);

  app.get(
    '/api/admin/dead_letters',
    {
      preHandler,
      schema: {
        description: 'Outbox items that failed past their attempts, oldest first (admin).',
        querystring: DeadLetterQuery,
        response: { 200: DeadLetterList, ...errors },
      },
    },
    async (req) => {
      const { outbox, limit = 100 } = req.query;
      const items = [
        ...(outbox !== 'results' ? (await deps.outbox.listDead(limit)).map(fromJobsOutbox) : []),
        ...(outbox !== 'jobs' ? (await deps.runs.listDead(limit)).map(fromResultsOutbox) : []),
      ]
        .sort((a, b) => a.dead_at.localeCompare(b.dead_at))
        .slice(0, limit);
      return { dead_letters: items, total: items.length };
    },
  );

  app.post(
    '/api/admin/dead_letters/:outbox/:event_id/replay',
    {
      preHandler,
      schema: {
        description: 'Deliver a dead letter again: attempts start over (admin).',
        params: DeadLetterParams,
        response: { 200: DeadLetterAction, ...errors },
      },
    },
    async (req) => {
      const id = parseEventId(req.params.event_id);
      const now = new Date();
      const done = req.params.outbox === 'jobs' ? await deps.outbox.replay(id, now) : await deps.runs.replayDead(id, now);
      if (!done) throw new FramewiseError('ERR_DEAD_LETTER_NOT_FOUND', `${req.params.outbox}/${id}`);
      req.log.warn({ event_id: id, outbox: req.params.outbox }, 'dead letter replayed');
      deps.onAccepted?.();
      return { status: 'ok' as const, outbox: req.params.outbox, event_id: id, action: 'replayed' as const };
    },
  );

  app.delete(
    '/api/admin/dead_letters/:outbox/:event_id',
    {
      preHandler,
      schema: {
        description: 'Discard a dead letter: a jobs-outbox event is deleted (its job is forgotten); a result stays failed (admin).',
        params: DeadLetterParams,
        response: { 200: DeadLetterAction, ...errors },
      },
    },
    async (req) => {
      const id = parseEventId(req.params.event_id);
      const done = req.params.outbox === 'jobs' ? await deps.outbox.discard(id) : await deps.runs.discardDead(id);
      if (!done) throw new FramewiseError('ERR_DEAD_LETTER_NOT_FOUND', `${req.params.outbox}/${id}`);
      req.log.warn({ event_id: id, outbox: req.params.outbox }, 'dead letter discarded');
      return { status: 'ok' as const, outbox: req.params.outbox, event_id: id, action: 'discarded' as const };
    },
  );
};
