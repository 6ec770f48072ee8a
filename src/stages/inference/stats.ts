import type { Detector } from '../../ports/detector.js';
import type { Metrics } from '../../observability/metrics.js';

/** What an inference worker has done, for `GET /data` and logs. */
export interface InferenceStats {
  model: string;
  frames_detected: number;
  objects_detected: number;
  /** Detector busy time per frame (the model's speed on this machine). */
  mean_detect_ms: number | null;
  /** The last call's latency per frame, waiting behind earlier frames included. */
  last_detect_ms: number | null;
  started_at: string;
}

/** Wraps a detector so every call is counted and timed (and, given `metrics`, exported to Prometheus). */
export function measuredDetector(detector: Detector, metrics?: Metrics): { detector: Detector; stats: () => InferenceStats } {
  let frames = 0;
  let objects = 0;
  // Busy time: calls overlap (a worker queues the next frame), so time the detector had work,
  // not each call's wait — per-frame figures then match the model's real speed.
  let busyMs = 0;
  let inFlight = 0;
  let busySince = 0;
  let lastMs: number | null = null;
  const started = new Date().toISOString();
  return {
    detector: {
      name: detector.name,
      sha256: detector.sha256,
      async detect(images, options) {
        if (inFlight++ === 0) busySince = performance.now();
        const t0 = performance.now();
        let result;
        try {
          result = await detector.detect(images, options);
        } finally {
          if (--inFlight === 0) busyMs += performance.now() - busySince;
        }
        lastMs = (performance.now() - t0) / Math.max(1, images.length);
        frames += images.length;
        metrics?.framesDetected.inc(images.length);
        for (let i = 0; i < images.length; i++) metrics?.inferenceLatency.observe(lastMs / 1000);
        for (const r of result) objects += r.length;
        return result;
      },
      close: () => detector.close(),
    },
    stats: () => ({
      model: detector.name,
      frames_detected: frames,
      objects_detected: objects,
      mean_detect_ms: frames > 0 ? Math.round(((busyMs + (inFlight > 0 ? performance.now() - busySince : 0)) / frames) * 10) / 10 : null,
      last_detect_ms: lastMs === null ? null : Math.round(lastMs * 10) / 10,
      started_at: started,
    }),
  };
}
