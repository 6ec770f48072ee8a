import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { ErrorBody, EventIdParams, JobStatusBody } from '../schemas.js';
import { parseEventId } from '../../../core/ids.js';
import { isFinal } from '../../../core/job.js';
import { findJob, statusOf } from '../job-view.js';
import { principalOf } from '../auth.js';

/** How often a stream looks at its job; an event goes only when what a client sees changed. */
const DEFAULT_POLL_MS = 500;

/**
 * `GET /api/status/{id}/events`: the job's status as Server-Sent Events. The first event is the
 * status now; then one whenever stage, status or frames done change (the ETA and times alone do
 * not make an event); the stream ends after the final status (`ready` or `failed`). A client that
 * reconnects simply gets the current status first, so nothing needs replaying.
 */
export const statusEventRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const pollMs = deps.statusPollMs ?? DEFAULT_POLL_MS;

  app.get(
    '/api/status/:event_id/events',
    {
      sse: { kind: 'only', heartbeat: true },
      schema: {
        description:
          'Live progress as Server-Sent Events (`text/event-stream`): events named `status`, each carrying what GET /api/status/{id} answers; ' +
          'sent on every change of status, stage or frames done; the stream closes after `ready` or `failed`.',
        params: EventIdParams,
        produces: ['text/event-stream'],
        response: { 200: JobStatusBody, 400: ErrorBody, 404: ErrorBody, 406: ErrorBody, 500: ErrorBody },
      },
    },
    async (req, reply) => {
      const id = parseEventId(req.params.event_id);
      const principal = principalOf(req);
      // Unknown jobs (and other keys' jobs) get the JSON 404 before the stream opens.
      let job = await findJob(deps.outboxEvents, deps.jobRecords, id, principal);
      let closed = false;
      reply.sse.onClose(() => {
        closed = true;
      });
      let last = '';
      for (;;) {
        const status = statusOf(job);
        const seen = `${status.status}/${status.stage}/${status.frames_done}/${status.frames_total}`;
        if (seen !== last) {
          last = seen;
          await reply.sse.send({ id: seen, event: 'status', data: status });
        }
        if (isFinal(job.status) || closed || !reply.sse.isConnected) break;
        await new Promise((r) => setTimeout(r, pollMs));
        if (closed) break;
        job = await findJob(deps.outboxEvents, deps.jobRecords, id, principal);
      }
    },
  );
};
