import type { DispatchObserver } from '../../core/outbox-dispatcher.js';
import type { Notification } from '../../core/notification.js';
import type { Metrics } from '../../observability/metrics.js';

/**
 * Counts webhook deliveries in the outbox metrics, as `outbox="webhooks"`: latency from due to
 * delivered (`framewise_outbox_publish_latency_seconds`), retries and dead letters.
 */
export function webhookObserver(metrics: Metrics): DispatchObserver<Notification> {
  return {
    delivered: (ns, at) => {
      for (const n of ns) metrics.outboxPublishLatency.observe({ outbox: 'webhooks' }, Math.max(0, at.getTime() - n.next_attempt_at.getTime()) / 1000);
    },
    retried: () => metrics.outboxRetries.inc({ outbox: 'webhooks' }),
    buried: () => metrics.outboxDeadLetters.inc({ outbox: 'webhooks' }),
  };
}
