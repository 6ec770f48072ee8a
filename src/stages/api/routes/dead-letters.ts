import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import type { ApiDeps } from '../deps.js';
import { DeadLetterAction, DeadLetterList, DeadLetterParams, DeadLetterQuery, ErrorBody, type OutboxName as OutboxNameSchema } from '../schemas.js';
import { parseEventId } from '../../../core/ids.js';
import { FramewiseError } from '../../../core/errors.js';
import type { OutboxEvent, RunnerRecord } from '../../../core/job.js';
import { deliveryId, webhookEvent, type Notification } from '../../../core/notification.js';
import { adminOnly } from '../admin-guard.js';

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

/** A dead webhook notification (its receiver did not accept it). */
const fromWebhooks = (n: Notification) => ({
  outbox: 'webhooks' as const,
  event_id: n.event_id,
  event_type: webhookEvent(n),
  aggregate_type: 'job',
  aggregate_id: n.event_id,
  attempts: n.attempts,
  last_error: n.last_error ?? '',
  created_at: n.occurred_at.toISOString(),
  dead_at: (n.dead_at ?? n.occurred_at).toISOString(),
  webhook_url: n.webhook_url,
  delivery_id: deliveryId(n),
});

/** Dead letters of the three outboxes: list, replay, discard (admin only). */
export const deadLetterRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const preHandler = adminOnly;

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
        ...(outbox === undefined || outbox === 'jobs' ? (await deps.jobsDeadLetters.listDead(limit)).map(fromJobsOutbox) : []),
        ...(outbox === undefined || outbox === 'results' ? (await deps.resultsDeadLetters.listDead(limit)).map(fromResultsOutbox) : []),
        ...(outbox === undefined || outbox === 'webhooks' ? (await deps.notificationsDeadLetters.listDeadNotifications(limit)).map(fromWebhooks) : []),
      ]
        .sort((a, b) => a.dead_at.localeCompare(b.dead_at))
        .slice(0, limit);
      return { dead_letters: items, total: items.length };
    },
  );

  /** The route answering `action` on one dead letter (its outbox and event id in the path). */
  const actOn = (action: DeadLetterActionName) => async (req: { params: { outbox: OutboxName; event_id: string }; log: FastifyBaseLogger }) => {
    const id = parseEventId(req.params.event_id);
    const { outbox } = req.params;
    if (!(await ACTIONS[action][outbox](deps, id, new Date()))) throw new FramewiseError('ERR_DEAD_LETTER_NOT_FOUND', `${outbox}/${id}`);
    req.log.warn({ event_id: id, outbox }, `dead letter ${action}`);
    if (action === 'replayed') deps.onAccepted?.();
    return { status: 'ok' as const, outbox, event_id: id, action };
  };

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
    actOn('replayed'),
  );

  app.delete(
    '/api/admin/dead_letters/:outbox/:event_id',
    {
      preHandler,
      schema: {
        description:
          'Discard a dead letter: a jobs-outbox event is deleted (its job is forgotten); a result stays failed; a webhook notification is not sent (admin).',
        params: DeadLetterParams,
        response: { 200: DeadLetterAction, ...errors },
      },
    },
    actOn('discarded'),
  );
};

/** The outboxes whose dead letters these routes list, replay and discard (the schema's names). */
type OutboxName = Static<typeof OutboxNameSchema>;
type DeadLetterActionName = 'replayed' | 'discarded';

/** What replaying or discarding a dead letter does in each outbox; false: no such dead letter. */
const ACTIONS: Record<DeadLetterActionName, Record<OutboxName, (deps: ApiDeps, id: string, now: Date) => Promise<boolean>>> = {
  replayed: {
    jobs: async (deps, id, now) => (await forgetUndispatched(deps, id)) && (await deps.jobsDeadLetters.replay(id, now)),
    results: (deps, id, now) => deps.resultsDeadLetters.replayDead(id, now),
    webhooks: (deps, id, now) => deps.notificationsDeadLetters.replayNotification(id, now),
  },
  discarded: {
    jobs: async (deps, id) => (await forgetUndispatched(deps, id)) && (await deps.jobsDeadLetters.discard(id)),
    results: (deps, id) => deps.resultsDeadLetters.discardDead(id),
    webhooks: (deps, id) => deps.notificationsDeadLetters.discardNotification(id),
  },
};

/**
 * Before an operator replays or discards a dead jobs-outbox event: deletes the `failed` record the
 * notifier made for it (`failUndispatched`), which would otherwise keep the job failed — the runner
 * skips jobs that have ended. First: a crash in between then leaves the event dead (the job still
 * reads failed, the operator's call failed and is repeated), never a replayed job stuck on a failed
 * record. Returns whether the event is dead.
 */
async function forgetUndispatched(deps: Pick<ApiDeps, 'outboxEvents' | 'undispatchedJobs'>, id: string): Promise<boolean> {
  if ((await deps.outboxEvents.get(id))?.status !== 'dead') return false;
  await deps.undispatchedJobs.forgetUndispatched(id);
  return true;
}
