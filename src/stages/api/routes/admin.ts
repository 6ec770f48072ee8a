import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ApiDeps } from '../deps.js';
import { CleanupBody, ErrorBody } from '../schemas.js';
import { adminOnly } from '../admin-guard.js';
import type { ObjectStore } from '../../../ports/object-store.js';
import { detectionKey, inputKey } from '../../../core/ids.js';

export const adminRoutes: FastifyPluginAsync<ApiDeps> = async (fastify, deps) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.delete(
    '/api/cleanup/all',
    {
      preHandler: adminOnly,
      schema: {
        description:
          'Delete every job created before now, with its events, results and stored objects (admin); messages of removed jobs still in flight are dropped.',
        response: { 200: CleanupBody, 401: ErrorBody, 403: ErrorBody, 500: ErrorBody },
      },
    },
    async (req) => {
      // Everything created up to now goes; jobs created after it are untouched. The runner
      // database's cutoff is set first, so no message of a removed job still on the bus can bring
      // it back (JobRecords.clearBefore).
      const cutoff = new Date();
      const records = await deps.jobRecords.clearBefore(cutoff);
      const events = await deps.outboxEvents.clearBefore(cutoff);
      const removed = [...new Set([...events, ...records])];
      await deleteObjectsOf(deps.objects, removed);
      req.log.warn({ deleted_jobs: removed.length, cutoff }, 'all jobs deleted');
      return { status: 'ok' as const, deleted_jobs: removed.length };
    },
  );
};

/** The stored objects of the removed jobs (their uploads, results and what lies beside them), a few at a time. */
async function deleteObjectsOf(objects: ObjectStore, jobIds: readonly string[]): Promise<void> {
  const prefixes = jobIds.flatMap((id) => [inputKey(id, ''), detectionKey(id).replace(/json$/, '')]);
  let next = 0;
  const worker = async () => {
    while (next < prefixes.length) await objects.deletePrefix(prefixes[next++]!);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}
