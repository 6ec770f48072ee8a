import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type { NodeSDK } from '@opentelemetry/sdk-node';
import { parseTraceparent } from '../core/trace.js';
import { setJobTracer, type JobTracer } from './job-spans.js';

/**
 * Optional OpenTelemetry trace export, configured only by the standard `OTEL_*` variables.
 *
 * Started (`startTracing`, first thing in the CLI, before Fastify and `http` are loaded, so the
 * instrumentation patches them) when `OTEL_TRACES_EXPORTER` names an exporter or an OTLP endpoint is
 * set (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), unless
 * `OTEL_SDK_DISABLED=true`. Then: the Node SDK with its exporter, protocol, sampler and batching from
 * the environment; HTTP server and client spans (`@opentelemetry/instrumentation-http`), Fastify
 * request spans (`@fastify/otel`), and the job-stage spans of `job-spans.ts`. Traces only: metrics
 * stay Prometheus (`/metrics`) and logs pino JSON, unless `OTEL_METRICS_EXPORTER` /
 * `OTEL_LOGS_EXPORTER` ask the SDK for them explicitly.
 *
 * Otherwise nothing of OpenTelemetry is loaded: the SDK is `require`d only here, only when wanted
 * (CommonJS, synchronously, so it is in place before the next import runs).
 */

/** Probes and scrapes: no span for them (they would drown the traces that matter). */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics', '/api/health', '/api/ready', '/api', '/api/']);

/** Whether the environment asks for trace export. */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (exporters.length > 0) return exporters[0] !== 'none';
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

let sdk: NodeSDK | undefined;

/**
 * Starts trace export if the environment asks for it; returns whether it did. `serviceName` is the
 * default `service.name` (`OTEL_SERVICE_NAME` wins). Idempotent.
 */
export function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk) return true;
  if (!tracingWanted(env)) return false;
  const require = createRequire(import.meta.url);
  const api = require('@opentelemetry/api') as typeof OtelApi;
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { FastifyOtelInstrumentation } = require('@fastify/otel') as typeof import('@fastify/otel');
  const path = (url: string | undefined) => (url ?? '').split('?')[0] ?? '';
  sdk = new NodeSDK({
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName }),
    // An empty list, not undefined: the SDK would otherwise default both to OTLP.
    ...(env.OTEL_METRICS_EXPORTER ? {} : { metricReaders: [] }),
    ...(env.OTEL_LOGS_EXPORTER ? {} : { logRecordProcessors: [] }),
    instrumentations: [
      new HttpInstrumentation({ ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(path(req.url)) }),
      new FastifyOtelInstrumentation({ registerOnInitialization: true, ignorePaths: ({ url }) => UNTRACED_PATHS.has(url) }),
    ],
  });
  sdk.start();
  // `src/observability` and `dist/observability` are both two levels below the package root.
  setJobTracer(otelJobTracer(api, (require('../../package.json') as { version: string }).version));
  return true;
}

/** Flushes the spans not yet exported and stops the SDK (at shutdown); nothing when not started. */
export async function stopTracing(): Promise<void> {
  const s = sdk;
  sdk = undefined;
  setJobTracer(undefined);
  await s?.shutdown();
}

/** The job-stage tracer on OpenTelemetry's API. */
function otelJobTracer(api: typeof OtelApi, version: string): JobTracer {
  const tracer = api.trace.getTracer('framewise', version);
  /** A context whose (remote) parent is `traceparent`; the root context (a new trace) when there is none. */
  const parentContext = (traceparent: string | undefined) => {
    const tp = parseTraceparent(traceparent);
    if (!tp) return api.ROOT_CONTEXT;
    const [, traceId, spanId, flags] = tp.split('-') as [string, string, string, string];
    return api.trace.setSpanContext(api.ROOT_CONTEXT, { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true });
  };
  return {
    run(name, parent, attributes, work) {
      const attrs = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as OtelApi.Attributes;
      // The explicit parent, never whatever context happens to be active: in embedded mode a stage
      // may run in the async context of the request that woke it, which is another trace.
      return tracer.startActiveSpan(name, { kind: api.SpanKind.CONSUMER, attributes: attrs }, parentContext(parent), async (span) => {
        try {
          return await work();
        } catch (err) {
          span.recordException(err instanceof Error ? err : String(err));
          span.setStatus({ code: api.SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
          throw err;
        } finally {
          span.end();
        }
      });
    },
    active() {
      const sc = api.trace.getSpanContext(api.context.active());
      if (!sc || !api.isSpanContextValid(sc)) return undefined;
      return `00-${sc.traceId}-${sc.spanId}-${(sc.traceFlags & api.TraceFlags.SAMPLED) === 1 ? '01' : '00'}`;
    },
  };
}
