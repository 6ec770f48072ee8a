import type { Logger } from 'pino';
import type { Config } from '../core/config.js';
import type { RunnerDeps } from '../stages/runner/index.js';
import { WasmFramePreparer } from '../adapters/frame-preparer/wasm-simd.js';
import { modelInputs } from './model-inputs.js';
import { detectionDefaults, preprocessing, samplingRule, videoLimits } from './settings.js';

/** What differs between the modes' runners: the stores, the bus and how a frame's publish resolves. */
export type RunnerWiring = Pick<
  RunnerDeps,
  'subscriber' | 'bus' | 'objects' | 'jobRecords' | 'frameCollection' | 'frames' | 'codec' | 'signal' | 'pacing' | 'metrics' | 'onPredictable'
> & { log: Logger };

/**
 * The runner's dependencies from the config and a mode's wiring — the one place both composition
 * roots (embedded, cluster) take them from, so the two runners differ only where the modes do.
 */
export async function runnerDeps(config: Config, wiring: RunnerWiring): Promise<RunnerDeps> {
  return {
    ...wiring,
    preparer: new WasmFramePreparer(),
    modelInput: await modelInputs(config, wiring.log),
    sampling: samplingRule(config),
    detection: detectionDefaults(config),
    preprocessing: preprocessing(config),
    maxFramesInFlight: config.maxFramesInFlight,
    concurrency: config.runnerConcurrency,
    segmentSeconds: config.segmentSeconds,
    maxFrameBytes: config.maxFrameBytes,
    maxAttempts: config.consumerMaxAttempts,
    stallTimeoutMs: config.stallTimeoutMs,
    maxStallRedrives: config.maxJobDrives,
    limits: videoLimits(config),
  };
}
