import { traceIdOf } from '../core/trace.js';

/**
 * Spans for a job's stages (extract, detect, collect, publish), each a child of the job's
 * `traceparent` — the one that travels in the outbox and the bus headers — so one trace follows a
 * job from its upload across processes.
 *
 * Stages call `inJobSpan`; it does nothing but run the work unless OpenTelemetry was started
 * (`tracing.ts` installs the tracer then): nothing of OpenTelemetry is loaded otherwise, and this
 * module imports nothing of it.
 */
export interface JobTracer {
  /** Runs `work` in a span named `name` whose parent is `parent` (a `traceparent`; none: a new trace). */
  run<T>(name: string, parent: string | undefined, attributes: SpanAttributes, work: () => Promise<T>): Promise<T>;
  /** The active span as a `traceparent`, or undefined outside any span. */
  active(): string | undefined;
}

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

let tracer: JobTracer | undefined;

/** Installs the tracer (OpenTelemetry started), or removes it (undefined). */
export function setJobTracer(t: JobTracer | undefined): void {
  tracer = t;
}

/** Runs `work` in a job-stage span when tracing is on; otherwise just runs it. Errors pass through. */
export function inJobSpan<T>(name: string, parent: string | undefined, attributes: SpanAttributes, work: () => Promise<T>): Promise<T> {
  return tracer ? tracer.run(name, parent, attributes, work) : work();
}

/** The active span as a `traceparent` when tracing is on (e.g. the HTTP server span of a request). */
export function activeTraceparent(): string | undefined {
  return tracer?.active();
}

/**
 * The `traceparent` a stage puts on the messages it sends for a job: when tracing, its own span
 * (same trace id), so the next stage's span is that span's child; otherwise `otherwise`. Undefined
 * when the job has no trace (`received` undefined): a message never starts a trace of its own.
 */
export function traceparentToSend(received: string | undefined, otherwise: string | undefined = received): string | undefined {
  if (!received) return undefined;
  const active = tracer?.active();
  return active && traceIdOf(active) === traceIdOf(received) ? active : otherwise;
}
