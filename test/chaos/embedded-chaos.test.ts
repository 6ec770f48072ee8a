/**
 * Chaos in embedded mode: one `framewise serve` process, SIGKILLed 3–4 times at random moments
 * (seeded; CHAOS_SEED=n replays the schedule) while 6 short clips are uploaded and processed, and
 * restarted each time on the same data directory and port. A client that retries with the same
 * Idempotency-Key per video must end with every job ready, each result equal to a fault-free run,
 * exactly one detection object per job and no frame twice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer, type Server } from '../e2e/server.js';
import {
  chaosLine,
  chaosSeed,
  cleanupUntilEmpty,
  faultFreeReference,
  freePort,
  getJsonWithRetry,
  judge,
  makeClips,
  newClientStats,
  newKey,
  prngStreams,
  uploadWithRetry,
  waitAllFinished,
  type JobView,
} from './chaos-lib.js';

const VIDEOS = 6;
/** Uploads whose first `200` the client throws away, as if the connection dropped after the answer. */
const LOST_RESPONSES = 2;

/** How many of `ids` are ready now (one quick look, for the log; '?' if the server does not answer). */
async function readyCount(url: string, ids: ReadonlyArray<string | undefined>): Promise<number | string> {
  try {
    const body: any = await (await fetch(`${url}/api/status/all`, { signal: AbortSignal.timeout(2_000) })).json();
    const ready = new Set(
      (body.operations as Array<{ video_id: string; status_code: string }>).filter((o) => o.status_code === 'ready').map((o) => o.video_id),
    );
    return ids.filter((id) => id && ready.has(id)).length;
  } catch {
    return '?';
  }
}
const BUCKET = process.env.FRAMEWISE_BUCKET || 'videos';

let dir: string | undefined;
let server: Server | undefined;
let stopping = false;
let passed = false;
const logWrites: Array<Promise<void>> = [];

after(async () => {
  stopping = true;
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) await server.stop();
  await Promise.allSettled(logWrites);
  if (dir && passed) await rm(dir, { recursive: true, force: true });
  else if (dir) console.log(`chaos run kept for inspection: ${dir} (data dir chaos/, server logs in logs/)`);
});

test(
  'embedded chaos: kill -9 at random moments while 6 videos are processed; all ready, equal to a fault-free run, nothing twice',
  { timeout: 10 * 60_000 },
  async () => {
    const seed = chaosSeed();
    const rnd = prngStreams(seed, ['uploads', 'kills'] as const);
    console.log(`embedded chaos seed=${seed} (replay the schedule with CHAOS_SEED=${seed})`);
    dir = await mkdtemp(join(tmpdir(), 'fw-chaos-embedded-'));
    const clips = await makeClips(dir, VIDEOS);

    const { reference, exitCode } = await faultFreeReference(join(dir, 'reference'), clips);
    assert.equal(exitCode, 0);

    // The chaos run: a fixed port, so the client's URL stays valid across restarts.
    const tChaos = Date.now();
    const data = join(dir, 'chaos');
    const port = await freePort();
    const logs: string[][] = [];
    const crashes: string[] = [];
    await mkdir(join(dir, 'logs'));
    let killing = false;
    const start = async () => {
      const s = await startServer(data, {}, port);
      logs.push(s.log);
      const file = join(dir!, 'logs', `server.${logs.length}.log`);
      s.proc.once('exit', (code, signal) => {
        logWrites.push(writeFile(file, `${s.log.join('\n')}\nexit code ${code}, signal ${signal}\n`).catch(() => {}));
        if (!killing && !stopping) crashes.push(`server exited by itself (code ${code}, signal ${signal}):\n${s.log.slice(-30).join('\n')}`);
      });
      return s;
    };
    server = await start();
    const url = () => `http://127.0.0.1:${port}`;
    const ghosts = await cleanupUntilEmpty(url(), Date.now() + 120_000);
    if (ghosts.length > 0) console.log(`WARNING: jobs reappeared after /api/cleanup/all (work in flight from before; cleaned again): ${ghosts.join(', ')}`);

    const stats = newClientStats();
    const deadline = Date.now() + 6 * 60_000;
    const ids: Array<string | undefined> = new Array(VIDEOS).fill(undefined);
    const keys = clips.map(() => newKey());
    // Some uploads lose their first answer (seeded): the retry must return the same job.
    const loseResponse = new Set<number>();
    while (loseResponse.size < LOST_RESPONSES) loseResponse.add(rnd.uploads.int(0, VIDEOS - 1));
    console.log(`uploads whose first answer is thrown away: ${[...loseResponse].sort((a, b) => a - b).join(', ')}`);
    // Uploads, staggered by 0.5–2.5 s, each retried with its own key until accepted.
    const uploadErrors: unknown[] = [];
    const uploads = (async () => {
      const pending: Array<Promise<void>> = [];
      for (const [i, clip] of clips.entries()) {
        pending.push(
          uploadWithRetry(url, clip, keys[i]!, stats, deadline, { stop: () => stopping, loseResponse: loseResponse.has(i) }).then(
            (id) => void (ids[i] = id),
            (err: unknown) => void uploadErrors.push(err),
          ),
        );
        await sleep(rnd.uploads.int(500, 2_500));
      }
      await Promise.all(pending);
      if (uploadErrors.length > 0) throw uploadErrors[0];
    })();
    uploads.catch(() => {}); // awaited below

    // 3–4 kills at random moments: 0.3–3 s after each (re)start, i.e. during uploads, extraction,
    // detection or publication.
    const kills = rnd.kills.int(3, 4);
    for (let k = 0; k < kills && uploadErrors.length === 0; k++) {
      const wait = rnd.kills.int(300, 3_000);
      await sleep(wait);
      const ready = await readyCount(url(), ids);
      killing = true;
      await server.kill9();
      killing = false;
      const accepted = ids.filter(Boolean).length;
      console.log(`kill ${k + 1}/${kills}: ${wait} ms after start, ${accepted}/${VIDEOS} uploads accepted, ${ready} ready`);
      server = await start();
    }
    await uploads;
    const accepted = ids.filter((x): x is string => !!x);
    await waitAllFinished(
      url,
      () => accepted,
      stats,
      deadline,
      () => true,
    );

    // What the service holds now.
    const results: Array<JobView | undefined> = [];
    for (const id of ids) results.push(id ? ((await getJsonWithRetry(`${url()}/api/result_video/${id}`, stats, deadline)).body as JobView) : undefined);
    const statusAll = (await getJsonWithRetry(`${url()}/api/status/all`, stats, deadline)).body;
    const detectionDir = join(data, 'objects', BUCKET, 'detection');
    const detectionKeys = (await readdir(detectionDir).catch(() => [] as string[])).map((f) => `detection/${f}`);
    const verdict = judge(ids, results, reference, statusAll, detectionKeys);
    const seconds = (Date.now() - tChaos) / 1000;
    console.log(
      `client: ${stats.uploadRetries} upload retries (${stats.lostResponses} after a thrown-away answer), ${stats.readRetries} read retries; ${crashes.length} crashes; status/all total ${statusAll.total}`,
    );
    for (const p of verdict.problems) console.log(`problem: ${p}`);
    for (const v of stats.idempotencyViolations) console.log(`idempotency violated: ${v}`);
    console.log(chaosLine({ jobs: VIDEOS, kills, restarts: kills, lost: verdict.lost, duplicates: verdict.duplicates, seconds }));

    const context = () => `seed ${seed}; problems:\n${verdict.problems.join('\n')}\nlast server log:\n${logs.at(-1)?.slice(-20).join('\n')}`;
    assert.deepEqual(crashes, [], 'the server never exited by itself');
    assert.deepEqual(stats.idempotencyViolations, [], `a retry with the same Idempotency-Key must get the same event id (seed ${seed})`);
    assert.equal(verdict.lost, 0, `lost jobs (${context()})`);
    assert.equal(verdict.duplicates, 0, `duplicates (${context()})`);
    assert.deepEqual(verdict.problems, [], context());
    assert.equal(statusAll.total, VIDEOS);
    passed = true;
  },
);
