import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { CleanupBody, ErrorBody } from '../schemas.js';
import { adminOnly } from '../admin-guard.js';

export const adminRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.delete(
    '/api/cleanup/all',
    {
      preHandler: adminOnly,
      schema: {
        description: 'Delete every job, event, result and stored object (admin).',
        response: { 200: CleanupBody, 401: ErrorBody, 403: ErrorBody, 500: ErrorBody },
      },
    },
    async (req) => {
      const events = await deps.outboxEvents.list();
      await deps.outboxEvents.deleteAll();
      await deps.jobRecords.deleteAll();
      await deps.objects.deletePrefix('input/');
      await deps.objects.deletePrefix('detection/');
      req.log.warn({ deleted_jobs: events.length }, 'all jobs deleted');
      return { status: 'ok' as const, deleted_jobs: events.length };
    },
  );
};
