import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { ErrorBody, Health } from '../schemas.js';
import { checkReadiness, type ReadyChecks } from '../../../observability/readiness.js';

/** `/ready`'s answer, 200 and 503 alike. */
export const Ready = Type.Object(
  {
    status: Type.Union([Type.Literal('ready'), Type.Literal('not_ready')]),
    checks: Type.Record(Type.String(), Type.String(), { description: 'Per dependency: `ok`, or why it is not reachable (error, or no answer within 2 s)' }),
  },
  { description: 'Whether the dependencies answer now' },
);

/**
 * `/health` (also `/api`, `/api/`, `/api/health`): the process answers — a liveness probe, which
 * touches no dependency, so an outage never gets a healthy process restarted. `/ready` and
 * `/api/ready`: every dependency answers too (`readyChecks`, from the composition root) — a
 * readiness probe: 503 while one does not, naming it.
 */
export const healthRoutes: FastifyPluginAsync<{ readyChecks?: ReadyChecks }> = async (fastify, opts) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  for (const url of ['/health', '/api', '/api/', '/api/health']) {
    app.get(url, { schema: { description: 'Liveness: the process answers.', response: { 200: Health, 500: ErrorBody } } }, async () => ({
      status: 'ok' as const,
      service: 'framewise',
    }));
  }
  const checks = opts.readyChecks ?? {};
  for (const url of ['/ready', '/api/ready']) {
    app.get(
      url,
      {
        schema: {
          description: 'Readiness: every dependency of this process answers (database, bus, object store, detector), each within 2 s.',
          response: { 200: Ready, 503: Ready, 500: ErrorBody },
        },
      },
      async (_req, reply) => {
        const readiness = await checkReadiness(checks);
        return reply.status(readiness.status === 'ready' ? 200 : 503).send(readiness);
      },
    );
  }
};
