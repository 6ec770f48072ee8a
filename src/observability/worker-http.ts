import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Metrics } from './metrics.js';
import { checkReadiness, type ReadyChecks } from './readiness.js';
import { mayReadMetrics, metricsRefusal } from './metrics-access.js';

/**
 * The small HTTP server of a worker process (runner 8002, inference 8003, relay 8004, publisher
 * 8005): `GET /health` says the process is alive (it touches no dependency); `GET /ready` says its
 * dependencies answer too (`readyChecks`: 200 `{"status":"ready","checks":{…}}`, else 503
 * `{"status":"not_ready",…}` naming the failing one); `GET /metrics` is Prometheus (with `metricsKey`, for its bearer only); `GET /data`
 * and `GET /api/data` show the stage's counters, when it has any.
 */
export function buildHealthApp(
  stage: string,
  log: Logger,
  metrics: Metrics,
  opts: { data?: () => object; readyChecks?: ReadyChecks; metricsKey?: string } = {},
) {
  const { data, readyChecks = {}, metricsKey } = opts;
  const app = Fastify({
    loggerInstance: log.child({ component: 'health' }),
    // Probes come every few seconds: keep them out of the log.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/health', async () => ({ status: 'ok', stage }));
  app.get('/ready', async (_req, reply) => {
    const readiness = await checkReadiness(readyChecks);
    return reply.status(readiness.status === 'ready' ? 200 : 503).send({ ...readiness, stage });
  });
  app.get('/metrics', async (req, reply) => {
    if (!mayReadMetrics(metricsKey, req.headers.authorization)) {
      const [status, body] = metricsRefusal(req.headers.authorization);
      return reply.status(status).header('www-authenticate', 'Bearer realm="framewise-metrics"').send(body);
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (data) for (const url of ['/data', '/api/data']) app.get(url, async () => ({ stage, ...data() }));
  return app;
}
