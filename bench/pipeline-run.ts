/**
 * Bench, whole pipeline: Framewise started as it is deployed — embedded mode as one `framewise
 * serve` process, or cluster mode as one process per stage on the local Kafka, MinIO and
 * MongoDB-protocol server (scripts/infra) — the video uploaded `jobs` times at once over HTTP, and
 * the wall time from the first upload to the last job `ready`. For every process: its CPU over that
 * time (its own, and its waited-for children's: the runner's ffmpeg) from /proc/<pid>/stat, read
 * just before the first upload and just after the last job is ready, and its peak RSS (VmHWM) just
 * before it is stopped. The local servers' CPU is read the same way from their pid files.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, startStage, stopAll, type StageProcess } from '../scripts/cluster-local.js';
import { cpuOf, peakRssMb, threadsCpuMs, type CpuSample } from './proc-stat.js';
import { DETECTOR_THREAD_NAME } from '../src/adapters/detector/thread/serve.js';

export type Mode = 'embedded' | 'cluster';

export interface PipelineRun {
  wallSeconds: number;
  frames: number;
  e2eFps: number;
  /** Seconds from the first upload to each job's `ready`, in upload order. */
  readySeconds: number[];
  /** Peak RSS (MB) by process name (`embedded`, or `api`, `relay`, `runner-1`, …). */
  peakRssMb: Record<string, number>;
  /** CPU (ms) during the run by Framewise process name: its own, and its children's (ffmpeg). */
  cpuMs: Record<string, CpuSample>;
  /** Of that, the CPU (ms) of each process's detector threads (the model, and the model input made there). */
  detectorThreadsMs: Record<string, number>;
  /** CPU (ms) during the run of the local servers (cluster mode): kafka, minio, mongo. */
  serverCpuMs: Record<string, number>;
}

interface ResultBody {
  prediction?: unknown[];
}

async function upload(url: string, video: Blob, name: string): Promise<string> {
  const form = new FormData();
  form.append('file', video, name);
  const res = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form });
  const text = await res.text();
  const body = JSON.parse(text) as { status?: string; event_id?: string };
  if (!res.ok || body.status !== 'ok' || !body.event_id) throw new Error(`upload refused: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return body.event_id;
}

/** Polls the job's status until `ready` (then its frame count, from the result) or `failed` (an error). */
async function framesWhenReady(url: string, id: string, onProgress: (done: number) => void): Promise<number> {
  for (;;) {
    const res = await fetch(`${url}/api/status/${id}`);
    const body = (await res.json()) as { status: string; reason?: string; frames_done?: number };
    if (body.status === 'ready') {
      const result = (await (await fetch(`${url}/api/result_video/${id}`)).json()) as ResultBody;
      return result.prediction?.length ?? 0;
    }
    if (body.status === 'failed') throw new Error(`job ${id} failed: ${body.reason}`);
    onProgress(body.frames_done ?? 0);
    // As a client polls (every read is a query of the databases, whose CPU the bench counts).
    await sleep(250);
  }
}

const SERVERS = ['kafka', 'minio', 'mongo'] as const;

async function serverPids(): Promise<Record<string, number>> {
  const dir = join(process.env.FRAMEWISE_INFRA_DIR ?? join(homedir(), '.cache', 'framewise-infra'), 'run', 'pids');
  const out: Record<string, number> = {};
  for (const s of SERVERS) {
    const pid = Number((await readFile(join(dir, `${s}.pid`), 'utf8').catch(() => '')).trim());
    if (pid > 0) out[s] = pid;
  }
  return out;
}

async function start(mode: Mode, env: Record<string, string>, dataDir: string, runners: number, logDir?: string): Promise<StageProcess[]> {
  if (logDir) await mkdir(logDir, { recursive: true });
  if (mode === 'embedded')
    return [await startStage('serve', 'embedded', { ...env, FRAMEWISE_PORT: '0', FRAMEWISE_DATA_DIR: dataDir }, logDir && join(logDir, 'embedded.log'))];
  for (const [k, v] of Object.entries(env)) process.env[k] = v; // startCluster passes this process's env on
  return startCluster({ runners, inference: 1 }, logDir);
}

export interface PipelineOptions {
  mode: Mode;
  /** Stage env (the model settings). */
  env: Record<string, string>;
  video: string;
  jobs: number;
  /** Each job's sampled frame count. */
  expectFrames: number;
  onProgress: (done: number, total: number) => void;
  /** Runners in cluster mode (default 1). */
  runners?: number;
  /** Where each process logs (`<name>.log`); default: kept in memory, its tail shown on failure. */
  logDir?: string;
}

/** Runs `jobs` uploads of `video` at once through `mode`. */
export async function runPipeline(o: PipelineOptions): Promise<PipelineRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'framewise-bench-'));
  let procs: StageProcess[] = [];
  try {
    procs = await start(o.mode, o.env, dataDir, o.runners ?? 1, o.logDir);
    const url = procs.find((p) => p.stage === 'api' || p.stage === 'serve')!.url!;
    const blob = new Blob([await readFile(o.video)]);
    const done = new Array<number>(o.jobs).fill(0);
    const report = () =>
      o.onProgress(
        done.reduce((a, b) => a + b, 0),
        o.jobs * o.expectFrames,
      );
    const servers = o.mode === 'cluster' ? await serverPids() : {};
    // Let start-up work (model warm-up, consumer joins) settle before the CPU is read.
    await sleep(1000);
    const cpu0 = await Promise.all(procs.map((p) => cpuOf(p.proc.pid!)));
    const detector0 = await Promise.all(procs.map((p) => threadsCpuMs(p.proc.pid, DETECTOR_THREAD_NAME)));
    const server0 = await Promise.all(Object.values(servers).map((pid) => cpuOf(pid)));
    const t0 = performance.now();
    const ids: string[] = [];
    // In upload order, each as soon as the previous is accepted (as a user submitting a queue).
    for (let i = 0; i < o.jobs; i++) ids.push(await upload(url, blob, basename(o.video)));
    const readySeconds: number[] = [];
    const counts = await Promise.all(
      ids.map((id, i) =>
        framesWhenReady(url, id, (n) => {
          done[i] = n;
          report();
        }).then((c) => {
          readySeconds[i] = (performance.now() - t0) / 1000;
          return c;
        }),
      ),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu1 = await Promise.all(procs.map((p) => cpuOf(p.proc.pid!)));
    const detector1 = await Promise.all(procs.map((p) => threadsCpuMs(p.proc.pid, DETECTOR_THREAD_NAME)));
    const server1 = await Promise.all(Object.values(servers).map((pid) => cpuOf(pid)));
    counts.forEach((c, i) => {
      if (c !== o.expectFrames) throw new Error(`job ${ids[i]} is ready with ${c} frames, expected ${o.expectFrames}`);
    });
    const cpuMs: Record<string, CpuSample> = {};
    procs.forEach((p, i) => (cpuMs[p.name] = { ownMs: cpu1[i]!.ownMs - cpu0[i]!.ownMs, childrenMs: cpu1[i]!.childrenMs - cpu0[i]!.childrenMs }));
    const detectorThreadsMs: Record<string, number> = {};
    procs.forEach((p, i) => (detectorThreadsMs[p.name] = detector1[i]! - detector0[i]!));
    const serverCpuMs: Record<string, number> = {};
    Object.keys(servers).forEach((s, i) => (serverCpuMs[s] = server1[i]!.ownMs - server0[i]!.ownMs));
    const peak: Record<string, number> = {};
    for (const p of procs) peak[p.name] = await peakRssMb(p.proc.pid);
    const frames = o.jobs * o.expectFrames;
    return { wallSeconds, frames, e2eFps: frames / wallSeconds, readySeconds, peakRssMb: peak, cpuMs, detectorThreadsMs, serverCpuMs };
  } catch (err) {
    const tails = procs.map((p) => `--- ${p.name}\n${p.log.slice(-15).join('\n')}`).join('\n');
    throw new Error(`${o.mode} run failed: ${(err as Error).message}\n${tails}`, { cause: err });
  } finally {
    await stopAll(procs);
    await rm(dataDir, { recursive: true, force: true });
  }
}

export interface ExtractionRun {
  runners: number;
  frames: number;
  segments: number;
  wallSeconds: number;
  /** Sampled frames extracted (decoded, prepared, published) per second. */
  extractedFps: number;
  /** CPU (ms) per sampled frame of the runners: their own, and their ffmpeg's. */
  runnerCpuMsPerFrame: { own: number; decoder: number };
}

/**
 * Extraction alone, in cluster mode: one upload of `video` through api, relay, publisher and
 * `runners` runners with no inference worker, pacing off (frames wait in Kafka), timed from the
 * upload until the job's frame total is known (every segment extracted). The frames left on
 * `inference_tasks` are deleted afterwards (Kafka DeleteRecords), so no later run sees them.
 */
export async function runExtraction(o: {
  env: Record<string, string>;
  video: string;
  runners: number;
  brokers: string[];
  logDir?: string;
}): Promise<ExtractionRun> {
  const { Admin, Consumer } = await import('@platformatic/kafka');
  const env = { ...o.env, FRAMEWISE_MAX_FRAMES_IN_FLIGHT: '1000000' };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env); // startCluster passes this process's env on
  const procs = await startCluster({ runners: o.runners, inference: 0 }, o.logDir).finally(() => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  });
  try {
    const url = procs.find((p) => p.stage === 'api')!.url!;
    const runners = procs.filter((p) => p.stage === 'runner');
    await sleep(1000);
    const cpu0 = await Promise.all(runners.map((p) => cpuOf(p.proc.pid!)));
    const t0 = performance.now();
    const id = await upload(url, new Blob([await readFile(o.video)]), basename(o.video));
    let frames = 0;
    for (;;) {
      const s = (await (await fetch(`${url}/api/status/${id}`)).json()) as { status: string; reason?: string; frames_total?: number | null };
      if (s.status === 'failed') throw new Error(`job ${id} failed: ${s.reason}`);
      if (typeof s.frames_total === 'number') {
        frames = s.frames_total;
        break;
      }
      await sleep(50);
    }
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpu1 = await Promise.all(runners.map((p) => cpuOf(p.proc.pid!)));
    const own = cpu1.reduce((a, c, i) => a + c.ownMs - cpu0[i]!.ownMs, 0);
    const decoder = cpu1.reduce((a, c, i) => a + c.childrenMs - cpu0[i]!.childrenMs, 0);
    const segments = runners.reduce((n, p) => n + p.log.filter((l) => l.includes('"segment extracted"')).length, 0);
    return {
      runners: o.runners,
      frames,
      segments: Math.max(1, segments),
      wallSeconds,
      extractedFps: frames / wallSeconds,
      runnerCpuMsPerFrame: { own: own / frames, decoder: decoder / frames },
    };
  } finally {
    await stopAll(procs);
    // The frames no inference worker took: gone, so the next run's workers do not meet them. The
    // inference group's offsets move past them too: a committed offset below the log's new start is
    // out of range, and @platformatic/kafka 1.x does not reset it (fixed in 2.x, which needs
    // Node 22+), so the next run's inference worker would stall. No worker is running here, so the
    // group is empty and its offsets may be altered.
    const reader = new Consumer({ clientId: 'framewise-bench-offsets', groupId: `bench-offsets-${process.pid}`, bootstrapBrokers: o.brokers });
    const admin = new Admin({ clientId: 'framewise-bench-admin', bootstrapBrokers: o.brokers });
    try {
      const ends = (await reader.listOffsets({ topics: ['inference_tasks'] })).get('inference_tasks') ?? [];
      await admin.deleteRecords({ topics: [{ name: 'inference_tasks', partitions: ends.map((offset, partition) => ({ partition, offset })) }] });
      await admin.alterConsumerGroupOffsets({
        groupId: 'inference-group',
        topics: [{ name: 'inference_tasks', partitionOffsets: ends.map((offset, partition) => ({ partition, offset })) }],
      });
    } finally {
      await reader.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
    }
  }
}
