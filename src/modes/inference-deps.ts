import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { Publisher } from '../ports/bus-publisher.js';
import type { Subscriber } from '../ports/bus-subscriber.js';
import type { FrameCodec } from '../ports/frame-codec.js';
import type { DetectorCatalog } from '../stages/inference/detector-catalog.js';
import type { startInference } from '../stages/inference/index.js';
import type { Metrics } from '../observability/metrics.js';
import { TOPICS } from '../core/topics.js';

/**
 * An inference worker's dependencies from the config and what differs between the modes (the bus,
 * the detectors, the codec, the log) — the one place both composition roots take them from.
 */
export function inferenceDeps(
  config: Config,
  wiring: { bus: Subscriber & Publisher; detectors: DetectorCatalog; codec: FrameCodec; log: Logger; metrics: Metrics },
): Parameters<typeof startInference>[0] {
  return {
    subscriber: wiring.bus,
    bus: wiring.bus,
    detectors: wiring.detectors,
    codec: wiring.codec,
    log: wiring.log,
    concurrency: config.inferenceConcurrency,
    maxAttempts: config.consumerMaxAttempts,
    onDeadLettered: () => wiring.metrics.consumerDeadLetters.inc({ topic: TOPICS.inferenceTasks }),
  };
}
