import { createRequire } from 'node:module';
import Fastify, { type FastifyInstance } from 'fastify';
import multipart from '@fastify/multipart';
import { fastifySSE } from '@fastify/sse';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { OutboxStore } from '../../ports/outbox-store.js';
import type { RunnerStore } from '../../ports/runner-store.js';
import type { ObjectStore } from '../../ports/object-store.js';
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
import { registerAuth, resolveAuth, type ApiAuth } from './auth.js';
import type { Metrics } from '../../observability/metrics.js';
import { recordHttpMetrics } from '../../observability/http-metrics.js';
import { traceLoggerFactory } from '../../observability/request-trace.js';
import type { ReadyChecks } from '../../observability/readiness.js';
import { registerOpenApi } from './openapi.js';
import { registerWebPage } from './web-page.js';
import { AJV_OPTIONS, declareNoQuery, schemaErrorFormatter } from './strict-requests.js';
import { registerRateLimits, type RateLimits } from './rate-limit.js';
import type { VideoInfo } from '../../ports/frame-source.js';
import type { VideoLimits } from '../../core/video-limits.js';
import type { ModelDefaults } from '../../core/model-defaults.js';

/** This package's version (`src/stages/api` and `dist/stages/api` are both three levels below the package root). */
const VERSION = (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;

export interface ApiDeps {
  outbox: OutboxStore;
  runs: RunnerStore;
  objects: ObjectStore;
  log: Logger;
  maxUploadBytes: number;
  /** Reads a video file's size, duration and frame count (ffprobe); with `videoLimits`, a video over a limit is refused (422) at upload and request. */
  probe?: (path: string) => Promise<VideoInfo>;
  videoLimits?: VideoLimits;
  /** Requests per minute per API key (else client IP); absent: no limits. */
  rateLimits?: RateLimits;
  /** Called after a job is accepted (embedded mode wakes the relay). */
  onAccepted?: () => void;
  metrics?: Metrics;
  /** What `/ready` checks: this process's dependencies (see `observability/readiness.ts`). */
  readyChecks?: ReadyChecks;
  /** An admin key (id `admin`), besides `auth.keys`. */
  adminKey?: string;
  /** API keys and the web page's sessions (see `auth.ts`); no key at all: authentication is off. */
  auth?: ApiAuth;
  /** Buckets `/api/request` may name (default: the object store's). */
  requestBuckets?: readonly string[];
  /** Unfinished jobs one API key may have (0 or unset: no limit; none while authentication is off). */
  maxActiveJobsPerKey?: number;
  /** Accept webhook URLs naming non-public addresses (`FRAMEWISE_WEBHOOK_ALLOW_PRIVATE`). */
  webhookAllowPrivate?: boolean;
  /** Bytes of published results held in memory (`result-cache.ts`; default 64 MiB, 0: none). */
  resultCacheBytes?: number;
  /** How often an event stream (`/api/status/{id}/events`) looks at its job, ms (default 500). */
  statusPollMs?: number;
  /**
   * The models a job may choose (`model` at upload), the one it gets otherwise, the classes of
   * those whose classes the server knows, and each one's detection defaults (`GET /api/models`).
   */
  models: { names: readonly string[]; defaultModel: string; classes?: Readonly<Record<string, readonly string[]>>; defaults: (model: string) => ModelDefaults };
}

export type Api = FastifyInstance<any, any, any, Logger, TypeBoxTypeProvider>;

/** Builds the HTTP API without listening, so tests drive it with `inject`. */
export async function buildApi(deps: ApiDeps): Promise<Api> {
  // Every request's log lines carry its trace id (`traceLoggerFactory`).
  // Strict requests (`strict-requests.ts`): undeclared query parameters and body fields are a 400, not dropped.
  const app = Fastify({ loggerInstance: deps.log, bodyLimit: 1024 * 1024, childLoggerFactory: traceLoggerFactory, disableRequestLogging: true, ajv: { customOptions: AJV_OPTIONS }, schemaErrorFormatter }).withTypeProvider<TypeBoxTypeProvider>();
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
  if (metrics) app.get('/metrics', { schema: { description: 'Prometheus metrics (text exposition format).', produces: ['text/plain'] } }, async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  return app as unknown as Api;
}
