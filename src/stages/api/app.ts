import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { fastifySSE } from '@fastify/sse';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import { FramewiseError, toErrorBody } from '../../core/errors.js';
import { toFramewiseError } from './error-mapping.js';
import { healthRoutes } from './routes/health.js';
import { uploadRoutes } from './routes/upload.js';
import { resultRoutes } from './routes/results.js';
import { statusEventRoutes } from './routes/status-events.js';
import { videoRoutes } from './routes/videos.js';
import { adminRoutes } from './routes/admin.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { sessionRoutes } from './routes/session.js';
import { registerAuth, resolveAuth } from './auth.js';
import { recordHttpMetrics } from '../../observability/http-metrics.js';
import { traceLoggerFactory } from '../../observability/request-trace.js';
import { registerOpenApi } from './openapi.js';
import { mayReadMetrics, metricsRefusal } from '../../observability/metrics-access.js';
import type { ApiDeps } from './deps.js';

export type { ApiDeps } from './deps.js';
import { registerWebPage } from './web-page.js';
import { AJV_OPTIONS, declareNoQuery, schemaErrorFormatter } from './strict-requests.js';
import { registerRateLimits } from './rate-limit.js';

/** This package's version (`src/stages/api` and `dist/stages/api` are both three levels below the package root). */
const VERSION = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

export type Api = FastifyInstance<any, any, any, Logger, TypeBoxTypeProvider>;

/** Builds the HTTP API without listening, so tests drive it with `inject`. */
export async function buildApi(deps: ApiDeps): Promise<Api> {
  // Every request's log lines carry its trace id (`traceLoggerFactory`).
  // Strict requests (`strict-requests.ts`): undeclared query parameters and body fields are a 400, not dropped.
  const app = Fastify({
    loggerInstance: deps.log,
    bodyLimit: 1024 * 1024,
    childLoggerFactory: traceLoggerFactory,
    disableRequestLogging: true,
    ajv: { customOptions: AJV_OPTIONS },
    schemaErrorFormatter,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.addHook('onRoute', declareNoQuery);
  // One line per request, when it is answered (Fastify's default is two: arrival and answer).
  // Measured under load: request logging was the largest cost of a status read after SQLite.
  app.addHook('onResponse', async (req, reply) => {
    req.log.info({ req, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  });
  // Heartbeat comments keep idle event streams open through proxies.
  await app.register(fastifySSE, { heartbeatInterval: 15_000 });
  await app.register(multipart, { limits: { fileSize: deps.maxUploadBytes, files: 1, fields: 20, parts: 25 } });

  app.setErrorHandler((err, req, reply) => {
    const mapped = toFramewiseError(err);
    if (mapped.status >= 500) req.log.error({ err }, 'request failed');
    else req.log.info({ code: mapped.code, msg: mapped.message }, 'request refused');
    return reply.status(mapped.status).send(toErrorBody(mapped));
  });
  app.setNotFoundHandler((req, reply) => {
    const err = new FramewiseError('ERR_ROUTE_NOT_FOUND', `${req.method} ${req.url.split('?')[0]}`);
    return reply.status(err.status).send(toErrorBody(err));
  });

  const access = resolveAuth(deps.auth, deps.adminKey);
  if (deps.rateLimits) await registerRateLimits(app, { isKnownKey: (token) => access.ring.find(token) !== undefined, ...deps.rateLimits });
  // After the rate limits (wrong keys are limited too), before the routes and their description.
  await registerAuth(app, access.ring, access.session);
  // Before the routes: the hook must apply to every one of them.
  if (deps.metrics) recordHttpMetrics(app, deps.metrics);
  await registerOpenApi(app, VERSION);
  await app.register(healthRoutes, deps);
  await app.register(uploadRoutes, deps);
  await app.register(resultRoutes, deps);
  await app.register(statusEventRoutes, deps);
  await app.register(videoRoutes, deps);
  await app.register(adminRoutes, deps);
  await app.register(deadLetterRoutes, deps);
  await app.register(sessionRoutes, access);
  await registerWebPage(app);
  const metrics = deps.metrics;
  if (metrics) {
    app.get(
      '/metrics',
      {
        schema: {
          description: 'Prometheus metrics (text exposition format); with FRAMEWISE_METRICS_KEY set, only for `Authorization: Bearer <that key>`.',
          produces: ['text/plain'],
        },
      },
      async (req, reply) => {
        if (!mayReadMetrics(deps.metricsKey, req.headers.authorization)) {
          const [status, body] = metricsRefusal(req.headers.authorization);
          return reply.status(status).header('www-authenticate', 'Bearer realm="framewise-metrics"').send(body);
        }
        return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
      },
    );
  }
  return app as unknown as Api;
}
