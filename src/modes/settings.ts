import type { Config } from '../core/config.js';
import type { PreprocessOptions } from '../core/preprocess.js';
import type { SamplingRule } from '../core/sampling.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { Retention } from '../core/retention.js';
import { FfmpegFrameSource } from '../adapters/frame-source/ffmpeg.js';

/** Settings both composition roots derive from the config in the same way. */
export function samplingRule(config: Config): SamplingRule {
  return config.sampleFps ? { targetFps: config.sampleFps } : { everyNFrames: config.sampleEvery };
}

export function preprocessing(config: Config): PreprocessOptions {
  return {
    blur: { enabled: config.blur, ksize: config.blurKsize },
    contrast: { enabled: config.contrast, alpha: config.contrastAlpha, beta: config.contrastBeta },
  };
}

export function frameSource(config: Config): FfmpegFrameSource {
  return new FfmpegFrameSource({
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    decodeErrors: config.decodeErrors,
    threads: config.decodeThreads,
  });
}

export function loopTiming(config: Config) {
  return { minIntervalMs: config.pollIntervalMs, maxIntervalMs: config.maxPollIntervalMs };
}

export function retryPolicy(config: Config): RetryPolicy {
  return { baseMs: config.retryBaseMs, capMs: config.retryCapMs, maxAttempts: config.retryMaxAttempts };
}

export function retention(config: Config): Retention {
  return { sentMs: config.sentRetentionMs, deadMs: config.deadRetentionMs, sweepMs: config.retentionSweepMs };
}
