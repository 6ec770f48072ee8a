/**
 * A local cluster: the infra servers (scripts/infra) plus Framewise stage processes, each its own
 * OS process as in production. Used by `npm run cluster:up` / `cluster:down` and by the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** A cluster stage, or `serve`: embedded mode, every stage in one process. */
export type Stage = 'api' | 'relay' | 'runner' | 'inference' | 'publisher' | 'serve';

export interface StageProcess {
  stage: Stage;
  name: string;
  proc: ChildProcess;
  /** The stage's HTTP address (API or health server), once ready. */
  url: string | undefined;
  log: string[];
  exited: Promise<number | null>;
}

export const LOCAL_ENV = {
  KAFKA_BOOTSTRAP_SERVERS: process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092',
  MONGO_URI: process.env.MONGO_URI ?? 'mongodb://127.0.0.1:27017',
  MINIO_ENDPOINT: process.env.MINIO_ENDPOINT ?? '127.0.0.1:9000',
};

/**
 * Starts `framewise <stage>` (the built CLI) and resolves once it logged that it is ready.
 * With `logFile` the process is detached and writes there (cluster:up: it outlives this script);
 * without, its output is kept in memory (tests).
 */
export async function startStage(stage: Stage, name: string, env: Record<string, string>, logFile?: string): Promise<StageProcess> {
  const out = logFile ? openSync(logFile, 'a') : undefined;
  const proc = spawn(process.execPath, [`${ROOT}bin/framewise.js`, stage], {
    env: { ...process.env, ...LOCAL_ENV, FRAMEWISE_LOG_LEVEL: 'info', ...env },
    stdio: out === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', out, out],
    detached: out !== undefined,
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const entry: StageProcess = { stage, name, proc, url: undefined, log, exited };
  const ready = (line: string): boolean => {
    try {
      const e = JSON.parse(line) as { msg?: string; url?: string };
      if (e.msg !== (stage === 'serve' ? 'Framewise (embedded) ready' : `Framewise ${stage} ready`)) return false;
      entry.url = e.url;
      return true;
    } catch {
      return false;
    }
  };
  const tail = () => (logFile ? readFileSync(logFile, 'utf8').split('\n') : log).slice(-30).join('\n');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not become ready in 120 s:\n${tail()}`)), 120_000);
    const done = () => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve();
    };
    let poll: NodeJS.Timeout | undefined;
    if (logFile) {
      poll = setInterval(() => {
        if (readFileSync(logFile, 'utf8').split('\n').some(ready)) done();
      }, 200);
    } else {
      const keep = (line: string) => {
        log.push(line);
        if (log.length > 2000) log.splice(0, 1000);
      };
      createInterface({ input: proc.stderr! }).on('line', keep);
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        keep(line);
        if (ready(line)) done();
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${tail()}`));
    });
  });
  if (out !== undefined) {
    proc.unref();
    closeSync(out);
  }
  return entry;
}

export interface ClusterShape {
  runners?: number;
  inference?: number;
  apiPort?: number;
}

/** Starts one api, relay and publisher, and the given number of runners and inference workers. */
export async function startCluster(shape: ClusterShape = {}, logDir?: string): Promise<StageProcess[]> {
  if (logDir) mkdirSync(logDir, { recursive: true });
  const plan: Array<[Stage, string, Record<string, string>]> = [
    ['api', 'api', { FRAMEWISE_PORT: String(shape.apiPort ?? 0) }],
    ['relay', 'relay', { RELAY_PORT: logDir ? '8004' : '0' }],
    ['publisher', 'publisher', { PUBLISHER_PORT: logDir ? '8005' : '0' }],
  ];
  for (let i = 0; i < (shape.runners ?? 1); i++) plan.push(['runner', `runner-${i + 1}`, { RUNNER_PORT: logDir ? String(8002 + 10 * i) : '0' }]);
  for (let i = 0; i < (shape.inference ?? 1); i++) plan.push(['inference', `inference-${i + 1}`, { INFERENCE_PORT: logDir ? String(8003 + 10 * i) : '0' }]);
  const started: StageProcess[] = [];
  try {
    for (const [stage, name, env] of plan) started.push(await startStage(stage, name, env, logDir && `${logDir}/${name}.log`));
  } catch (err) {
    await stopAll(started);
    throw err;
  }
  return started;
}

/** SIGTERM to each stage process, then waits for it (SIGKILL after 35 s). */
export async function stopAll(procs: StageProcess[]): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
      p.proc.kill('SIGTERM');
      const timer = setTimeout(() => p.proc.kill('SIGKILL'), 35_000);
      await p.exited;
      clearTimeout(timer);
    }),
  );
}
