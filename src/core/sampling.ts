/** Which frames a job samples: every Nth decoded frame, or the N nearest a target rate. */
export type SamplingRule = { everyNFrames: number } | { targetFps: number };

/**
 * Resolves a sampling rule to "every Nth frame" for a video of `videoFps`.
 * A target rate becomes the nearest whole step (never below 1), so frame numbers stay exact
 * indices into the decoded stream; if the video states no rate, `fallbackEvery` applies.
 */
export function sampleEvery(rule: SamplingRule, videoFps: number | undefined, fallbackEvery = 5): number {
  if ('everyNFrames' in rule) return Math.max(1, Math.floor(rule.everyNFrames));
  if (!videoFps || !Number.isFinite(videoFps) || videoFps <= 0) return Math.max(1, fallbackEvery);
  return Math.max(1, Math.round(videoFps / rule.targetFps));
}

/** Sampled frames among `frameCount` decoded ones: frames 0, N, 2N, … below frameCount. */
export function sampledFrameCount(frameCount: number, every: number): number {
  return frameCount <= 0 ? 0 : Math.ceil(frameCount / every);
}

/** True when decoded frame `n` is sampled. */
export function isSampled(n: number, every: number): boolean {
  return n % every === 0;
}
