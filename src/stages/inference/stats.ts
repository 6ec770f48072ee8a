import type { Detector } from '../../ports/detector.js';

/** What an inference worker has done, for `GET /data` and logs. */
export interface InferenceStats {
  model: string;
  frames_detected: number;
  objects_detected: number;
  mean_detect_ms: number | null;
  last_detect_ms: number | null;
  started_at: string;
}

/** Wraps a detector so every call is counted and timed. */
export function measuredDetector(detector: Detector): { detector: Detector; stats: () => InferenceStats } {
  let frames = 0;
  let objects = 0;
  let totalMs = 0;
  let lastMs: number | null = null;
  const started = new Date().toISOString();
  return {
    detector: {
      name: detector.name,
      async detect(images) {
        const t0 = performance.now();
        const result = await detector.detect(images);
        lastMs = (performance.now() - t0) / Math.max(1, images.length);
        totalMs += performance.now() - t0;
        frames += images.length;
        for (const r of result) objects += r.length;
        return result;
      },
      close: () => detector.close(),
    },
    stats: () => ({
      model: detector.name,
      frames_detected: frames,
      objects_detected: objects,
      mean_detect_ms: frames > 0 ? Math.round((totalMs / frames) * 10) / 10 : null,
      last_detect_ms: lastMs === null ? null : Math.round(lastMs * 10) / 10,
      started_at: started,
    }),
  };
}
