import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';

/**
 * The small HTTP server of a worker process (runner 8002, inference 8003): `GET /health` says the
 * process is alive; `GET /data` and `GET /api/data` show the stage's counters, when it has any.
 */
export function buildHealthApp(stage: string, log: Logger, data?: () => object) {
  const app = Fastify({
    loggerInstance: log.child({ component: 'health' }),
    // Probes come every few seconds: keep them out of the log.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.get('/health', async () => ({ status: 'ok', stage }));
  if (data) for (const url of ['/data', '/api/data']) app.get(url, async () => ({ stage, ...data() }));
  return app;
}
