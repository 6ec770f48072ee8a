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
        description:
          'Upload a video, get a job id, read per-frame object detections. Errors are `{"error":{"code","message"}}` with the codes of docs/reference/errors.md.',
      },
      // Operations name it (`security`) when the server has keys (see `auth.ts`).
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (FRAMEWISE_API_KEYS, FRAMEWISE_ADMIN_KEY); admin routes need one of role admin' },
        },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
