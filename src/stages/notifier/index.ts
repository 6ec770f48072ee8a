import type { Logger } from 'pino';
import type { NotificationsOutbox } from '../../ports/notifications-outbox.js';
import type { NotificationsDeadLetters } from '../../ports/notifications-dead-letters.js';
import type { UndispatchedJobs } from '../../ports/undispatched-jobs.js';
import type { JobsDeadLetters } from '../../ports/jobs-dead-letters.js';
import type { OutboxEvents } from '../../ports/outbox-events.js';
import type { Notification } from '../../core/notification.js';
import type { RetryPolicy } from '../../core/retry-policy.js';
import type { DispatchObserver } from '../../core/outbox-dispatcher.js';
import { startPolling, type LoopTiming } from '../../core/poll-loop.js';
import { startRetentionSweep, type Retention } from '../../core/retention.js';
import { notifyRound } from './notify.js';
import { sweepUndispatched } from './undispatched.js';
import type { WebhookCallOptions } from './post-webhook.js';

export interface NotifierDeps {
  notificationsOutbox: NotificationsOutbox;
  /** Expired dead letters are purged. */
  notificationsDeadLetters: Pick<NotificationsDeadLetters, 'purgeDeadNotifications'>;
  /** Jobs whose event died in the jobs outbox (see `sweepUndispatched`), and that outbox's dead events and reads. */
  undispatchedJobs: UndispatchedJobs;
  jobsDeadLetters: Pick<JobsDeadLetters, 'listDead'>;
  outboxEvents: Pick<OutboxEvents, 'get'>;
  log: Logger;
  /** This notifier's name in its claims (each lane claims as `{owner}#{lane}`). */
  owner: string;
  /** The configured claim lease; a notification's lease is at least 3 call timeouts. */
  leaseMs: number;
  retry: RetryPolicy;
  webhook: WebhookCallOptions;
  /** Calls in flight at once (lanes, one notification each). */
  concurrency: number;
  /** How often dead jobs-outbox events are looked at (default 1 s). */
  undispatchedSweepMs?: number;
  observer?: DispatchObserver<Notification>;
}

/** Dead jobs-outbox events read per sweep (see `sweepUndispatched`). */
const DEAD_EVENTS_PER_SWEEP = 5000;

/**
 * The webhook notifier stage: delivers due notifications until stopped, turns jobs that died in
 * the jobs outbox into failed jobs to announce, and expires its dead letters.
 *
 * Calls run in `concurrency` lanes, each claiming one notification at a time, so a receiver that
 * is slow to answer holds up its own lane, never the others. The first lane polls at the outbox
 * pace and wakes the others when it finds work; idle, they poll at most once a second.
 */
export function startNotifier(deps: NotifierDeps, timing: LoopTiming, retention: Retention) {
  const { log } = deps;
  if (!deps.webhook.secret) log.warn('FRAMEWISE_WEBHOOK_SECRET is not set: webhook calls go out unsigned (no X-Framewise-Signature)');
  const leaseMs = Math.max(deps.leaseMs, 3 * deps.webhook.timeoutMs);
  const lane = (i: number) => () => notifyRound({ ...deps, owner: `${deps.owner}#${i}`, batchSize: 1, leaseMs });
  const onError = (err: unknown) => log.error({ err }, 'notifier round failed');
  const helpers = Array.from({ length: deps.concurrency - 1 }, (_, i) =>
    startPolling(lane(i + 1), { ...timing, maxIntervalMs: Math.max(timing.maxIntervalMs, 1000) }, onError),
  );
  const first = startPolling(
    async () => {
      const n = await lane(0)();
      if (n > 0) for (const h of helpers) h.poke();
      return n;
    },
    timing,
    onError,
  );
  let seen = new Set<string>();
  const every = deps.undispatchedSweepMs ?? 1000;
  const undispatched = startPolling(
    async () => {
      seen = await sweepUndispatched(
        { jobsDeadLetters: deps.jobsDeadLetters, outboxEvents: deps.outboxEvents, undispatchedJobs: deps.undispatchedJobs, log, limit: DEAD_EVENTS_PER_SWEEP },
        seen,
      );
      return 0;
    },
    { minIntervalMs: every, maxIntervalMs: every },
    (err) => log.warn({ err }, 'sweep of undispatched jobs failed'),
  );
  const expiry = startRetentionSweep(
    retention,
    async (_sentBefore, deadBefore) => {
      const n = await deps.notificationsDeadLetters.purgeDeadNotifications(deadBefore);
      if (n > 0) log.info({ dead: n }, 'expired webhook dead letters removed');
      return n;
    },
    (err) => log.warn({ err }, 'webhook dead-letter retention sweep failed'),
  );
  return {
    poke: first.poke,
    async stop() {
      await Promise.all([first.stop(), ...helpers.map((h) => h.stop()), undispatched.stop(), expiry.stop()]);
    },
  };
}
