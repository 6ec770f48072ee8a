/**
 * Framewise benchmark: how much of the detector's raw speed survives the whole pipeline.
 *
 *   npm run bench [-- --video <path>] [--repeat <n>] [--json] [--instrument]
 *
 * Phase 1 (detector only): the video's sampled frames are decoded with FfmpegFrameSource,
 * preprocessed exactly as the runner does and JPEG round-tripped with SharpJpegCodec (all outside
 * the timing, so the detector sees the pixels it sees in the pipeline); after 2 warm-up calls only
 * `detector.detect([frame])` is timed, one frame at a time, over all frames × repeat. The detector
 * is closed before phase 2 so two detectors never compete for the CPU.
 *
 * Phase 2 (end to end): embedded mode in this process on a fresh temp dir; the video is uploaded
 * over real HTTP `repeat` times, one after another, polling the result every 100 ms until `ready`.
 * e2e fps = sampled frames × repeat / wall time from just before the first upload to the last
 * `ready` seen.
 *
 * Peak RSS: `process.resourceUsage().maxRSS` at the end (both phases), plus the peak of RSS sampled
 * every 100 ms during phase 2 alone.
 *
 * `--json` prints exactly one JSON object on stdout; everything else (logs, progress) goes to stderr.
 * `--instrument` adds diagnostics: a timing wrapper around the (identically configured) detector
 * injected into embedded mode, to see how busy the detector was during phase 2, and a micro-benchmark
 * of one SQLite bus publish / offset commit on the same pragmas as the service.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import pino from 'pino';
import { loadConfig, type Config } from '../src/core/config.js';
import { startEmbedded, type EmbeddedService } from '../src/modes/embedded.js';
import { createCenternetDetector, CENTERNET_MODEL_NAME } from '../src/adapters/detector/tfjs-centernet.js';
import { FfmpegFrameSource } from '../src/adapters/frame-source/ffmpeg.js';
import { SharpJpegCodec } from '../src/adapters/frame-codec/sharp.js';
import { preprocess, type PreprocessOptions } from '../src/core/preprocess.js';
import { sampleEvery } from '../src/core/sampling.js';
import { openDatabase } from '../src/adapters/sqlite/database.js';
import { SqliteLogBus } from '../src/adapters/bus/sqlite-log.js';
import type { Detector } from '../src/ports/detector.js';
import type { FrameImage } from '../src/core/types.js';

const RATIO_TARGET = 0.85;
const POLL_MS = 100;
const RSS_SAMPLE_MS = 100;
const WARMUP_CALLS = 2;
const MB = 1024 * 1024;

interface Options {
  video: string;
  repeat: number;
  json: boolean;
  instrument: boolean;
}

/** Per-frame costs (ms) of the work the runner does around detection, measured in phase 1. */
interface StageCosts {
  decode_ms: number;
  preprocess_ms: number;
  jpeg_encode_ms: number;
  jpeg_decode_ms: number;
  jpeg_kb: number;
}

interface DetectorPhase {
  frames: FrameImage[];
  every: number;
  detectorFps: number;
  detectMsPerFrame: number;
  costs: StageCosts;
}

interface E2ePhase {
  wallSeconds: number;
  e2eFps: number;
  rssPeakMb: number;
  jobSeconds: number[];
  /** With --instrument: time the detector spent inside detect() during phase 2. */
  detectorBusySeconds?: number;
  detectCalls?: number;
}

function parseArgs(argv: string[]): Options {
  const positiveInt = (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  };
  const program = new Command('bench')
    .description('Detector-only vs end-to-end frames/s of Framewise (embedded mode), and peak RSS')
    .option('--video <path>', 'video to process', 'test/fixtures/vtest-10s.mp4')
    .option('--repeat <n>', 'uploads (and detector passes) one after another', positiveInt, 3)
    .option('--json', 'print one JSON object on stdout, nothing else', false)
    .option('--instrument', 'extra diagnostics: detector busy time in phase 2, SQLite write cost', false)
    .configureOutput({ writeOut: (s) => process.stderr.write(s), writeErr: (s) => process.stderr.write(s) })
    .parse(argv);
  const o = program.opts<{ video: string; repeat: number; json: boolean; instrument: boolean }>();
  return { video: resolve(o.video), repeat: o.repeat, json: o.json, instrument: o.instrument };
}

/** Progress/notes for a person: stderr only, so stdout stays parseable. */
function note(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function preprocessingOf(config: Config): PreprocessOptions {
  return {
    blur: { enabled: config.blur, ksize: config.blurKsize },
    contrast: { enabled: config.contrast, alpha: config.contrastAlpha, beta: config.contrastBeta },
  };
}

/** A frame whose pixels live in their own, detachable ArrayBuffer (detect() transfers it). */
function freshCopy(f: FrameImage): FrameImage {
  return { width: f.width, height: f.height, data: f.data.slice() };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: the detector alone
// ---------------------------------------------------------------------------------------------

async function benchDetector(opts: Options, config: Config): Promise<DetectorPhase> {
  const source = new FfmpegFrameSource({ ffmpegPath: config.ffmpegPath, ffprobePath: config.ffprobePath, decodeErrors: config.decodeErrors });
  const codec = new SharpJpegCodec(config.jpegQuality);
  const preprocessing = preprocessingOf(config);
  const info = await source.probe(opts.video);
  const every = sampleEvery(config.sampleFps ? { targetFps: config.sampleFps } : { everyNFrames: config.sampleEvery }, info.fps);

  // Frames exactly as the inference stage receives them: decode → preprocess → JPEG → raw.
  const frames: FrameImage[] = [];
  const t = { decode: 0, preprocess: 0, encode: 0, decodeJpeg: 0, bytes: 0 };
  let mark = performance.now();
  for await (const { image } of source.frames(opts.video, every)) {
    let now = performance.now();
    t.decode += now - mark;
    const pre = preprocess(image, preprocessing);
    t.preprocess += performance.now() - now;
    now = performance.now();
    const jpeg = await codec.encode(pre);
    t.encode += performance.now() - now;
    t.bytes += jpeg.length;
    now = performance.now();
    const decoded = await codec.decode(jpeg);
    t.decodeJpeg += performance.now() - now;
    frames.push(freshCopy(decoded)); // own buffer, not sharp's external memory
    mark = performance.now();
  }
  if (frames.length === 0) throw new Error(`no frames decoded from ${opts.video}`);
  const n = frames.length;
  const costs: StageCosts = {
    decode_ms: t.decode / n,
    preprocess_ms: t.preprocess / n,
    jpeg_encode_ms: t.encode / n,
    jpeg_decode_ms: t.decodeJpeg / n,
    jpeg_kb: t.bytes / n / 1024,
  };
  note(`phase 1: ${n} sampled frames (every ${every}) of ${info.width}x${info.height}; loading detector`);

  const detector = await createCenternetDetector({ confidence: config.confidence, iou: config.iou });
  try {
    for (let i = 0; i < WARMUP_CALLS; i++) await detector.detect([freshCopy(frames[i % n]!)]);
    let busy = 0;
    const perCall: number[] = [];
    for (let r = 0; r < opts.repeat; r++) {
      for (const f of frames) {
        const copy = freshCopy(f); // outside the timed region
        const start = performance.now();
        await detector.detect([copy]);
        const ms = performance.now() - start;
        busy += ms;
        perCall.push(ms);
      }
    }
    const calls = perCall.length;
    const detectorFps = calls / (busy / 1000);
    perCall.sort((a, b) => a - b);
    const pct = (p: number) => perCall[Math.min(calls - 1, Math.floor(p * calls))]!.toFixed(0);
    note(`phase 1: ${calls} detect calls, mean ${(busy / calls).toFixed(1)} ms (p50 ${pct(0.5)}, p90 ${pct(0.9)}, max ${pct(1)}) → ${detectorFps.toFixed(2)} frames/s`);
    return { frames, every, detectorFps, detectMsPerFrame: busy / calls, costs };
  } finally {
    await detector.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Phase 2: the whole pipeline, over HTTP
// ---------------------------------------------------------------------------------------------

interface ResultBody {
  status: string;
  event_id?: string;
  reason?: string;
  prediction?: unknown[];
  processing_time_seconds?: number;
  progress?: { frames_done?: number; frames_total?: number | null; frames_expected?: number | null };
}

/**
 * Wraps a detector to measure how long it had work (diagnostics only): the time during which at
 * least one detect() call was outstanding (calls overlap with inference concurrency > 1).
 */
function timedDetector(inner: Detector): { detector: Detector; stats: { busyMs: number; calls: number } } {
  const stats = { busyMs: 0, calls: 0 };
  let inFlight = 0;
  let since = 0;
  return {
    stats,
    detector: {
      name: inner.name,
      sha256: inner.sha256,
      async detect(frames) {
        if (inFlight++ === 0) since = performance.now();
        try {
          return await inner.detect(frames);
        } finally {
          stats.calls++;
          if (--inFlight === 0) stats.busyMs += performance.now() - since;
        }
      },
      close: () => inner.close(),
    },
  };
}

async function uploadVideo(url: string, video: Blob, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', video, name);
  const res = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form });
  const text = await res.text();
  if (!res.ok) throw new Error(`upload failed: HTTP ${res.status}: ${text.slice(0, 500)}`);
  const body = JSON.parse(text) as { status?: string; event_id?: string };
  if (body.status !== 'ok' || !body.event_id) throw new Error(`upload not accepted: ${text.slice(0, 500)}`);
  return body.event_id;
}

async function waitReady(url: string, id: string, onProgress: (framesDone: number) => void): Promise<ResultBody> {
  for (;;) {
    const res = await fetch(`${url}/api/result_video/${id}`);
    const text = await res.text();
    if (!res.ok) throw new Error(`result of ${id}: HTTP ${res.status}: ${text.slice(0, 500)}`);
    const body = JSON.parse(text) as ResultBody;
    if (body.status === 'ready') return body;
    if (body.status === 'failed') throw new Error(`job ${id} failed: ${body.reason ?? 'no reason given'}`);
    if (body.progress?.frames_done !== undefined) onProgress(body.progress.frames_done);
    await sleep(POLL_MS);
  }
}

async function benchEndToEnd(opts: Options, sampledFrames: number): Promise<E2ePhase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'framewise-bench-'));
  const config = loadConfig(process.env, { port: 0, dataDir, logLevel: 'warn' });
  const log = pino({ level: config.logLevel }, pino.destination(2)); // stderr: stdout stays parseable
  const video = new Blob([await readFile(opts.video)], { type: 'video/mp4' });
  const name = basename(opts.video);
  const total = sampledFrames * opts.repeat;

  let rssPeak = process.memoryUsage().rss;
  const sampleRss = (): void => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  };
  const sampler = setInterval(sampleRss, RSS_SAMPLE_MS);

  let service: EmbeddedService | undefined;
  let timing: ReturnType<typeof timedDetector> | undefined;
  const bar = opts.json
    ? undefined
    : new cliProgress.SingleBar(
        { stream: process.stderr, format: 'e2e [{bar}] {value}/{total} frames | {percentage}% | {duration_formatted}', hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
  try {
    if (opts.instrument) {
      timing = timedDetector(await createCenternetDetector({ confidence: config.confidence, iou: config.iou }));
      service = await startEmbedded(config, log, { detector: timing.detector });
    } else {
      service = await startEmbedded(config, log);
    }
    note(`phase 2: embedded mode at ${service.url}, data in ${dataDir}; ${opts.repeat} upload(s) of ${name}`);
    bar?.start(total, 0);

    const jobSeconds: number[] = [];
    let doneBefore = 0;
    const start = performance.now();
    for (let r = 0; r < opts.repeat; r++) {
      const id = await uploadVideo(service.url, video, name);
      const result = await waitReady(service.url, id, (done) => bar?.update(Math.min(total, doneBefore + done)));
      const frames = result.prediction?.length ?? 0;
      if (frames !== sampledFrames) throw new Error(`job ${id} is ready with ${frames} frames, expected ${sampledFrames}`);
      doneBefore += frames;
      bar?.update(doneBefore);
      jobSeconds.push(result.processing_time_seconds ?? Number.NaN);
    }
    const wallSeconds = (performance.now() - start) / 1000;
    sampleRss();
    bar?.stop();
    return {
      wallSeconds,
      e2eFps: total / wallSeconds,
      rssPeakMb: rssPeak / MB,
      jobSeconds,
      ...(timing ? { detectorBusySeconds: timing.stats.busyMs / 1000, detectCalls: timing.stats.calls } : {}),
    };
  } finally {
    bar?.stop();
    clearInterval(sampler);
    await service?.close().catch((err: unknown) => note(`closing the service failed: ${String(err)}`));
    if (!service && timing) await timing.detector.close().catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Diagnostics (--instrument): the cost of one durable SQLite write, on the service's pragmas
// ---------------------------------------------------------------------------------------------

async function sqliteWriteCost(frames: FrameImage[], config: Config): Promise<{ publish_ms: number; commit_ms: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'framewise-bench-sqlite-'));
  const db = openDatabase(join(dir, 'bench.db'));
  try {
    const bus = new SqliteLogBus(db);
    const codec = new SharpJpegCodec(config.jpegQuality);
    const jpegs = await Promise.all(frames.map((f) => codec.encode(f)));
    const commit = db.prepare('INSERT INTO bus_offsets (group_id, topic, committed) VALUES (?, ?, ?) ON CONFLICT (group_id, topic) DO UPDATE SET committed = excluded.committed');
    let pub = 0;
    let com = 0;
    for (const [i, jpeg] of jpegs.entries()) {
      let t = performance.now();
      await bus.publish('bench', [{ key: `bench/${i}`, value: jpeg, headers: { frame: String(i) } }]);
      pub += performance.now() - t;
      t = performance.now();
      commit.run('bench-group', 'bench', i + 1);
      com += performance.now() - t;
    }
    await bus.close();
    return { publish_ms: pub / jpegs.length, commit_ms: com / jpegs.length };
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => '| ' + r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join(' | ') + ' |';
  const sep = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  // The same settings embedded mode will use (env applies to both phases alike).
  const config = loadConfig(process.env, { logLevel: 'warn' });

  const p1 = await benchDetector(opts, config);
  const sampledFrames = p1.frames.length;
  const sqlite = opts.instrument ? await sqliteWriteCost(p1.frames, config) : undefined;
  const p2 = await benchEndToEnd(opts, sampledFrames);
  const peakRssMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

  const ratio = p2.e2eFps / p1.detectorFps;
  const detectorEntry = {
    name: CENTERNET_MODEL_NAME,
    detector_fps: round(p1.detectorFps),
    e2e_fps: round(p2.e2eFps),
    ratio: round(ratio, 3),
    peak_rss_mb: round(peakRssMb, 1),
    e2e_rss_peak_mb: round(p2.rssPeakMb, 1),
  };

  if (opts.json) {
    process.stdout.write(
      JSON.stringify({
        detectors: [detectorEntry],
        video: opts.video,
        sampled_frames: sampledFrames,
        repeat: opts.repeat,
      }) + '\n',
    );
    return;
  }

  const out: string[] = [];
  out.push(`Framewise bench: ${opts.video}`);
  out.push(`${sampledFrames} sampled frames (every ${p1.every}) × ${opts.repeat} repeat(s); ${config.blur ? `blur k=${config.blurKsize}` : 'no blur'}, ${config.contrast ? `contrast ${config.contrastAlpha}/${config.contrastBeta}` : 'no contrast'}, JPEG q${config.jpegQuality}, inference concurrency ${config.inferenceConcurrency}`);
  out.push('');
  out.push(
    table([
      ['detector', 'detector fps', 'e2e fps', 'ratio', 'peak RSS MB'],
      [detectorEntry.name, detectorEntry.detector_fps.toFixed(2), detectorEntry.e2e_fps.toFixed(2), detectorEntry.ratio.toFixed(3), detectorEntry.peak_rss_mb.toFixed(1)],
    ]),
  );
  out.push('');
  out.push(`Target: e2e fps / detector fps ≥ ${RATIO_TARGET} — ${ratio >= RATIO_TARGET ? 'MET' : 'NOT MET'} (ratio ${ratio.toFixed(3)})`);
  out.push('');
  out.push(`Peak RSS: ${peakRssMb.toFixed(1)} MB for the whole run (maxRSS), ${p2.rssPeakMb.toFixed(1)} MB sampled during phase 2 alone`);
  out.push(`Detector alone: ${p1.detectMsPerFrame.toFixed(1)} ms/frame. End to end: ${p2.wallSeconds.toFixed(2)} s wall for ${sampledFrames * opts.repeat} frames = ${((p2.wallSeconds * 1000) / (sampledFrames * opts.repeat)).toFixed(1)} ms/frame`);
  out.push(`Per-job processing_time_seconds: ${p2.jobSeconds.map((s) => s.toFixed(2)).join(', ')}`);
  const c = p1.costs;
  out.push(
    `Per-frame work around detection (phase 1, single-threaded, no contention): ffmpeg decode ${c.decode_ms.toFixed(1)} ms, preprocess ${c.preprocess_ms.toFixed(1)} ms, JPEG encode ${c.jpeg_encode_ms.toFixed(1)} ms (${c.jpeg_kb.toFixed(0)} KB), JPEG decode ${c.jpeg_decode_ms.toFixed(1)} ms`,
  );
  if (sqlite) out.push(`SQLite (WAL, synchronous=FULL): bus publish of one JPEG ${sqlite.publish_ms.toFixed(2)} ms, offset commit ${sqlite.commit_ms.toFixed(2)} ms`);
  if (p2.detectorBusySeconds !== undefined) {
    const busy = p2.detectorBusySeconds;
    out.push(
      `Detector during phase 2: ${p2.detectCalls} calls, busy ${busy.toFixed(2)} s of ${p2.wallSeconds.toFixed(2)} s wall (${((100 * busy) / p2.wallSeconds).toFixed(0)}%), ${((busy * 1000) / (p2.detectCalls || 1)).toFixed(1)} ms/call (vs ${p1.detectMsPerFrame.toFixed(1)} alone)`,
    );
  }
  process.stdout.write(out.join('\n') + '\n');
}

main().then(
  () => process.exit(0), // worker threads, sockets or timers may linger: exit once cleaned up
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
