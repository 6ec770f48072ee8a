/**
 * Bench, whole pipeline: Framewise started as it is deployed — embedded mode as one `framewise
 * serve` process, or cluster mode as one process per stage on the local Kafka, MinIO and
 * MongoDB-protocol server (scripts/infra) — the video uploaded `jobs` times at once over HTTP, and
 * the wall time from the first upload to the last job `ready`. Peak RSS of every process is read
 * from /proc (VmHWM) just before it is stopped.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, startStage, stopAll, type StageProcess } from '../scripts/cluster-local.js';

export type Mode = 'embedded' | 'cluster';

export interface PipelineRun {
  wallSeconds: number;
  frames: number;
  e2eFps: number;
  /** Peak RSS (MB) by process name (`embedded`, or `api`, `relay`, `runner-1`, …). */
  peakRssMb: Record<string, number>;
}

interface ResultBody {
  status: string;
  reason?: string;
  prediction?: unknown[];
  progress?: { frames_done?: number };
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

/** Polls until the job is `ready` (its frame count) or `failed` (an error). */
async function framesWhenReady(url: string, id: string, onProgress: (done: number) => void): Promise<number> {
  for (;;) {
    const res = await fetch(`${url}/api/result_video/${id}`);
    const body = (await res.json()) as ResultBody;
    if (body.status === 'ready') return body.prediction?.length ?? 0;
    if (body.status === 'failed') throw new Error(`job ${id} failed: ${body.reason}`);
    onProgress(body.progress?.frames_done ?? 0);
    await sleep(100);
  }
}

/** VmHWM (peak resident set) of a live process, in MB. */
async function peakRssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : Number.NaN;
}

async function start(mode: Mode, env: Record<string, string>, dataDir: string, logDir?: string): Promise<StageProcess[]> {
  if (logDir) await mkdir(logDir, { recursive: true });
  if (mode === 'embedded') return [await startStage('serve', 'embedded', { ...env, FRAMEWISE_PORT: '0', FRAMEWISE_DATA_DIR: dataDir }, logDir && join(logDir, 'embedded.log'))];
  for (const [k, v] of Object.entries(env)) process.env[k] = v; // startCluster passes this process's env on
  return startCluster({ runners: 1, inference: 1 }, logDir);
}

/**
 * Runs `jobs` uploads of `video` at once through `mode` with the stage env `env` (the model
 * settings); `expectFrames` is each job's sampled frame count.
 */
export async function runPipeline(
  mode: Mode,
  env: Record<string, string>,
  video: string,
  jobs: number,
  expectFrames: number,
  onProgress: (done: number, total: number) => void,
  /** Where each process logs (`<name>.log`); default: kept in memory, its tail shown on failure. */
  logDir?: string,
): Promise<PipelineRun> {
  const dataDir = await mkdtemp(join(tmpdir(), 'framewise-bench-'));
  let procs: StageProcess[] = [];
  try {
    procs = await start(mode, env, dataDir, logDir);
    const url = procs.find((p) => p.stage === 'api' || p.stage === 'serve')!.url!;
    const blob = new Blob([await readFile(video)]);
    const done = new Array<number>(jobs).fill(0);
    const report = () => onProgress(done.reduce((a, b) => a + b, 0), jobs * expectFrames);
    const t0 = performance.now();
    const ids = await Promise.all(Array.from({ length: jobs }, () => upload(url, blob, basename(video))));
    const counts = await Promise.all(
      ids.map((id, i) =>
        framesWhenReady(url, id, (n) => {
          done[i] = n;
          report();
        }),
      ),
    );
    const wallSeconds = (performance.now() - t0) / 1000;
    counts.forEach((c, i) => {
      if (c !== expectFrames) throw new Error(`job ${ids[i]} is ready with ${c} frames, expected ${expectFrames}`);
    });
    const peak: Record<string, number> = {};
    for (const p of procs) peak[p.name] = await peakRssMb(p.proc.pid);
    const frames = jobs * expectFrames;
    return { wallSeconds, frames, e2eFps: frames / wallSeconds, peakRssMb: peak };
  } catch (err) {
    const tails = procs.map((p) => `--- ${p.name}\n${p.log.slice(-15).join('\n')}`).join('\n');
    throw new Error(`${mode} run failed: ${(err as Error).message}\n${tails}`, { cause: err });
  } finally {
    await stopAll(procs);
    await rm(dataDir, { recursive: true, force: true });
  }
}
