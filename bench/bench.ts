/**
 * Framewise benchmark: how much of each detector's own speed survives the whole pipeline.
 *
 *   npm run bench [-- --video <path>] [--jobs <n>] [--passes <n>] [--detectors a,b] [--modes embedded,cluster] [--json]
 *
 * For each detector — the bundled CenterNet and a YOLOv8n-architecture ONNX model (generated once
 * into ~/.cache/framewise-bench by bench/yolov8n-model.ts; random weights, real graph):
 *  1. detector alone (bench/detector-run.ts): frames/s at batch 1 and at batch B
 *     (`FRAMEWISE_INFERENCE_BATCH_SIZE`), on the video's sampled frames as the pipeline prepares
 *     them; ffmpeg's decode frames/s is measured once beforehand;
 *  2. whole pipeline (bench/pipeline-run.ts) in each mode, on the same model as the jobs' default:
 *     `--jobs` uploads at once, e2e frames/s = frames / wall time from first upload to last `ready`;
 *     peak RSS of every process.
 * ratio = e2e fps / detector-alone fps at batch B; the target is ≥ 0.9.
 *
 * Cluster mode starts the local servers with scripts/infra/up.sh (and leaves them running; stop
 * with scripts/infra/down.sh). `--json` prints one JSON object on stdout (the foundation issue's
 * shape: `detectors[]` with name, detector_fps, e2e_fps, ratio, peak_rss_mb — one entry per detector
 * and mode — plus the new fields); progress and notes go to stderr. Nothing here is a pass/fail test.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { BUNDLED_MODEL, loadConfig, type Config } from '../src/core/config.js';
import { createCenternetDetector } from '../src/adapters/detector/tfjs-centernet.js';
import { createOnnxYoloDetector } from '../src/adapters/detector/onnx-yolo.js';
import type { Detector } from '../src/ports/detector.js';
import { ROOT } from '../scripts/cluster-local.js';
import { detectorSpeed, sampleVideo, type DetectorSpeed } from './detector-run.js';
import { runPipeline, type Mode, type PipelineRun } from './pipeline-run.js';
import { yolov8nModelPath } from './yolov8n-model.js';

const RATIO_TARGET = 0.9;
const YOLO_NAME = 'yolov8n-arch';
/** The full pedestrian clip from Debian's opencv-doc (795 frames, 768×576, 10 fps); else the test fixture cut from it. */
const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const FIXTURE = resolve(ROOT, 'test/fixtures/vtest-10s.mp4');

interface Options {
  video: string;
  jobs: number;
  passes: number;
  detectors: string[];
  modes: Mode[];
  json: boolean;
  /** Keep every pipeline process's log here, under `<detector>-<mode>/`. */
  logs?: string;
  /** onnxruntime intra-op threads of the YOLO model, alone and in the pipeline (default: onnxruntime's, one per core). */
  intraOpThreads?: number;
}

interface BenchDetector {
  name: string;
  open: () => Promise<Detector>;
  /** Stage env that makes it every job's model. */
  env: Record<string, string>;
}

function parseArgs(argv: string[]): Options {
  const positiveInt = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  };
  const list = (allowed: string[]) => (v: string): string[] => {
    const items = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = items.filter((i) => !allowed.includes(i));
    if (bad.length > 0 || items.length === 0) throw new InvalidArgumentError(`choose from ${allowed.join(', ')}`);
    return items;
  };
  const o = new Command('bench')
    .description('Detector-alone vs end-to-end frames/s of Framewise, per detector and mode, and peak RSS per process')
    .option('--video <path>', 'video to process', existsSync(VTEST) ? VTEST : FIXTURE)
    .option('--jobs <n>', 'uploads of the video submitted at once, per mode', positiveInt, 2)
    .option('--passes <n>', 'passes over the frames when timing the detector alone', positiveInt, 2)
    .option('--detectors <list>', 'detectors to measure', list([BUNDLED_MODEL, YOLO_NAME]), [BUNDLED_MODEL, YOLO_NAME])
    .option('--modes <list>', 'pipeline modes to measure', list(['embedded', 'cluster']), ['embedded', 'cluster'])
    .option('--intra-op-threads <n>', 'onnxruntime threads of the YOLO model, alone and in the pipeline (default: one per core)', positiveInt)
    .option('--logs <dir>', "keep every pipeline process's log under <dir>/<detector>-<mode>/")
    .option('--json', 'print one JSON object on stdout, nothing else', false)
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
    .parse(argv)
    .opts<{ video: string; jobs: number; passes: number; detectors: string[]; modes: Mode[]; json: boolean; intraOpThreads?: number; logs?: string }>();
  return { ...o, video: resolve(o.video) };
}

const note = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

async function benchDetectors(names: string[], config: Config, intraOpThreads?: number): Promise<BenchDetector[]> {
  const out: BenchDetector[] = [];
  for (const name of names) {
    if (name === BUNDLED_MODEL) {
      out.push({ name, open: () => createCenternetDetector(config), env: { FRAMEWISE_MODELS: '[]', FRAMEWISE_DEFAULT_MODEL: BUNDLED_MODEL } });
      continue;
    }
    const path = await yolov8nModelPath();
    const threads = intraOpThreads === undefined ? {} : { intra_op_threads: intraOpThreads };
    const spec = { name, path, max_batch: config.inferenceBatchSize, ...threads };
    out.push({
      name,
      open: () =>
        createOnnxYoloDetector({
          name,
          modelPath: path,
          confidence: config.confidence,
          iou: config.iou,
          maxBatch: config.inferenceBatchSize,
          ...(intraOpThreads === undefined ? {} : { intraOpThreads }),
        }),
      env: { FRAMEWISE_MODELS: JSON.stringify([spec]), FRAMEWISE_DEFAULT_MODEL: name },
    });
  }
  return out;
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((cell, c) => (c <= 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  return [line(rows[0]!), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  const config = loadConfig(process.env, { logLevel: 'warn' });
  const batch = config.inferenceBatchSize;
  if (opts.modes.includes('cluster')) {
    note('starting Kafka, MinIO and the MongoDB-protocol server (scripts/infra/up.sh)');
    execFileSync('bash', [resolve(ROOT, 'scripts/infra/up.sh')], { stdio: ['ignore', 2, 2] });
  }
  const video = await sampleVideo(opts.video, config);
  const perJob = video.frames.length;
  note(`${opts.video}: ${perJob} sampled frames (every ${video.every}) of ${video.width}x${video.height}; ffmpeg decodes ${video.decodeFps.toFixed(0)} sampled frames/s`);

  const entries = [];
  for (const d of await benchDetectors(opts.detectors, config, opts.intraOpThreads)) {
    note(`${d.name}: detector alone, batch 1 and batch ${batch}, ${opts.passes} pass(es)`);
    const speed: DetectorSpeed = await detectorSpeed(d.open, video.frames, opts.passes, batch);
    note(`${d.name}: ${speed.batch1Fps.toFixed(2)} frames/s at batch 1, ${speed.batchFps.toFixed(2)} at batch ${batch}`);
    for (const mode of opts.modes) {
      const bar = opts.json
        ? undefined
        : new cliProgress.SingleBar({ stream: process.stderr, format: `${d.name} ${mode} [{bar}] {value}/{total} frames | {duration_formatted}`, hideCursor: true }, cliProgress.Presets.shades_classic);
      bar?.start(perJob * opts.jobs, 0);
      let run: PipelineRun;
      try {
        run = await runPipeline(mode, d.env, opts.video, opts.jobs, perJob, (done) => bar?.update(done), opts.logs && resolve(opts.logs, `${d.name}-${mode}`));
      } finally {
        bar?.stop();
      }
      const ratio = run.e2eFps / speed.batchFps;
      entries.push({
        name: d.name,
        mode,
        batch,
        detector_fps: round(speed.batchFps),
        detector_fps_batch1: round(speed.batch1Fps),
        e2e_fps: round(run.e2eFps),
        ratio: round(ratio, 3),
        decode_fps: round(video.decodeFps, 1),
        peak_rss_mb: round(Math.max(...Object.values(run.peakRssMb)), 1),
        peak_rss_mb_by_process: Object.fromEntries(Object.entries(run.peakRssMb).map(([k, v]) => [k, round(v, 1)])),
        detector_alone_peak_rss_mb: round(speed.peakRssMb, 1),
        wall_seconds: round(run.wallSeconds),
        frames: run.frames,
      });
      note(`${d.name} ${mode}: ${run.frames} frames in ${run.wallSeconds.toFixed(1)} s = ${run.e2eFps.toFixed(2)} frames/s (ratio ${ratio.toFixed(3)})`);
    }
  }

  if (opts.json) {
    process.stdout.write(
      JSON.stringify({
        detectors: entries,
        video: opts.video,
        sampled_frames: perJob,
        every: video.every,
        repeat: opts.jobs,
        batch,
        frame_format: config.frameFormat,
        yolo_intra_op_threads: opts.intraOpThreads ?? 'onnxruntime default (one per core)',
        decode_fps: round(video.decodeFps, 1),
        frame_costs_ms: Object.fromEntries(Object.entries(video.costs).map(([k, v]) => [k, round(v)])),
        ratio_target: RATIO_TARGET,
      }) + '\n',
    );
    return;
  }
  const c = video.costs;
  const out = [
    `Framewise bench: ${opts.video} — ${perJob} sampled frames (every ${video.every}) of ${video.width}x${video.height}, ${opts.jobs} jobs at once per mode, batch B = ${batch}, frames as ${config.frameFormat}, YOLO intra-op threads ${opts.intraOpThreads ?? 'default'}`,
    '',
    table([
      ['detector', 'mode', 'alone b=1 fps', `alone b=${batch} fps`, 'e2e fps', 'ratio', 'decode fps', 'peak RSS MB (per process)'],
      ...entries.map((e) => [
        e.name,
        e.mode,
        e.detector_fps_batch1.toFixed(2),
        e.detector_fps.toFixed(2),
        e.e2e_fps.toFixed(2),
        e.ratio.toFixed(3),
        e.decode_fps.toFixed(0),
        Object.entries(e.peak_rss_mb_by_process).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', '),
      ]),
    ]),
    '',
    `ratio = e2e fps / detector-alone fps at batch ${batch}; target ≥ ${RATIO_TARGET}: ${entries.map((e) => `${e.name}/${e.mode} ${e.ratio >= RATIO_TARGET ? 'met' : 'NOT met'}`).join(', ')}`,
    `Per sampled frame around detection (single-threaded): preprocess ${c.preprocess_ms.toFixed(1)} ms, ${config.frameFormat} encode ${c.frame_encode_ms.toFixed(1)} ms (${c.frame_kb.toFixed(0)} KB), decode ${c.frame_decode_ms.toFixed(1)} ms`,
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
