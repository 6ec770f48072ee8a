/**
 * Load bench (issue 7): `framewise serve` started as a user runs it, on loopback only, then
 *  1. reads at a fixed rate with autocannon — `GET /api/status/{id}`, `GET /api/result_video/{id}`
 *     (the whole result) and one page of it — reporting latency percentiles
 *     (coordinated omission corrected, as autocannon does at a fixed rate);
 *  2. N concurrent uploads of the fixture: all accepted, all `ready`, and the API process's peak
 *     RSS (VmHWM) and RSS sampled while they run.
 * Everything is bounded (duration, rate, uploads). Figures, not pass/fail: see bench/README.md.
 *
 *   npm run bench:load -- [--rate 1000] [--seconds 10] [--warmup 3] [--uploads 50] [--result-cache-bytes N] [--json]
 *
 * `--result-cache-bytes 0` reads results from the object store on every request (no result cache).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { startStage, stopAll } from '../scripts/cluster-local.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '20' },
    uploads: { type: 'string', default: '50' },
    video: { type: 'string', default: new URL('../test/fixtures/vtest-10s.mp4', import.meta.url).pathname },
    'result-cache-bytes': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const WARMUP_SECONDS = Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const UPLOADS = Number(args.uploads);

/** VmRSS and VmHWM of a process, MiB. */
async function memory(pid: number): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function upload(url: string, video: Blob): Promise<{ status: number; id?: string; body: string }> {
  const form = new FormData();
  form.append('file', video, 'vtest-10s.mp4');
  const res = await fetch(`${url}/api/upload_video`, { method: 'POST', body: form });
  const body = await res.text();
  return { status: res.status, body, ...(res.ok ? { id: (JSON.parse(body) as { event_id: string }).event_id } : {}) };
}

async function waitReady(url: string, ids: string[], timeoutMs: number): Promise<Record<string, number>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const statuses = await Promise.all(ids.map(async (id) => ((await (await fetch(`${url}/api/status/${id}`)).json()) as { status: string }).status));
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    if (statuses.every((s) => s === 'ready' || s === 'failed') || Date.now() > until) return counts;
    await sleep(1000);
  }
}

interface ReadFigures {
  route: string;
  rate: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  reqPerSec: number;
}

async function readLoad(route: string, url: string): Promise<ReadFigures> {
  // A discarded warm-up at the same rate first: the figures are of a server whose code is
  // compiled (V8 optimises a route's functions after its first few thousand calls), as it is
  // after minutes of service, not of its first second.
  await autocannon({ url, connections: CONNECTIONS, duration: WARMUP_SECONDS, overallRate: RATE });
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, overallRate: RATE });
  return {
    route,
    rate: RATE,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    reqPerSec: Math.round(r.requests.average),
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'fw-load-'));
  // Limits meant for clients are lifted so that the bench measures the service, not the limiter.
  // The server's log goes to a file, as a deployment's goes to its journal: read through a pipe by
  // this process, every request's line would take CPU from the load generator beside it.
  const server = await startStage(
    'serve',
    'embedded',
    {
      FRAMEWISE_DATA_DIR: join(dir, 'data'),
      FRAMEWISE_PORT: '0',
      FRAMEWISE_LOG_LEVEL: 'info',
      FRAMEWISE_RATE_LIMIT_PER_MINUTE: '10000000',
      FRAMEWISE_UPLOAD_RATE_LIMIT_PER_MINUTE: '100000',
      FRAMEWISE_MAX_ACTIVE_JOBS_PER_KEY: '100000',
      ...(args['result-cache-bytes'] !== undefined ? { FRAMEWISE_RESULT_CACHE_BYTES: args['result-cache-bytes'] } : {}),
    },
    join(dir, 'server.log'),
  );
  try {
    const url = server.url!;
    const pid = server.proc.pid!;
    const video = new Blob([await readFile(args.video)]);
    const first = await upload(url, video);
    if (!first.id) throw new Error(`upload refused: ${first.status} ${first.body}`);
    await waitReady(url, [first.id], 300_000);
    const reads: ReadFigures[] = [];
    for (const [route, path] of [
      ['GET /api/status/{id}', `/api/status/${first.id}`],
      ['GET /api/result_video/{id} (whole)', `/api/result_video/${first.id}`],
      ['GET /api/result_video/{id}?limit=10', `/api/result_video/${first.id}?limit=10`],
    ] as const) {
      reads.push(await readLoad(route, `${url}${path}`));
    }
    const afterReads = await memory(pid);

    // N uploads at once; RSS sampled every 200 ms until all are final.
    let peakRss = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRss = Math.max(peakRss, (await memory(pid)).rss);
        await sleep(200);
      }
    })();
    const started = Date.now();
    const ups = await Promise.all(Array.from({ length: UPLOADS }, () => upload(url, video)));
    const uploadSeconds = (Date.now() - started) / 1000;
    const accepted = ups.filter((u) => u.id).map((u) => u.id!);
    const refused = ups.filter((u) => !u.id).map((u) => `${u.status} ${u.body.slice(0, 120)}`);
    const finals = await waitReady(url, accepted, 30 * 60_000);
    const allSeconds = (Date.now() - started) / 1000;
    sampling = false;
    await sampler;
    const end = await memory(pid);
    const figures = {
      reads,
      uploads: { concurrent: UPLOADS, accepted: accepted.length, refused, uploadSeconds, finals, allSeconds },
      apiMemoryMiB: { afterReads: Math.round(afterReads.rss), peakRssDuringUploads: Math.round(peakRss), peakHwm: Math.round(end.hwm) },
    };
    if (args.json) console.log(JSON.stringify(figures, null, 2));
    else {
      console.log(`reads at ${RATE} req/s for ${SECONDS} s, ${CONNECTIONS} connections (latency ms; coordinated omission corrected):`);
      console.log('| route | requests | non-2xx | errors | req/s | p50 | p90 | p99 | max |\n|---|---|---|---|---|---|---|---|---|');
      for (const r of reads)
        console.log(`| ${r.route} | ${r.requests} | ${r.non2xx} | ${r.errors} | ${r.reqPerSec} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.max} |`);
      console.log(
        `${UPLOADS} concurrent uploads: ${accepted.length} accepted in ${uploadSeconds.toFixed(1)} s${refused.length ? `, refused: ${refused.join('; ')}` : ''}; final: ${JSON.stringify(finals)} after ${allSeconds.toFixed(0)} s`,
      );
      console.log(
        `API process (embedded: every stage) RSS: ${figures.apiMemoryMiB.afterReads} MiB after the reads, peak ${figures.apiMemoryMiB.peakRssDuringUploads} MiB during the uploads (VmHWM ${figures.apiMemoryMiB.peakHwm} MiB)`,
      );
    }
  } finally {
    await stopAll([server]);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
