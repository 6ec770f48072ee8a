/** What the HTTP API is built from (`buildApi`): its stores, limits and settings; every route reads it. */
import type { Logger } from 'pino';
import type { JobsOutbox } from '../../ports/jobs-outbox.js';
import type { JobsDeadLetters } from '../../ports/jobs-dead-letters.js';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { JobRecords } from '../../ports/job-records.js';
import type { ResultsDeadLetters } from '../../ports/results-dead-letters.js';
import type { NotificationsDeadLetters } from '../../ports/notifications-dead-letters.js';
import type { UndispatchedJobs } from '../../ports/undispatched-jobs.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { ApiAuth } from './auth.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ReadyChecks } from '../../observability/readiness.js';
import type { RateLimits } from './rate-limit.js';
import type { VideoInfo } from '../../ports/frame-source.js';
import type { VideoLimits } from '../../core/video-limits.js';
import type { ModelDefaults } from '../../core/model-defaults.js';

export interface ApiDeps {
  /** Where uploads and requests record their job (`insert`, and `findByIdempotencyKey` for a retry). */
  jobsOutbox: Pick<JobsOutbox, 'insert' | 'findByIdempotencyKey'>;
  outboxEvents: OutboxEvents;
  jobRecords: JobRecords;
  /** The three outboxes' dead letters, for the admin routes. */
  jobsDeadLetters: Pick<JobsDeadLetters, 'listDead' | 'replay' | 'discard'>;
  resultsDeadLetters: Pick<ResultsDeadLetters, 'listDead' | 'replayDead' | 'discardDead'>;
  notificationsDeadLetters: Pick<NotificationsDeadLetters, 'listDeadNotifications' | 'replayNotification' | 'discardNotification'>;
  /** A replayed or discarded dead jobs-outbox event first withdraws its undispatched job's record. */
  undispatchedJobs: Pick<UndispatchedJobs, 'forgetUndispatched'>;
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
  /** The bearer key `GET /metrics` needs (`FRAMEWISE_METRICS_KEY`); unset: open. */
  metricsKey?: string;
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
