import type { Logger } from 'pino';
import type { NotificationsOutbox } from '../../ports/notifications-outbox.js';
import { deliveryId, type Notification } from '../../core/notification.js';
import { traceIdOf } from '../../core/trace.js';
import { inJobSpan } from '../../observability/job-spans.js';
import type { RetryPolicy } from '../../core/retry-policy.js';
import { dispatchRound, type DispatchObserver } from '../../core/outbox-dispatcher.js';
import { postWebhook, type WebhookCallOptions } from './post-webhook.js';

export interface NotifyDeps {
  notificationsOutbox: NotificationsOutbox;
  log: Logger;
  /** Notifications claimed per round. */
  batchSize: number;
  /** This notifier's name in its claims. */
  owner: string;
  /** How long a claim lasts: longer than a round's calls can take, or another notifier re-sends them. */
  leaseMs: number;
  retry: RetryPolicy;
  webhook: WebhookCallOptions;
  observer?: DispatchObserver<Notification>;
}

/**
 * One notifier round (the third outbox, on the engine the relay and the result publisher use):
 * claim due notifications, POST each, then mark it delivered. POST-then-mark makes it
 * at-least-once: a crash (or a failed mark) between the two sends it again later with the same
 * delivery id, which receivers de-duplicate by. A failed call is counted and backed off; past its
 * attempts, or at once if the receiver answers 410 Gone, the notification is a dead letter.
 */
export function notifyRound(deps: NotifyDeps): Promise<number> {
  // Answered 410 in this round: already dead-lettered, so neither marked delivered nor counted so.
  const gone = new Set<Notification>();
  return dispatchRound<Notification>({
    queue: {
      claim: (c) => deps.notificationsOutbox.claimNotifications(c),
      complete: async (ns, at) => {
        for (const n of ns) {
          if (gone.has(n)) continue;
          if (await deps.notificationsOutbox.markNotified(n, at)) deps.log.info(describe(n), 'webhook delivered');
        }
      },
      retryLater: async (n, error, next) => void (await deps.notificationsOutbox.recordNotificationFailure(n, error, next)),
      bury: async (n, error, at) => void (await deps.notificationsOutbox.markNotificationDead(n, error, at)),
    },
    deliverOne: async (n) => {
      // A span per call, a child of the job's trace (when OpenTelemetry is on).
      const outcome = await inJobSpan(
        'notify',
        n.traceparent,
        { 'framewise.event_id': n.event_id, 'framewise.delivery_id': deliveryId(n), 'framewise.status': n.status },
        () => postWebhook(n, deps.webhook),
      );
      if (outcome === 'delivered') return;
      gone.add(n);
      await deps.notificationsOutbox.markNotificationDead(n, 'the receiver answered HTTP 410 Gone: not retried', new Date());
      deps.observer?.buried?.(n, new Error('410 Gone'));
      deps.log.warn(describe(n), 'webhook receiver answered 410 Gone; dead-lettered without retry');
    },
    owner: deps.owner,
    leaseMs: deps.leaseMs,
    batchSize: deps.batchSize,
    policy: deps.retry,
    log: deps.log,
    describe,
    attemptsOf: (n) => n.attempts,
    observer: {
      ...deps.observer,
      delivered: (ns, at) =>
        deps.observer?.delivered?.(
          ns.filter((n) => !gone.has(n)),
          at,
        ),
    },
  });
}

/** Log fields naming a notification. The URL is left out: its query may carry a client's token. */
const describe = (n: Notification) => ({ event_id: n.event_id, status: n.status, delivery_id: deliveryId(n), trace_id: traceIdOf(n.traceparent) });
