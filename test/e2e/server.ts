import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIXTURE = fileURLToPath(new URL('../fixtures/vtest-10s.mp4', import.meta.url));

export interface Server {
  url: string;
  proc: ChildProcess;
  /** Everything the server logged, for failure messages. */
  log: string[];
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Starts `framewise serve` (the built CLI, as a user runs it) on `port` (default: a free one). */
export async function startServer(dataDir: string, env: Record<string, string> = {}, port = 0): Promise<Server> {
  const proc = spawn(process.execPath, [`${ROOT}bin/framewise.js`, 'serve', '--port', String(port), '--data', dataDir], {
    env: { ...process.env, FRAMEWISE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  createInterface({ input: proc.stderr! }).on('line', (l) => log.push(l));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log.join('\n')}`)), 60_000);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      log.push(line);
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'Framewise (embedded) ready' && entry.url) {
          clearTimeout(timer);
          resolve(entry.url);
        }
      } catch {
        /* not JSON */
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${log.join('\n')}`));
    });
  });
  return {
    url,
    proc,
    log,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** Uploads `content` as a browser would: the option fields first, then the file. */
export async function uploadFile(
  url: string,
  content: Buffer,
  filename = 'clip.mp4',
  fields: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([content]), filename);
  const r = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form });
  return { status: r.status, body: await r.json() };
}

export const uploadFixture = async (url: string, fields: Record<string, string> = {}) => uploadFile(url, await readFile(FIXTURE), 'vtest-10s.mp4', fields);

export async function getResult(url: string, id: string): Promise<any> {
  const r = await fetch(`${url}/api/result_video/${id}`);
  if (r.status !== 200) throw new Error(`result ${id}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

/** Polls the result until `done(result)` or the timeout; returns the last result. */
export async function waitForResult(url: string, id: string, done: (r: any) => boolean, timeoutMs = 120_000): Promise<any> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await getResult(url, id);
    if (done(r)) return r;
    if (Date.now() > until) throw new Error(`job ${id} still ${r.status} after ${timeoutMs} ms: ${JSON.stringify(r).slice(0, 300)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

export const isFinished = (r: { status: string }) => r.status === 'ready' || r.status === 'failed';
