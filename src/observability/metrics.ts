import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DispatchObserver } from '../core/outbox-dispatcher.js';
import type { OutboxEvent, RunnerRecord } from '../core/job.js';

/** A gauge's current values, read when Prometheus scrapes (backlogs, consumer lag). */
export type Sample = { labels: Record<string, string>; value: number };
type Collector = () => Promise<Sample[]>;

/**
 * The process's Prometheus metrics (`GET /metrics`, prom-client). One instance per process; stages
 * record into the parts they own, and gauges that reflect stored state (outbox backlog, consumer
 * lag) are read from their source at scrape time by collectors the composition root adds.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly backlogSources: Collector[] = [];
  private readonly lagSources: Collector[] = [];

  readonly outboxBacklog: Gauge<'outbox' | 'status'>;
  readonly outboxPublishLatency: Histogram<'outbox'>;
  readonly outboxRetries: Counter<'outbox'>;
  readonly outboxDeadLetters: Counter<'outbox'>;
  readonly consumerDeadLetters: Counter<'topic'>;
  readonly consumerLag: Gauge<'topic' | 'group'>;
  readonly jobsSubmitted: Counter;
  readonly framesExtracted: Counter;
  readonly framesDetected: Counter;
  readonly inferenceLatency: Histogram;
  readonly jobDuration: Histogram<'status'>;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly httpRequests: Counter<'method' | 'route' | 'status_code'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'framewise_' });
    const registers = [this.registry];
    const gather = (sources: Collector[]) => async (gauge: Gauge<string>) => {
      gauge.reset();
      for (const source of sources) for (const s of await source()) gauge.set(s.labels, s.value);
    };
    const backlog = gather(this.backlogSources);
    const lag = gather(this.lagSources);
    this.outboxBacklog = new Gauge({
      name: 'framewise_outbox_backlog',
      help: 'Items in each outbox by status (jobs: new/sent/dead events; results: predictable jobs and dead letters)',
      labelNames: ['outbox', 'status'],
      registers,
      async collect() {
        await backlog(this);
      },
    });
    this.outboxPublishLatency = new Histogram({
      name: 'framewise_outbox_publish_latency_seconds',
      help: 'From an outbox item becoming due (inserted / predictable) to its delivery',
      labelNames: ['outbox'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.outboxRetries = new Counter({
      name: 'framewise_outbox_retries_total',
      help: 'Failed outbox deliveries scheduled for a retry',
      labelNames: ['outbox'],
      registers,
    });
    this.outboxDeadLetters = new Counter({
      name: 'framewise_outbox_dead_letters_total',
      help: 'Outbox items dead-lettered after their last attempt',
      labelNames: ['outbox'],
      registers,
    });
    this.consumerDeadLetters = new Counter({
      name: 'framewise_consumer_dead_letters_total',
      help: 'Bus messages moved to dead_letters',
      labelNames: ['topic'],
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'framewise_consumer_lag',
      help: 'Messages not yet committed by a consumer group, per topic',
      labelNames: ['topic', 'group'],
      registers,
      async collect() {
        await lag(this);
      },
    });
    this.jobsSubmitted = new Counter({ name: 'framewise_jobs_submitted_total', help: 'Jobs accepted by the API', registers });
    this.framesExtracted = new Counter({
      name: 'framewise_frames_extracted_total',
      help: 'Sampled frames published to inference_tasks (rate() = frames/s)',
      registers,
    });
    this.framesDetected = new Counter({ name: 'framewise_frames_detected_total', help: 'Frames run through the detector (rate() = frames/s)', registers });
    this.inferenceLatency = new Histogram({
      name: 'framewise_inference_latency_seconds',
      help: 'Detector latency per frame',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'framewise_job_duration_seconds',
      help: 'From upload to the final status',
      labelNames: ['status'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200],
      registers,
    });
    // `route` is the route's pattern (`/api/result_video/:event_id`), never the URL: one series per
    // route, however many job ids are asked for (see `recordHttpMetrics`).
    const http = ['method', 'route', 'status_code'] as const;
    this.httpRequestDuration = new Histogram({
      name: 'framewise_http_request_duration_seconds',
      help: 'HTTP API requests: time from receiving the request to sending the whole response, by route pattern',
      labelNames: http,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.httpRequests = new Counter({
      name: 'framewise_http_requests_total',
      help: 'HTTP API requests answered, by route pattern',
      labelNames: http,
      registers,
    });
  }

  /** Adds a source of `framewise_outbox_backlog` values. */
  addBacklogSource(source: Collector): void {
    this.backlogSources.push(source);
  }

  /** Adds a source of `framewise_consumer_lag` values. */
  addLagSource(source: Collector): void {
    this.lagSources.push(source);
  }

  /** Counts the jobs outbox's deliveries (the relay). */
  jobsOutboxObserver(): DispatchObserver<OutboxEvent> {
    return {
      delivered: (events, at) => {
        for (const e of events) this.outboxPublishLatency.observe({ outbox: 'jobs' }, (at.getTime() - e.next_attempt_at.getTime()) / 1000);
      },
      retried: () => this.outboxRetries.inc({ outbox: 'jobs' }),
      buried: () => this.outboxDeadLetters.inc({ outbox: 'jobs' }),
    };
  }

  /** Counts the results outbox's deliveries (the result publisher) and finished jobs' durations. */
  resultsOutboxObserver(): DispatchObserver<RunnerRecord> {
    return {
      delivered: (jobs, at) => {
        for (const j of jobs) {
          this.outboxPublishLatency.observe({ outbox: 'results' }, (at.getTime() - (j.publish_next_at ?? j.updated_at).getTime()) / 1000);
          this.jobDuration.observe({ status: 'ready' }, (at.getTime() - j.created_at.getTime()) / 1000);
        }
      },
      retried: () => this.outboxRetries.inc({ outbox: 'results' }),
      buried: () => this.outboxDeadLetters.inc({ outbox: 'results' }),
    };
  }
}
