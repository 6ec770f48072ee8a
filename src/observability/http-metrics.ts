import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

/** The `route` label of requests no route matched (404s, probes of random URLs): one series for all. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * Records every answered request in `framewise_http_request_duration_seconds` and
 * `framewise_http_requests_total` (`onResponse`: the response was sent, so the duration includes
 * streaming a result or an upload's body). Labels are the method, the route *pattern* and the
 * status: a raw URL would make a series per job id and grow without bound.
 */
export function recordHttpMetrics(app: FastifyInstance<any, any, any, any, any>, metrics: Metrics): void {
  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? UNMATCHED_ROUTE, status_code: String(reply.statusCode) };
    metrics.httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
    metrics.httpRequests.inc(labels);
  });
}
