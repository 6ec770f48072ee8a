/**
 * Framewise benchmark: Framewise against what a user would run instead — the plain loop
 * (bench/plain-loop.py: OpenCV + onnxruntime in one Python process) — and against its own model's
 * speed, per detector and mode, measured side by side in one run.
 *
 *   npm run bench [-- --video <path>] [--jobs 1,2] [--cluster-jobs 2] [--detectors a,b] [--model x.onnx]…
 *                 [--modes embedded,cluster] [--intra-op-threads 1] [--no-plain-loop] [--json]
 *
 * Per detector: the plain loop (ONNX models), the model alone (onnxruntime sessions on the
 * letterboxed inputs and nothing else), the detector alone as the inference stage deploys it
 * (replicas, batch 1 and batch B), then the whole pipeline in each mode — `--jobs` uploads at once,
 * e2e frames/s = frames / wall time from the first upload to the last `ready` — with each process's
 * CPU per frame (its own, outside the model; its ffmpeg's), peak RSS, and the local servers' CPU.
 * See bench/README.md. `--json` prints one JSON object on stdout; progress goes to stderr. Nothing
 * here is a pass/fail test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { BUNDLED_MODELS, DEFAULT_MODEL, loadConfig, type BundledModel, type Config } from '../src/core/config.js';
import type { ModelInput } from '../src/core/model-input.js';
import { CENTERNET_INPUT, createCenternetDetector } from '../src/adapters/detector/tfjs-centernet.js';
import { createNanodetDetector, NANODET_INPUT } from '../src/adapters/detector/onnx-nanodet.js';
import { createOnnxYoloDetector } from '../src/adapters/detector/onnx-yolo.js';
import { yoloModelInput } from '../src/adapters/detector/yolo/model-input.js';
import { replicatedDetector } from '../src/stages/inference/replicated-detector.js';
import { intraOpThreadsOf, replicasOf } from '../src/modes/detectors.js';
import type { Detector } from '../src/ports/detector.js';
import { ROOT } from '../scripts/cluster-local.js';
import { detectorSpeed, modelAlone, prepareFrames, sampleVideo, type FrameCosts } from './detector-run.js';
import { runExtraction, runPipeline, type ExtractionRun, type Mode, type PipelineRun } from './pipeline-run.js';
import { runPlainLoop, type PlainLoopRun } from './plain-loop.js';
import { defaultVideo, loopedFixture } from './bench-video.js';
import { yolov8nModelPath } from './yolov8n-model.js';
import { cpuOfSelfSync } from './proc-stat.js';
import { measureQuality, qualityText, type QualitySummary } from './quality-run.js';
import { modelDefaults, YOLO_DEFAULTS, type ModelDefaults } from '../src/core/model-defaults.js';

const YOLO_ARCH = 'yolov8n-arch';
const REAL_YOLO = 'yolov8n-coco-int8';
/** The real Ultralytics YOLOv8n beside the checkout (AGPL-3.0: used from there, never copied in). */
const REAL_YOLO_PATH = fileURLToPath(new URL('../../shared/models/yolov8n-coco-int8.onnx', import.meta.url));

interface Options {
  video?: string;
  jobs: number[];
  clusterJobs: number[];
  passes: number;
  rounds: number;
  detectors: string[];
  model: string[];
  modes: Mode[];
  json: boolean;
  plainLoop: boolean;
  logs?: string;
  intraOpThreads?: number;
  extractionRunners: number[];
  extractionConcurrency: number;
  /** Only the quality figures. */
  quality: boolean;
  skipQuality: boolean;
}

interface BenchDetector {
  name: string;
  /** The ONNX file (YOLO), for the plain loop and the model alone. */
  path?: string;
  input: ModelInput;
  replicas: number;
  /** onnxruntime threads per replica (YOLO). */
  intraOpThreads?: number;
  open: () => Promise<Detector>;
  /** What its jobs detect with by default (the model catalogue's). */
  defaults: ModelDefaults;
  /** Why it has no quality figure (random weights); absent: it has one. */
  noQuality?: string;
  /** Stage env that makes it every job's model. */
  env: Record<string, string>;
}

function parseArgs(argv: string[]): Options {
  const positiveInt = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  };
  const ints = (v: string): number[] => v.split(',').map((s) => positiveInt(s.trim()));
  const list =
    (allowed: string[]) =>
    (v: string): string[] => {
      const items = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = items.filter((i) => !allowed.includes(i));
      if (bad.length > 0 || items.length === 0) throw new InvalidArgumentError(`choose from ${allowed.join(', ')}`);
      return items;
    };
  const known = [...BUNDLED_MODELS, YOLO_ARCH, REAL_YOLO];
  const defaults = [...BUNDLED_MODELS, YOLO_ARCH, ...(existsSync(REAL_YOLO_PATH) ? [REAL_YOLO] : [])];
  const o = new Command('bench')
    .description('Framewise vs the plain loop and vs its model alone, per detector and mode: frames/s, CPU per frame per process, peak RSS')
    .option('--video <path>', 'video to process (default: vtest.avi if installed, else a 60 s loop of the fixture)')
    .option('--jobs <list>', 'embedded: uploads submitted at once, one run per count', ints, [1, 2])
    .option('--cluster-jobs <list>', 'cluster: uploads submitted at once, one run per count', ints, [2])
    .option('--passes <n>', 'passes over the frames when timing the detector alone', positiveInt, 2)
    .option('--rounds <n>', 'rounds of plain loop, then pipelines, alternating (ratios are taken within a round)', positiveInt, 2)
    .option('--detectors <list>', `detectors to measure (${REAL_YOLO} where ../shared/models has it)`, list(known), defaults)
    .option('--model <path.onnx>', 'also measure this YOLO ONNX model (repeatable)', (v: string, prev: string[]) => [...prev, resolve(v)], [] as string[])
    .option('--modes <list>', 'pipeline modes to measure', list(['embedded', 'cluster']), ['embedded', 'cluster'])
    .option(
      '--intra-op-threads <n>',
      'the YOLO model on one session of n threads (the shape of a GPU deployment at n = 1), alone, in the pipeline and in the plain loop',
      positiveInt,
    )
    .addOption(new Option('--no-plain-loop', 'skip the plain-loop baseline'))
    .option(
      '--extraction-runners <list>',
      'cluster: extraction throughput of one long video (a 120 s loop of the fixture, 10 s segments) on each count of runners, no inference; empty: skip',
      (v: string) => (v === '' ? [] : ints(v)),
      [1, 2],
    )
    .option(
      '--extraction-concurrency <n>',
      "segments each runner extracts at once in that phase (1: one decoder a runner, so runners, not one runner's slots, share the cores)",
      positiveInt,
      1,
    )
    .option('--logs <dir>', "keep every pipeline process's log under <dir>/<detector>-<mode>-<jobs>/")
    .option('--quality', "only the quality figures: each detector's precision / recall / F1 against the reference, at every threshold (no speed runs)", false)
    .option('--skip-quality', 'no quality figures', false)
    .option('--json', 'print one JSON object on stdout, nothing else', false)
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
    .parse(argv)
    .opts<Options>();
  return { ...o, ...(o.video ? { video: resolve(o.video) } : {}) };
}

const note = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

async function benchDetectors(opts: Options, config: Config): Promise<BenchDetector[]> {
  const out: BenchDetector[] = [];
  const replicasFor = (provider?: 'cpu' | 'cuda'): number => (opts.intraOpThreads ? 1 : replicasOf(provider ? { provider } : undefined, config));
  const bundled: Record<BundledModel, { input: ModelInput; make: (t: { confidence: number; iou: number }) => Promise<Detector> }> = {
    'nanodet-coco': { input: NANODET_INPUT, make: (t) => createNanodetDetector({ ...t, intraOpThreads: intraOpThreadsOf({}, replicasFor()) }) },
    'centernet-coco': { input: CENTERNET_INPUT, make: createCenternetDetector },
  };
  for (const name of BUNDLED_MODELS) {
    if (!opts.detectors.includes(name)) continue;
    const replicas = replicasFor();
    out.push({
      name,
      input: bundled[name].input,
      replicas,
      defaults: modelDefaults(config, name),
      open: async () => {
        const { confidence, iou } = modelDefaults(config, name);
        return replicatedDetector(await Promise.all(Array.from({ length: replicas }, () => bundled[name].make({ confidence, iou }))));
      },
      env: { FRAMEWISE_MODELS: '[]', FRAMEWISE_BUNDLED_MODELS: name, FRAMEWISE_DEFAULT_MODEL: name, FRAMEWISE_DETECTOR_REPLICAS: String(replicas) },
    });
  }
  const yolos: Array<[string, string]> = [];
  if (opts.detectors.includes(YOLO_ARCH)) yolos.push([YOLO_ARCH, await yolov8nModelPath()]);
  if (opts.detectors.includes(REAL_YOLO)) {
    if (!existsSync(REAL_YOLO_PATH)) throw new Error(`${REAL_YOLO_PATH} is not here`);
    yolos.push([REAL_YOLO, REAL_YOLO_PATH]);
  }
  for (const path of opts.model)
    yolos.push([
      basename(path, '.onnx')
        .toLowerCase()
        .replace(/[^a-z0-9._-]/g, '-'),
      path,
    ]);
  for (const [name, path] of yolos) {
    const replicas = replicasFor();
    const intraOpThreads = opts.intraOpThreads ?? intraOpThreadsOf({}, replicas);
    const spec = { name, path, max_batch: config.inferenceBatchSize, replicas, ...(intraOpThreads ? { intra_op_threads: intraOpThreads } : {}) };
    out.push({
      name,
      path,
      input: await yoloModelInput(path),
      replicas,
      ...(intraOpThreads ? { intraOpThreads } : {}),
      defaults: modelDefaults(config, name),
      ...(name === YOLO_ARCH ? { noQuality: "random weights: its speed is the graph's, its boxes mean nothing" } : {}),
      open: async () =>
        replicatedDetector(
          await Promise.all(
            Array.from({ length: replicas }, () =>
              createOnnxYoloDetector({
                name,
                modelPath: path,
                confidence: modelDefaults(config, name).confidence,
                iou: modelDefaults(config, name).iou,
                maxBatch: config.inferenceBatchSize,
                ...(intraOpThreads ? { intraOpThreads } : {}),
              }),
            ),
          ),
        ),
      env: { FRAMEWISE_MODELS: JSON.stringify([spec]), FRAMEWISE_BUNDLED_MODELS: '[]', FRAMEWISE_DEFAULT_MODEL: name },
    });
  }
  return out;
}

const round = (v: number, digits = 2): number => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);
const fmt = (v: number | undefined, digits = 2): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((cell, c) => (c === 0 || c === 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  return [line(rows[0]!), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

interface Entry {
  name: string;
  mode: Mode;
  jobs: number;
  batch: number;
  replicas: number;
  intra_op_threads: number | 'default';
  /** The foundation issue's fields: detector alone at batch B, e2e, their ratio, the largest process's peak RSS. */
  detector_fps: number;
  e2e_fps: number;
  ratio: number;
  peak_rss_mb: number;
  detector_fps_batch1: number;
  decode_fps: number;
  plain_loop_fps: number | null;
  ratio_vs_plain_loop: number | null;
  model_alone_fps: number | null;
  ratio_vs_model_alone: number | null;
  /** Per sampled frame, ms: Framewise's own (every Framewise process, the model's CPU taken out), the decoder's (ffmpeg), the model's, the local servers'. */
  cpu_ms_per_frame: {
    framewise: number;
    outside_detector_threads: number;
    detector_threads: number;
    decoder: number;
    model: number;
    servers: number | null;
    by_process: Record<string, { own: number; decoder: number }>;
    servers_by_process: Record<string, number>;
  };
  peak_rss_mb_by_process: Record<string, number>;
  detector_alone_peak_rss_mb: number;
  wall_seconds: number;
  ready_seconds: number[];
  frames: number;
  /** Which round (see `--rounds`). */
  round: number;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const batch = config.inferenceBatchSize;
  if (opts.modes.includes('cluster')) {
    note('starting Kafka, MinIO and the MongoDB-protocol server (scripts/infra/up.sh)');
    execFileSync('bash', [resolve(ROOT, 'scripts/infra/up.sh')], { stdio: ['ignore', 2, 2] });
  }
  const videoPath = opts.video ?? (await defaultVideo());
  const video = await sampleVideo(videoPath, config);
  const perJob = video.decoded.length;
  note(
    `${videoPath}: ${perJob} sampled frames (every ${video.every}) of ${video.width}x${video.height}; ffmpeg decodes ${video.decodeFps.toFixed(0)} sampled frames/s alone (${video.decodeCpuMs.toFixed(1)} ms CPU each)`,
  );

  const benched = await benchDetectors(opts, config);
  let qualitySummary: QualitySummary | undefined;
  if (!opts.skipQuality) {
    const referenceModel = existsSync(REAL_YOLO_PATH)
      ? {
          name: REAL_YOLO,
          input: await yoloModelInput(REAL_YOLO_PATH),
          open: () => createOnnxYoloDetector({ name: REAL_YOLO, modelPath: REAL_YOLO_PATH, ...YOLO_DEFAULTS, maxBatch: config.inferenceBatchSize }),
        }
      : undefined;
    qualitySummary = await measureQuality(
      video,
      videoPath,
      config,
      benched.map((d) => ({
        name: d.name,
        input: d.input,
        open: d.open,
        defaults: d.defaults,
        ...(d.noQuality ? { skip: d.noQuality } : d.path === REAL_YOLO_PATH && referenceModel ? { skip: 'it is the reference' } : {}),
      })),
      referenceModel,
      note,
      !opts.json,
    );
  }
  const f1At = (name: string): number | undefined => qualitySummary?.detectors.find((q) => q.detector === name)?.at_default.f1;
  if (opts.quality) {
    if (opts.json)
      process.stdout.write(JSON.stringify({ quality: qualitySummary ?? null, video: videoPath, sampled_frames: perJob, every: video.every }) + '\n');
    else
      process.stdout.write(
        [
          `Framewise bench, quality: ${videoPath} — ${perJob} sampled frames (every ${video.every}) of ${video.width}x${video.height}`,
          '',
          ...qualityText(qualitySummary!),
        ].join('\n') + '\n',
      );
    return;
  }

  const entries: Entry[] = [];
  const plainLoops: Record<string, Array<PlainLoopRun & { cpu_ms_per_frame: number }>> = {};
  const modelsAlone: Record<string, { fps: number; cpu_ms_per_frame: number; sessions: number; intra_op_threads: number | 'default' }> = {};
  const costs: Record<string, FrameCosts> = {};
  for (const d of opts.quality ? [] : benched) {
    const { frames, costs: c } = await prepareFrames(video, config, d.input);
    costs[d.name] = c;
    let model: { fps: number; cpuMsPerFrame: number } | undefined;
    if (d.path) {
      model = await modelAlone(d.path, d.input, frames, d.intraOpThreads, d.replicas);
      modelsAlone[d.name] = {
        fps: round(model.fps),
        cpu_ms_per_frame: round(model.cpuMsPerFrame, 1),
        sessions: d.replicas,
        intra_op_threads: d.intraOpThreads ?? 'default',
      };
      note(
        `${d.name}: the model alone (Node onnxruntime, ${d.replicas} session(s) of ${d.intraOpThreads ?? 'default'} thread(s)): ${model.fps.toFixed(2)} frames/s, ${model.cpuMsPerFrame.toFixed(1)} ms CPU a frame`,
      );
    }
    note(`${d.name}: detector alone (${d.replicas} replica(s)), batch 1 and batch ${batch}, ${opts.passes} pass(es)`);
    const cpu0 = cpuOfSelfSync().ownMs;
    const speed = await detectorSpeed(d.open, frames, opts.passes, batch, d.replicas);
    // CenterNet has no model-alone run: its CPU per frame is the detector's (its adapter included).
    const modelCpuMs = model?.cpuMsPerFrame ?? (cpuOfSelfSync().ownMs - cpu0) / ((2 * opts.passes + 1) * frames.length);
    note(`${d.name}: ${speed.batch1Fps.toFixed(2)} frames/s at batch 1, ${speed.batchFps.toFixed(2)} at batch ${batch}`);
    const runs: Array<[Mode, number]> = [];
    if (opts.modes.includes('embedded')) for (const j of opts.jobs) runs.push(['embedded', j]);
    if (opts.modes.includes('cluster')) for (const j of opts.clusterJobs) runs.push(['cluster', j]);
    // The machine's speed drifts (other VMs share it): each round runs the plain loop, then the
    // pipelines, and each ratio compares runs of one round.
    for (let roundNo = 1; roundNo <= opts.rounds; roundNo++) {
      let plain: (PlainLoopRun & { cpu_ms_per_frame: number }) | undefined;
      if (d.path && opts.plainLoop) {
        note(`${d.name}: the plain loop (Python: OpenCV + onnxruntime)`);
        const p = await runPlainLoop({
          model: d.path,
          video: videoPath,
          every: video.every,
          confidence: d.defaults.confidence,
          iou: d.defaults.iou,
          ...(opts.intraOpThreads ? { intraOpThreads: opts.intraOpThreads } : {}),
        });
        plain = { ...p, cpu_ms_per_frame: (p.cpu_seconds * 1000) / p.frames };
        (plainLoops[d.name] ??= []).push(plain);
        note(`${d.name}: plain loop ${p.fps.toFixed(2)} frames/s (onnxruntime ${p.onnxruntime}: ${p.phase_ms_per_frame.infer!.toFixed(1)} ms a run)`);
      }
      for (const [mode, jobs] of runs) {
        const bar = opts.json
          ? undefined
          : new cliProgress.SingleBar(
              { stream: process.stderr, format: `${d.name} ${mode} ×${jobs} [{bar}] {value}/{total} frames | {duration_formatted}`, hideCursor: true },
              cliProgress.Presets.shades_classic,
            );
        bar?.start(perJob * jobs, 0);
        let run: PipelineRun;
        try {
          run = await runPipeline({
            mode,
            env: d.env,
            video: videoPath,
            jobs,
            expectFrames: perJob,
            onProgress: (done) => bar?.update(done),
            ...(opts.logs ? { logDir: resolve(opts.logs, `${d.name}-${mode}-${jobs}`) } : {}),
          });
        } finally {
          bar?.stop();
        }
        const per = (ms: number): number => round(ms / run.frames, 2);
        const own = Object.values(run.cpuMs).reduce((a, c) => a + c.ownMs, 0);
        const decoder = Object.values(run.cpuMs).reduce((a, c) => a + c.childrenMs, 0);
        const detectorThreads = Object.values(run.detectorThreadsMs).reduce((a, c) => a + c, 0);
        const servers = Object.values(run.serverCpuMs).reduce((a, v) => a + v, 0);
        const plainFps = plain?.fps;
        entries.push({
          name: d.name,
          mode,
          jobs,
          batch,
          replicas: d.replicas,
          intra_op_threads: d.intraOpThreads ?? 'default',
          detector_fps: round(speed.batchFps),
          e2e_fps: round(run.e2eFps),
          ratio: round(run.e2eFps / speed.batchFps, 3),
          peak_rss_mb: round(Math.max(...Object.values(run.peakRssMb)), 1),
          detector_fps_batch1: round(speed.batch1Fps),
          decode_fps: round(video.decodeFps, 1),
          plain_loop_fps: plainFps === undefined ? null : round(plainFps),
          ratio_vs_plain_loop: plainFps === undefined ? null : round(run.e2eFps / plainFps, 3),
          model_alone_fps: model ? round(model.fps) : null,
          ratio_vs_model_alone: model ? round(run.e2eFps / model.fps, 3) : null,
          cpu_ms_per_frame: {
            framewise: per(own - modelCpuMs * run.frames),
            outside_detector_threads: per(own - detectorThreads),
            detector_threads: per(detectorThreads),
            decoder: per(decoder),
            model: round(modelCpuMs, 1),
            servers: mode === 'cluster' ? per(servers) : null,
            by_process: Object.fromEntries(Object.entries(run.cpuMs).map(([k, v]) => [k, { own: per(v.ownMs), decoder: per(v.childrenMs) }])),
            servers_by_process: Object.fromEntries(Object.entries(run.serverCpuMs).map(([k, v]) => [k, per(v)])),
          },
          peak_rss_mb_by_process: Object.fromEntries(Object.entries(run.peakRssMb).map(([k, v]) => [k, round(v, 1)])),
          detector_alone_peak_rss_mb: round(speed.peakRssMb, 1),
          wall_seconds: round(run.wallSeconds),
          ready_seconds: run.readySeconds.map((s) => round(s, 1)),
          frames: run.frames,
          round: roundNo,
        });
        const e = entries.at(-1)!;
        note(
          `${d.name} ${mode} ×${jobs} (round ${roundNo}): ${run.frames} frames in ${run.wallSeconds.toFixed(1)} s = ${run.e2eFps.toFixed(2)} frames/s (${e.ratio_vs_plain_loop === null ? '' : `${e.ratio_vs_plain_loop.toFixed(2)}× the plain loop, `}Framewise CPU ${e.cpu_ms_per_frame.framewise.toFixed(1)} ms a frame)`,
        );
      }
    }
  }

  const extraction: ExtractionRun[] = [];
  if (opts.modes.includes('cluster') && opts.extractionRunners.length > 0) {
    const long = await loopedFixture(120);
    for (const runners of opts.extractionRunners) {
      note(`extraction alone: one 120 s video in 10 s segments on ${runners} runner(s) of ${opts.extractionConcurrency} segment(s) at once, no inference`);
      const env = {
        FRAMEWISE_SEGMENT_SECONDS: '10',
        FRAMEWISE_RUNNER_CONCURRENCY: String(opts.extractionConcurrency),
        FRAMEWISE_MODELS: '[]',
        FRAMEWISE_BUNDLED_MODELS: DEFAULT_MODEL,
        FRAMEWISE_DEFAULT_MODEL: DEFAULT_MODEL,
      };
      const r = await runExtraction({
        env,
        video: long,
        runners,
        brokers: config.kafkaBootstrapServers === 'kafka:9092' ? ['127.0.0.1:9092'] : config.kafkaBootstrapServers.split(','),
      });
      extraction.push(r);
      note(`  ${r.frames} frames in ${r.segments} segments in ${r.wallSeconds.toFixed(1)} s = ${r.extractedFps.toFixed(1)} frames/s`);
    }
  }

  const summary = {
    detectors: entries,
    extraction: extraction.map((r) => ({
      runners: r.runners,
      concurrency: opts.extractionConcurrency,
      frames: r.frames,
      segments: r.segments,
      wall_seconds: round(r.wallSeconds),
      extracted_fps: round(r.extractedFps, 1),
      runner_cpu_ms_per_frame: { own: round(r.runnerCpuMsPerFrame.own), decoder: round(r.runnerCpuMsPerFrame.decoder) },
      speedup: round(r.extractedFps / extraction[0]!.extractedFps, 2),
    })),
    video: videoPath,
    sampled_frames: perJob,
    every: video.every,
    frame_size: `${video.width}x${video.height}`,
    jobs: opts.jobs,
    cluster_jobs: opts.clusterJobs,
    /** The foundation issue's field: jobs per run (the largest). */
    repeat: Math.max(...opts.jobs),
    batch,
    cores: availableParallelism(),
    frame_format: { embedded: 'raw, in memory', cluster: config.frameFormat },
    yolo_intra_op_threads: opts.intraOpThreads ?? 'default (cores ÷ replicas)',
    decode_fps: round(video.decodeFps, 1),
    decode_cpu_ms_per_frame: round(video.decodeCpuMs, 2),
    rounds: opts.rounds,
    plain_loop: Object.fromEntries(
      Object.entries(plainLoops).map(([k, ps]) => [
        k,
        ps.map((p, i) => ({
          round: i + 1,
          fps: round(p.fps),
          cpu_ms_per_frame: round(p.cpu_ms_per_frame, 1),
          phase_ms_per_frame: Object.fromEntries(Object.entries(p.phase_ms_per_frame).map(([n, v]) => [n, round(v)])),
          onnxruntime: p.onnxruntime,
          opencv: p.opencv,
        })),
      ]),
    ),
    model_alone: modelsAlone,
    quality: qualitySummary ?? null,
    frame_costs_ms: Object.fromEntries(
      Object.entries(costs).map(([k, c]) => [k, Object.fromEntries(Object.entries(c).map(([n, v]) => [n, typeof v === 'number' ? round(v) : v]))]),
    ),
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const out = [
    `Framewise bench: ${videoPath} — ${perJob} sampled frames (every ${video.every}) of ${video.width}x${video.height}, ${summary.cores} cores, batch B = ${batch}, YOLO intra-op threads ${summary.yolo_intra_op_threads}`,
    '',
    table([
      [
        'detector',
        'F1 at default',
        'run',
        'jobs',
        'frames/s',
        '× plain loop',
        '× model alone',
        'Framewise CPU ms/frame',
        'outside detector threads',
        'ffmpeg ms/frame',
        'servers ms/frame',
        'peak RSS MB',
      ],
      ...Object.entries(plainLoops).flatMap(([name, ps]) =>
        ps.map((p, i) => [
          name,
          fmt(f1At(name), 3),
          `plain loop, round ${i + 1} (Python, onnxruntime ${p.onnxruntime}, OpenCV ${p.opencv})`,
          '1',
          fmt(p.fps),
          '1.00',
          fmt(modelsAlone[name] ? p.fps / modelsAlone[name].fps : undefined),
          '–',
          '–',
          '–',
          '–',
          '–',
        ]),
      ),
      ...Object.entries(modelsAlone).map(([name, m]) => [
        name,
        fmt(f1At(name), 3),
        `model alone (Node onnxruntime, ${m.sessions} session(s) × ${m.intra_op_threads} thread(s), ${m.cpu_ms_per_frame} ms CPU/frame)`,
        '1',
        fmt(m.fps),
        '–',
        '1.00',
        '–',
        '–',
        '–',
        '–',
        '–',
      ]),
      ...entries.map((e) => [
        e.name,
        fmt(f1At(e.name), 3),
        `${e.mode}, round ${e.round} (${e.replicas} replica(s); detector alone ${fmt(e.detector_fps_batch1)} / ${fmt(e.detector_fps)} fps at b=1 / b=${e.batch})`,
        String(e.jobs),
        fmt(e.e2e_fps),
        fmt(e.ratio_vs_plain_loop ?? undefined),
        fmt(e.ratio_vs_model_alone ?? undefined),
        fmt(e.cpu_ms_per_frame.framewise, 1),
        fmt(e.cpu_ms_per_frame.outside_detector_threads, 1),
        fmt(e.cpu_ms_per_frame.decoder, 1),
        fmt(e.cpu_ms_per_frame.servers ?? undefined, 1),
        Object.entries(e.peak_rss_mb_by_process)
          .map(([k, v]) => `${k} ${v.toFixed(0)}`)
          .join(', '),
      ]),
    ]),
    '',
    "Framewise CPU = every Framewise process's own CPU during the run (/proc/<pid>/stat utime+stime) minus the model's (its CPU per frame alone × frames), per sampled frame; outside detector threads = the same CPU minus that of the threads named fw-detector (the model and the model input made beside it), which does not depend on how fast the model ran alone; ffmpeg = the runner's children; servers = Kafka, MinIO and FerretDB.",
    ...entries.map(
      (e) =>
        `  ${e.name} ${e.mode} ×${e.jobs}, round ${e.round}: by process ${Object.entries(e.cpu_ms_per_frame.by_process)
          .map(([k, v]) => `${k} ${v.own.toFixed(1)} (+ffmpeg ${v.decoder.toFixed(1)})`)
          .join(', ')}${
          Object.keys(e.cpu_ms_per_frame.servers_by_process).length
            ? `; servers ${Object.entries(e.cpu_ms_per_frame.servers_by_process)
                .map(([k, v]) => `${k} ${v.toFixed(1)}`)
                .join(', ')}`
            : ''
        }; ready at ${e.ready_seconds.join(', ')} s`,
    ),
    '',
    ...(extraction.length
      ? [
          '',
          `Extraction alone (cluster, no inference; a 120 s loop of the fixture in 10 s segments): ${extraction.map((r) => `${r.runners} runner(s) ${r.extractedFps.toFixed(1)} frames/s (${(r.extractedFps / extraction[0]!.extractedFps).toFixed(2)}×; runners ${r.runnerCpuMsPerFrame.own.toFixed(1)} + ffmpeg ${r.runnerCpuMsPerFrame.decoder.toFixed(1)} ms CPU a frame)`).join(', ')}`,
        ]
      : []),
    '',
    ...(qualitySummary ? [...qualityText(qualitySummary), ''] : []),
    "Per sampled frame, single-threaded, at each model's travel size:",
    ...Object.entries(costs).map(
      ([name, c]) =>
        `  ${name} (${c.travel.width}x${c.travel.height}): prepare ${c.prepare_ms.toFixed(2)} ms (preprocess alone ${c.preprocess_ms.toFixed(2)}; the TypeScript reference ${c.reference_prepare_ms.toFixed(1)}), model input ${fmt(c.model_input_ms)} ms; raw ${c.raw_kb.toFixed(0)} KB vs JPEG ${c.jpeg_kb.toFixed(0)} KB (encode ${c.jpeg_encode_ms.toFixed(1)} ms + decode ${c.jpeg_decode_ms.toFixed(1)} ms)`,
    ),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0), // worker threads or sockets may linger: exit once done
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
