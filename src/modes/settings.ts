import type { Logger } from 'pino';
import { modelNames, type Config } from '../core/config.js';
import { COCO_CLASSES } from '../adapters/detector/coco-classes.js';
import { modelDefaults, type ModelDefaults } from '../core/model-defaults.js';
import type { PreprocessOptions } from '../core/preprocess.js';
import type { SamplingRule } from '../core/sampling.js';
import type { RetryPolicy } from '../core/retry-policy.js';
import type { Retention } from '../core/retention.js';
import { FfmpegFrameSource } from '../adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../adapters/frame-source/binaries.js';
import { FfmpegSandbox } from '../adapters/frame-source/ffmpeg-sandbox.js';
import { FfmpegVideoAnnotator, FRAMES_PER_WINDOW } from '../adapters/video-annotator/ffmpeg-libass.js';
import type { VideoLimits } from '../core/video-limits.js';
import type { RateLimits } from '../stages/api/rate-limit.js';

/** Settings both composition roots derive from the config in the same way. */

/** The models the API offers; the bundled one's classes are known, so a job's `classes` are checked against them. */
export function apiModels(config: Config): {
  names: string[];
  defaultModel: string;
  classes: Record<string, readonly string[]>;
  defaults: (model: string) => ModelDefaults;
} {
  return {
    names: modelNames(config),
    defaultModel: config.defaultModel,
    classes: Object.fromEntries(config.bundledModels.map((m) => [m, COCO_CLASSES])),
    defaults: (model) => modelDefaults(config, model),
  };
}

/** The detection defaults of a job's model (undefined: the default model), for jobs that choose none. */
export function detectionDefaults(config: Config): (model: string | undefined) => ModelDefaults {
  return (model) => modelDefaults(config, model ?? config.defaultModel);
}
/** The most a job's video may be: checked by the API at upload (422) and by the runner (job failed). */
export function videoLimits(config: Config): VideoLimits {
  return { maxDurationSeconds: config.maxDurationSeconds, maxWidth: config.maxWidth, maxHeight: config.maxHeight, maxFrames: config.maxFrames };
}

/** The API's per-client request rates (0 = off). */
export function rateLimits(config: Config): RateLimits {
  return { perMinute: config.rateLimitPerMinute, uploadsPerMinute: config.uploadRateLimitPerMinute };
}

export function samplingRule(config: Config): SamplingRule {
  return config.sampleFps ? { targetFps: config.sampleFps } : { everyNFrames: config.sampleEvery };
}

export function preprocessing(config: Config): PreprocessOptions {
  return {
    blur: { enabled: config.blur, ksize: config.blurKsize },
    contrast: { enabled: config.contrast, alpha: config.contrastAlpha, beta: config.contrastBeta },
  };
}

/**
 * The runner's (and the API's probe's) ffmpeg, confined: file and pipe protocols only, no demuxer
 * that opens what its input names, memory and CPU limits, a probe timeout and a decoding stall
 * timeout. `log` is told once if the limits cannot be applied (no prlimit).
 */
export function frameSource(config: Config, log?: Pick<Logger, 'warn'>): FfmpegFrameSource {
  return new FfmpegFrameSource({
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    decodeErrors: config.decodeErrors,
    threads: config.decodeThreads,
    probeTimeoutMs: config.probeTimeoutMs,
    decodeStallMs: config.decodeStallMs,
    limits: { memoryBytes: config.ffmpegMemoryMb * 1024 * 1024, cpuSeconds: config.ffmpegCpuSeconds },
    ...(log ? { warn: (message: string) => log.warn(message) } : {}),
  });
}

/** Renders the annotated MP4s jobs ask for (`annotate`), with the same ffmpeg and resource limits as the runner. */
export function videoAnnotator(config: Config, log?: Logger): FfmpegVideoAnnotator {
  const sandbox = new FfmpegSandbox({
    limits: { memoryBytes: config.ffmpegMemoryMb * 1024 * 1024, cpuSeconds: config.ffmpegCpuSeconds },
    ...(log ? { warn: (message: string) => log.warn(message) } : {}),
  });
  return new FfmpegVideoAnnotator(resolveBinary('ffmpeg', config.ffmpegPath), FRAMES_PER_WINDOW, sandbox);
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
