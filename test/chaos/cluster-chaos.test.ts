/**
 * Chaos in cluster mode, on the real servers (Kafka, MinIO, the MongoDB-protocol server of
 * scripts/infra): 20 short clips are uploaded and processed by 1 api, 1 relay, 1 publisher,
 * 2 runners and 2 inference workers while random stage processes are SIGKILLed every few seconds
 * (and restarted with the same stage and environment) and Kafka, MinIO and the database are each
 * stopped and started once. The schedule comes from a seeded PRNG (CHAOS_SEED=n replays it; the
 * timing of the system itself is not replayable). A client that retries with the same
 * Idempotency-Key per video must end with every job ready, each result equal to the fault-free
 * embedded run, exactly one detection object per job and no frame twice.
 *
 * Endpoints come from KAFKA_BOOTSTRAP_SERVERS, MONGO_URI and MINIO_ENDPOINT (default: the
 * standard local ports), as for test/cluster; infra servers are left running at the end.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { LOCAL_ENV, startStage, stopAll, type Stage, type StageProcess } from '../../scripts/cluster-local.js';
import { infra, infraUp } from '../cluster/infra.js';
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

const VIDEOS = 20;
/** Uploads whose first `200` the client throws away, as if the connection dropped after the answer. */
const LOST_RESPONSES = 3;
const RUNNERS = 2;
const INFERENCE = 2;
/** Kills happen at least this often, whatever the pace of the jobs. */
const MIN_KILLS = 8;
/** The chaos phase ends after this long even if jobs are still open (they must then finish). */
const MAX_CHAOS_MS = 3 * 60_000;
const BUCKET = process.env.FRAMEWISE_BUCKET || 'videos';
const SERVERS = ['kafka', 'minio', 'mongo'] as const;

interface Slot {
  stage: Stage;
  name: string;
  env: Record<string, string>;
  current: StageProcess | undefined;
}

let dir: string | undefined;
const slots: Slot[] = [];
const starting = new Set<Promise<unknown>>();
/** Log files written as stage processes exit (kept, with their path printed, when the test fails). */
const logWrites: Array<Promise<void>> = [];
let stopping = false;
let passed = false;

before(infraUp, { timeout: 45 * 60_000 });

after(async () => {
  stopping = true;
  await Promise.allSettled([...starting]);
  await stopAll(slots.flatMap((s) => (s.current ? [s.current] : [])));
  await Promise.allSettled(logWrites);
  // Other suites use these servers: leave each one started, whatever happened.
  for (const server of SERVERS) await infra(server, 'start').catch((err: unknown) => console.log(`could not start ${server} again: ${String(err)}`));
  if (dir && passed) await rm(dir, { recursive: true, force: true });
  else if (dir) console.log(`chaos run kept for inspection: ${dir} (stage logs in ${join(dir, 'logs')}, one file per process incarnation)`);
});

function s3(): S3Client {
  const endpoint = LOCAL_ENV.MINIO_ENDPOINT;
  const secure = (process.env.MINIO_SECURE ?? 'false').toLowerCase() === 'true';
  return new S3Client({
    endpoint: /^https?:\/\//.test(endpoint) ? endpoint : `${secure ? 'https' : 'http'}://${endpoint}`,
    region: process.env.FRAMEWISE_S3_REGION || 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: process.env.MINIO_ACCESS_KEY || 'minioadmin', secretAccessKey: process.env.MINIO_SECRET_KEY || 'minioadmin' },
  });
}

async function listKeys(client: S3Client, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

test(
  'cluster chaos: kill -9 random stages and restart Kafka, MinIO and the database while 20 videos are processed; all ready, equal to a fault-free run, nothing twice',
  { timeout: 20 * 60_000 },
  async () => {
    const seed = chaosSeed();
    const rnd = prngStreams(seed, ['uploads', 'outages', 'kills'] as const);
    console.log(`cluster chaos seed=${seed} (replay the schedule with CHAOS_SEED=${seed})`);
    const t0 = Date.now();
    dir = await mkdtemp(join(tmpdir(), 'fw-chaos-cluster-'));
    const clips = await makeClips(dir, VIDEOS);

    const { reference } = await faultFreeReference(join(dir, 'reference'), clips);

    // The cluster; the api on a fixed port so that its URL survives restarts.
    const apiPort = await freePort();
    slots.push({ stage: 'api', name: 'api', env: { FRAMEWISE_PORT: String(apiPort) }, current: undefined });
    slots.push({ stage: 'relay', name: 'relay', env: { RELAY_PORT: '0' }, current: undefined });
    slots.push({ stage: 'publisher', name: 'publisher', env: { PUBLISHER_PORT: '0' }, current: undefined });
    for (let i = 1; i <= RUNNERS; i++) slots.push({ stage: 'runner', name: `runner-${i}`, env: { RUNNER_PORT: '0' }, current: undefined });
    for (let i = 1; i <= INFERENCE; i++) slots.push({ stage: 'inference', name: `inference-${i}`, env: { INFERENCE_PORT: '0' }, current: undefined });

    const killed = new Set<StageProcess>();
    let incarnations = 0;
    await mkdir(join(dir, 'logs'));
    // CHAOS_LOG_LEVEL=debug for more detail from the stages (kafka commits, claims).
    if (process.env.CHAOS_LOG_LEVEL) for (const slot of slots) slot.env.FRAMEWISE_LOG_LEVEL = process.env.CHAOS_LOG_LEVEL;
    const crashes: string[] = [];
    const start = async (slot: Slot): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        const p = startStage(slot.stage, slot.name, slot.env);
        starting.add(p);
        try {
          const sp = await p;
          slot.current = sp;
          const file = join(dir!, 'logs', `${slot.name}.${++incarnations}.log`);
          void sp.exited.then((code) => {
            logWrites.push(writeFile(file, `${sp.log.join('\n')}\nexit code ${code}, signal ${sp.proc.signalCode}\n`).catch(() => {}));
            if (!killed.has(sp) && !stopping)
              crashes.push(`${slot.name} exited by itself with ${code} (signal ${sp.proc.signalCode}):\n${sp.log.slice(-30).join('\n')}`);
          });
          return;
        } catch (err) {
          crashes.push(`${slot.name} failed to start (attempt ${attempt}): ${String(err).slice(0, 3000)}`);
          if (attempt >= 3 || stopping) throw err;
        } finally {
          starting.delete(p);
        }
      }
    };
    for (const slot of slots) await start(slot);
    const url = () => `http://127.0.0.1:${apiPort}`;
    const ghosts = await cleanupUntilEmpty(url(), Date.now() + 120_000);
    if (ghosts.length > 0) console.log(`WARNING: jobs reappeared after /api/cleanup/all (work in flight from before; cleaned again): ${ghosts.join(', ')}`);
    console.log(`cluster started: ${slots.map((s) => s.name).join(', ')}; api ${url()}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const tChaos = Date.now();
    const stats = newClientStats();
    const deadline = tChaos + 12 * 60_000;
    const ids: Array<string | undefined> = new Array(VIDEOS).fill(undefined);
    const keys = clips.map(() => newKey());
    // Some uploads lose their first answer (seeded): the retry must return the same job.
    const loseResponse = new Set<number>();
    while (loseResponse.size < LOST_RESPONSES) loseResponse.add(rnd.uploads.int(0, VIDEOS - 1));
    console.log(`uploads whose first answer is thrown away: ${[...loseResponse].sort((a, b) => a - b).join(', ')}`);
    const elapsed = () => `${((Date.now() - tChaos) / 1000).toFixed(1)} s`;

    // Uploads: staggered by 0.5–3 s, each retried with its own key until accepted.
    let uploadsDone = false;
    let uploadsSettled = false;
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
        await sleep(rnd.uploads.int(500, 3_000));
      }
      await Promise.all(pending);
      if (uploadErrors.length > 0) throw uploadErrors[0];
      uploadsDone = true;
      console.log(`[${elapsed()}] all ${VIDEOS} uploads accepted (${stats.uploadRetries} retries)`);
    })().finally(() => (uploadsSettled = true));
    uploads.catch(() => {}); // awaited below

    // The infra servers: each stopped for 1–5 s and started again, in a random order, the first
    // 5–20 s into the run, the next ones 10–30 s after the previous one is back.
    let restarts = 0;
    let outagesSettled = false;
    const order: Array<(typeof SERVERS)[number]> = [...SERVERS];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rnd.outages.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const plan = order.map((server) => ({ server, before: rnd.outages.int(10_000, 30_000), down: rnd.outages.int(1_000, 5_000) }));
    plan[0]!.before = rnd.outages.int(5_000, 20_000);
    const outages = (async () => {
      for (const { server, before: wait, down } of plan) {
        await sleep(wait);
        if (stopping) return;
        console.log(`[${elapsed()}] ${server}: stop for ${down} ms`);
        await infra(server, 'stop');
        await sleep(down);
        await infra(server, 'start');
        restarts++;
        console.log(`[${elapsed()}] ${server}: started again`);
      }
    })().finally(() => (outagesSettled = true));
    outages.catch(() => {}); // awaited below

    // Background: are all accepted jobs finished yet? (ends the chaos phase early)
    let allFinished = false;
    let ready = 0;
    const accepted = () => ids.filter((x): x is string => !!x);
    const watcher = (async () => {
      await waitAllFinished(
        url,
        accepted,
        stats,
        deadline,
        () => uploadsDone,
        (byId) => {
          ready = accepted().filter((id) => byId.get(id) === 'ready').length;
        },
        () => stopping,
      );
      allFinished = true;
      console.log(`[${elapsed()}] all jobs finished`);
    })();
    watcher.catch(() => {});

    // Kills: every 2–6 s one stage process (one time in five: two at once), restarted at once with
    // the same stage and environment.
    let kills = 0;
    const killedStages: string[] = [];
    while (!stopping && uploadErrors.length === 0) {
      const enough = uploadsSettled && outagesSettled && kills >= MIN_KILLS;
      if (enough && (allFinished || Date.now() - tChaos > MAX_CHAOS_MS)) break;
      await sleep(rnd.kills.int(2_000, 6_000));
      const victims = [rnd.kills.pick(slots)];
      if (rnd.kills.next() < 0.2) victims.push(rnd.kills.pick(slots.filter((s) => s !== victims[0])));
      await Promise.all(
        victims.map(async (slot) => {
          const victim = slot.current!;
          killed.add(victim);
          victim.proc.kill('SIGKILL');
          await victim.exited;
        }),
      );
      kills += victims.length;
      const names = victims.map((s) => s.name).join('+');
      killedStages.push(names);
      const began = Date.now();
      await Promise.all(victims.map(start));
      console.log(
        `[${elapsed()}] kill ${kills}: ${names} (back in ${((Date.now() - began) / 1000).toFixed(1)} s; ${accepted().length} accepted, ${ready} ready)`,
      );
    }
    await uploads;
    await outages;
    console.log(`[${elapsed()}] chaos over: ${kills} kills (${killedStages.join(' ')}), ${restarts} server restarts; waiting for the jobs`);
    for (const server of SERVERS) await infra(server, 'start'); // all three up (idempotent)
    try {
      await watcher;
    } catch (err) {
      // Which jobs are stuck, and where: their progress as the API reports it.
      for (const [i, id] of ids.entries()) {
        if (!id) continue;
        const r = await getJsonWithRetry(`${url()}/api/result_video/${id}`, stats, Date.now() + 30_000).catch((e: unknown) => ({ status: 0, body: String(e) }));
        if (r.body?.status !== 'ready') console.log(`unfinished: clip ${i} ${id}: ${JSON.stringify(r.body).slice(0, 400)}`);
      }
      throw err;
    }

    // What the service holds now.
    const results: Array<JobView | undefined> = [];
    for (const id of ids) results.push(id ? ((await getJsonWithRetry(`${url()}/api/result_video/${id}`, stats, deadline)).body as JobView) : undefined);
    const statusAll = (await getJsonWithRetry(`${url()}/api/status/all`, stats, deadline)).body;
    const client = s3();
    const detectionKeys = await listKeys(client, 'detection/').finally(() => client.destroy());
    const verdict = judge(ids, results, reference, statusAll, detectionKeys);
    const seconds = (Date.now() - tChaos) / 1000;
    console.log(
      `client: ${stats.uploadRetries} upload retries (${stats.lostResponses} after a thrown-away answer), ${stats.readRetries} read retries; ${crashes.length} unexpected exits; status/all total ${statusAll.total}, counts ${JSON.stringify(statusAll.counts)}`,
    );
    for (const p of verdict.problems) console.log(`problem: ${p}`);
    for (const v of stats.idempotencyViolations) console.log(`idempotency violated: ${v}`);
    for (const c of crashes) console.log(`unexpected exit: ${c}`);
    console.log(chaosLine({ jobs: VIDEOS, kills, restarts, lost: verdict.lost, duplicates: verdict.duplicates, seconds }));

    if (crashes.length > 0 || verdict.problems.length > 0 || stats.idempotencyViolations.length > 0) {
      for (const slot of slots) console.log(`--- last lines of ${slot.name}'s log:\n${slot.current?.log.slice(-15).join('\n')}`);
    }
    const context = () => `seed ${seed}; problems:\n${verdict.problems.join('\n')}`;
    assert.deepEqual(crashes, [], `no stage process exited by itself (seed ${seed})`);
    assert.equal(restarts, SERVERS.length);
    assert.deepEqual(stats.idempotencyViolations, [], `a retry with the same Idempotency-Key must get the same event id (seed ${seed})`);
    assert.equal(verdict.lost, 0, `lost jobs (${context()})`);
    assert.equal(verdict.duplicates, 0, `duplicates (${context()})`);
    assert.deepEqual(verdict.problems, [], context());
    assert.equal(statusAll.total, VIDEOS);
    passed = true;
  },
);
