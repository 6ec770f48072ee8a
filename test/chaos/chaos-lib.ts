/**
 * Shared by the chaos tests: a seeded PRNG, the short clips, an HTTP client that retries like a
 * careful user would (same Idempotency-Key on every retry of one upload), and the summary line.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual, promisify } from 'node:util';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import assert from 'node:assert/strict';
import { FIXTURE, isFinished, startServer, uploadFile, waitForResult } from '../e2e/server.js';
import type { Prediction } from '../e2e/scenarios.js';

const run = promisify(execFile);

/** mulberry32: small, fast, good enough to make a chaos schedule reproducible from its seed. */
export function prng(seed: number): { next(): number; int(lo: number, hi: number): number; pick<T>(xs: readonly T[]): T; seed: number } {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return { next, int, pick: (xs) => xs[int(0, xs.length - 1)]!, seed: seed >>> 0 };
}

/**
 * Independent streams from one seed, one per concurrent activity (uploads, kills, outages): each
 * activity's schedule then replays exactly, whatever the interleaving of the activities.
 */
export function prngStreams<K extends string>(seed: number, names: readonly K[]): Record<K, ReturnType<typeof prng>> {
  const root = prng(seed);
  return Object.fromEntries(names.map((n) => [n, prng(Math.floor(root.next() * 2 ** 32))])) as Record<K, ReturnType<typeof prng>>;
}

/** The seed: `CHAOS_SEED` if set (to replay a schedule), else a random one. */
export function chaosSeed(): number {
  const raw = process.env.CHAOS_SEED;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`CHAOS_SEED must be a non-negative integer, not ${JSON.stringify(raw)}`);
    return n >>> 0;
  }
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}

export interface Clip {
  name: string;
  content: Buffer;
}

/**
 * `count` distinct short clips of the fixture (10 fps, 100 frames): clip i starts at frame 3·i and
 * is 15–25 frames long (3–5 sampled frames at the default sampling of every 5th), re-encoded.
 */
export async function makeClips(dir: string, count: number): Promise<Clip[]> {
  const clips: Clip[] = [];
  for (let i = 0; i < count; i++) {
    const name = `chaos-${String(i).padStart(2, '0')}.mp4`;
    const file = join(dir, name);
    const frames = 15 + ((i * 7) % 11);
    await run(resolveBinary('ffmpeg'), [
      '-v',
      'error',
      '-y',
      '-i',
      FIXTURE,
      '-vf',
      `select=gte(n\\,${(i * 3) % 75})`,
      '-vsync',
      'passthrough',
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      file,
    ]);
    clips.push({ name, content: await readFile(file) });
  }
  return clips;
}

/**
 * A TCP port free right now on 127.0.0.1, for a server that must keep its address across restarts.
 * Taken below the kernel's ephemeral range, so that no process binding port 0 (the stages' health
 * servers) can take it while its server is down between a kill and the restart.
 */
/**
 * The fault-free result of each clip: all uploaded at once to an undisturbed embedded server in
 * `dataDir` (embedded results are proven equal to cluster mode's by test/cluster/e2e.test.ts).
 * Returns the predictions in clip order and the server's exit code after SIGTERM.
 */
export async function faultFreeReference(dataDir: string, clips: readonly Clip[]): Promise<{ reference: Prediction[]; exitCode: number | null }> {
  const t0 = Date.now();
  const server = await startServer(dataDir);
  const reference: Prediction[] = [];
  let exitCode: number | null;
  try {
    const ids = await Promise.all(
      clips.map(async (clip) => {
        const up = await uploadFile(server.url, clip.content, clip.name);
        assert.equal(up.status, 200, JSON.stringify(up.body));
        return up.body.event_id as string;
      }),
    );
    for (const id of ids) {
      const r = await waitForResult(server.url, id, isFinished, 600_000);
      assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
      reference.push(r.prediction as Prediction);
    }
  } finally {
    exitCode = await server.stop();
  }
  console.log(`reference: ${clips.length} clips, ${reference.reduce((n, p) => n + p.length, 0)} sampled frames, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { reference, exitCode };
}

export async function freePort(): Promise<number> {
  const low = Number((await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768')).trim().split(/\s+/)[0]) || 32768;
  const from = Math.max(10_000, Math.min(low, 32_768) - 10_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * Math.max(1, Math.min(low, 32_768) - from));
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => server.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true)));
    if (ok) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

/** Statuses worth retrying: the server is down, overloaded, mid-restart or in an outage. */
const retryable = (status: number) => status >= 500 || status === 408 || status === 409 || status === 429;

export interface ClientStats {
  /** Upload attempts that failed and were retried (network error or a retryable status). */
  uploadRetries: number;
  /** Requests other than uploads that failed and were retried. */
  readRetries: number;
  /** Accepted uploads whose answer the client threw away on purpose, to retry with the same key. */
  lostResponses: number;
  /** A retry with the same key that got another event id than the answer thrown away. */
  idempotencyViolations: string[];
}

export const newClientStats = (): ClientStats => ({ uploadRetries: 0, readRetries: 0, lostResponses: 0, idempotencyViolations: [] });

/**
 * Uploads a video, retrying on network errors and 5xx/503 (and 408/409/429) with the SAME
 * `Idempotency-Key` until `deadline` (ms since epoch). Returns the event id the server gave.
 * `url()` is read on each attempt. With `loseResponse`, the first `200` is thrown away as if the
 * connection had dropped after the server answered (the job exists, the client does not know):
 * the retry with the same key must get the same event id.
 */
export async function uploadWithRetry(
  url: () => string,
  clip: Clip,
  idempotencyKey: string,
  stats: ClientStats,
  deadline: number,
  options: { stop?: () => boolean; loseResponse?: boolean } = {},
): Promise<string> {
  const stop = options.stop ?? (() => false);
  let lost: string | undefined;
  for (let attempt = 0; ; attempt++) {
    if (stop()) throw new Error(`upload of ${clip.name} abandoned: the test is stopping`);
    let why: string;
    try {
      const form = new FormData();
      form.append('file', new Blob([clip.content]), clip.name);
      const r = await fetch(`${url()}/api/upload_video`, {
        method: 'POST',
        body: form,
        headers: { 'Idempotency-Key': idempotencyKey },
        signal: AbortSignal.timeout(60_000),
      });
      const text = await r.text();
      if (r.status === 200) {
        const body = JSON.parse(text) as { event_id?: string };
        if (typeof body.event_id !== 'string') throw new Error(`upload answered 200 without an event_id: ${text.slice(0, 200)}`);
        if (options.loseResponse && lost === undefined) {
          lost = body.event_id;
          stats.lostResponses++;
          throw new Error(`answer ${lost} thrown away (simulated lost response)`);
        }
        if (lost !== undefined && lost !== body.event_id)
          stats.idempotencyViolations.push(`${clip.name} (key ${idempotencyKey}): first answer ${lost}, retry ${body.event_id}`);
        return body.event_id;
      }
      if (!retryable(r.status)) throw new Error(`upload of ${clip.name} refused: HTTP ${r.status} ${text.slice(0, 300)}`);
      why = `HTTP ${r.status} ${text.slice(0, 120)}`;
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(`upload of ${clip.name} refused`)) throw err;
      if (err instanceof Error && err.message.startsWith('upload answered 200')) throw err;
      why = describeError(err);
    }
    stats.uploadRetries++;
    if (Date.now() > deadline) throw new Error(`upload of ${clip.name} (key ${idempotencyKey}) still failing at the deadline: ${why}`);
    await sleep(Math.min(2_000, 200 * 2 ** Math.min(attempt, 4)));
  }
}

/** GET a JSON document, retrying network errors and retryable statuses until `deadline`. */
export async function getJsonWithRetry(
  url: string,
  stats: ClientStats,
  deadline: number,
  stop: () => boolean = () => false,
): Promise<{ status: number; body: any }> {
  for (let attempt = 0; ; attempt++) {
    if (stop()) throw new Error(`GET ${url} abandoned: the test is stopping`);
    let why: string;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(30_000) });
      const text = await r.text();
      if (!retryable(r.status)) return { status: r.status, body: JSON.parse(text) };
      why = `HTTP ${r.status} ${text.slice(0, 120)}`;
    } catch (err) {
      why = describeError(err);
    }
    stats.readRetries++;
    if (Date.now() > deadline) throw new Error(`GET ${url} still failing at the deadline: ${why}`);
    await sleep(Math.min(2_000, 200 * 2 ** Math.min(attempt, 4)));
  }
}

/** DELETE /api/cleanup/all with retries (the first thing a chaos test does). */
export async function cleanupAll(url: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const r = await fetch(`${url}/api/cleanup/all`, { method: 'DELETE', signal: AbortSignal.timeout(60_000) });
      if (r.status === 200) return;
      if (!retryable(r.status)) throw new Error(`cleanup: HTTP ${r.status} ${await r.text()}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('cleanup: HTTP')) throw err;
      if (Date.now() > deadline) throw err;
    }
    await sleep(500);
  }
}

/**
 * Cleans up until `/api/status/all` stays empty for `quietMs`: work that was still on the bus before
 * the cleanup (another suite's, an earlier run's) can bring deleted jobs back as runner records.
 * Returns the ids of such jobs seen after a cleanup (logged by the caller, not hidden).
 */
export async function cleanupUntilEmpty(url: string, deadline: number, quietMs = 4_000): Promise<string[]> {
  const ghosts: string[] = [];
  const stats = newClientStats();
  for (;;) {
    await cleanupAll(url, deadline);
    await sleep(quietMs);
    const { body } = await getJsonWithRetry(`${url}/api/status/all`, stats, deadline);
    const ops = body.operations as Array<{ video_id: string; status_code: string }>;
    if (ops.length === 0) return ghosts;
    ghosts.push(...ops.map((o) => `${o.video_id}=${o.status_code}`));
    if (Date.now() > deadline) throw new Error(`jobs keep appearing after /api/cleanup/all: ${ghosts.join(', ')}`);
  }
}

const describeError = (err: unknown): string => {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${err.message}: ${cause.code ?? cause.message}` : err.message;
};

export interface JobView {
  status: string;
  prediction?: Prediction;
}

/**
 * Polls `/api/status/all` until every id in `ids` is `ready` or `failed` (or `deadline`). One request
 * per poll, whatever the number of jobs, so polling does not crowd the 2 cores.
 */
export async function waitAllFinished(
  url: () => string,
  ids: () => readonly string[],
  stats: ClientStats,
  deadline: number,
  done: () => boolean = () => false,
  onPoll: (byId: ReadonlyMap<string, string>) => void = () => {},
  stop: () => boolean = () => false,
): Promise<Map<string, string>> {
  for (;;) {
    const { body } = await getJsonWithRetry(`${url()}/api/status/all`, stats, deadline, stop);
    const byId = new Map<string, string>((body.operations as Array<{ video_id: string; status_code: string }>).map((o) => [o.video_id, o.status_code]));
    onPoll(byId);
    const wanted = ids();
    if (done() && wanted.every((id) => byId.get(id) === 'ready' || byId.get(id) === 'failed')) return byId;
    if (Date.now() > deadline) {
      const open = wanted.filter((id) => byId.get(id) !== 'ready' && byId.get(id) !== 'failed').map((id) => `${id}=${byId.get(id) ?? 'missing'}`);
      throw new Error(`jobs not finished at the deadline: ${open.join(', ')}`);
    }
    await sleep(1_000);
  }
}

export interface Verdict {
  lost: number;
  duplicates: number;
  problems: string[];
}

/**
 * Compares what the service holds with what it should: `ids[i]` the event id of clip i (undefined
 * if never accepted), `results[i]` its result document, `reference[i]` the fault-free prediction,
 * `statusAll` the `/api/status/all` document, `detectionKeys` every key under `detection/`.
 * lost = clips whose job is missing, not ready or differs from the reference;
 * duplicates = extra jobs + extra detection objects + repeated frames.
 */
export function judge(
  ids: ReadonlyArray<string | undefined>,
  results: ReadonlyArray<JobView | undefined>,
  reference: readonly Prediction[],
  statusAll: { total: number; operations: Array<{ video_id: string; status_code: string }>; counts: Record<string, number> },
  detectionKeys: readonly string[],
): Verdict {
  const problems: string[] = [];
  let lost = 0;
  let duplicates = 0;
  const listed = new Set(statusAll.operations.map((o) => o.video_id));
  for (let i = 0; i < reference.length; i++) {
    const id = ids[i];
    const r = results[i];
    if (!id) {
      lost++;
      problems.push(`clip ${i}: never accepted`);
    } else if (!listed.has(id)) {
      lost++;
      problems.push(`clip ${i} (${id}): missing from /api/status/all`);
    } else if (!r || r.status !== 'ready') {
      lost++;
      problems.push(`clip ${i} (${id}): ${r ? r.status : 'no result'}: ${JSON.stringify(r).slice(0, 300)}`);
    } else if (!isDeepStrictEqual(r.prediction, reference[i])) {
      lost++;
      problems.push(
        `clip ${i} (${id}): prediction differs from the fault-free run: ${JSON.stringify(r.prediction).slice(0, 300)} vs ${JSON.stringify(reference[i]).slice(0, 300)}`,
      );
    }
    const frames = (r?.prediction ?? []).map((f) => f.frame);
    const repeated = frames.length - new Set(frames).size;
    if (repeated > 0) {
      duplicates += repeated;
      problems.push(`clip ${i} (${id}): ${repeated} frame(s) twice: ${frames.join(',')}`);
    }
  }
  const ours = new Set(ids.filter((x): x is string => !!x));
  const extraJobs = statusAll.operations.filter((o) => !ours.has(o.video_id));
  const repeatedListings = statusAll.operations.length - listed.size;
  if (extraJobs.length + repeatedListings > 0) {
    duplicates += extraJobs.length + repeatedListings;
    problems.push(
      `extra jobs in /api/status/all: ${extraJobs.map((o) => `${o.video_id}=${o.status_code}`).join(', ')}${repeatedListings ? `; ${repeatedListings} listed twice` : ''}`,
    );
  }
  if (statusAll.total !== statusAll.operations.length) problems.push(`status/all total ${statusAll.total} but ${statusAll.operations.length} operations`);
  for (const s of ['new', 'sent', 'processing', 'predictable']) {
    if ((statusAll.counts[s] ?? 0) !== 0) problems.push(`status/all counts.${s} = ${statusAll.counts[s]}`);
  }
  const expected = new Set([...ours].map((id) => `detection/${id}.json`));
  const extraObjects = detectionKeys.filter((k) => !expected.has(k));
  const repeatedKeys = detectionKeys.length - new Set(detectionKeys).size;
  if (extraObjects.length + repeatedKeys > 0) {
    duplicates += extraObjects.length + repeatedKeys;
    problems.push(`extra detection objects: ${extraObjects.join(', ')}${repeatedKeys ? `; ${repeatedKeys} keys twice` : ''}`);
  }
  const present = new Set(detectionKeys);
  for (const key of expected) if (!present.has(key)) problems.push(`no ${key}`);
  return { lost, duplicates, problems };
}

/** The one summary line both chaos tests print. */
export const chaosLine = (v: { jobs: number; kills: number; restarts: number; lost: number; duplicates: number; seconds: number }) =>
  `chaos: jobs=${v.jobs} kills=${v.kills} restarts=${v.restarts} lost=${v.lost} duplicates=${v.duplicates} seconds=${Math.round(v.seconds)}`;

export const newKey = () => randomUUID();
