import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * OpenAPI 3 from the same schemas that validate requests (@fastify/swagger collects every route
 * registered after it): the document at `GET /openapi.json`, interactive docs at `/docs` (Swagger
 * UI, served from the installed package — no CDN). Register before any route.
 */
/** Any server, logger and type provider: only routes are added. */
export async function registerOpenApi(app: FastifyInstance<any, any, any, any, any>, version: string): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Framewise API',
        version,
        description: 'Upload a video, get a job id, read per-frame object detections. Errors are `{"error":{"code","message"}}` with the codes of the README.',
      },
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'FRAMEWISE_ADMIN_KEY (admin routes)' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
