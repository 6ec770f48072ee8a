import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ErrorBody, Health } from '../schemas.js';

export const healthRoutes: FastifyPluginAsync = async (fastify) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  for (const url of ['/api', '/api/', '/api/health']) {
    app.get(url, { schema: { response: { 200: Health, 500: ErrorBody } } }, async () => ({ status: 'ok' as const, service: 'framewise' }));
  }
};
