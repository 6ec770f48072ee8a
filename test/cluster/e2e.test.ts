import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCluster, stopAll, type StageProcess } from '../../scripts/cluster-local.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { endToEndScenarios, type Prediction } from '../e2e/scenarios.js';
import { FIXTURE, isFinished, startServer, uploadFile, waitForResult } from '../e2e/server.js';
import { infra, infraUp } from './infra.js';

const run = promisify(execFile);
const alive = (procs: StageProcess[]) => procs.filter((p) => p.proc.exitCode === null && p.proc.signalCode === null).length;
const api = (procs: StageProcess[]) => procs.find((p) => p.stage === 'api')!.url!;
const cleanup = async (url: string) => assert.equal((await fetch(`${url}/api/cleanup/all`, { method: 'DELETE' })).status, 200);

before(infraUp, { timeout: 45 * 60_000 });

describe('cluster mode: the end-to-end suite on Kafka, MinIO and a MongoDB-protocol server', () => {
  let procs: StageProcess[] = [];
  before(async () => {
    procs = await startCluster({ runners: 1, inference: 1 });
    await cleanup(api(procs));
  });
  after(async () => {
    assert.equal(alive(procs), procs.length, 'no stage process exited during the suite');
    await stopAll(procs);
  });
  endToEndScenarios(() => api(procs));
});

/** Six different short videos: 30-frame segments of the fixture, re-encoded. */
async function sixVideos(dir: string): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < 6; i++) {
    const file = join(dir, `segment-${i}.mp4`);
    await run(resolveBinary('ffmpeg'), [
      '-v',
      'error',
      '-y',
      '-i',
      FIXTURE,
      '-vf',
      `select=gte(n\\,${i * 12})`,
      '-vsync',
      'passthrough',
      '-frames:v',
      '30',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      file,
    ]);
    out.push(await readFile(file));
  }
  return out;
}

async function processAll(url: string, videos: Buffer[]): Promise<Prediction[]> {
  const ids = await Promise.all(
    videos.map(async (v, i) => {
      const up = await uploadFile(url, v, `segment-${i}.mp4`);
      assert.equal(up.status, 200);
      return up.body.event_id as string;
    }),
  );
  const results = await Promise.all(ids.map((id) => waitForResult(url, id, isFinished, 600_000)));
  for (const r of results) assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
  return results.map((r) => r.prediction);
}

describe('cluster scale-out and outages', () => {
  let dir: string;
  let videos: Buffer[];
  let embedded: Prediction[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-scale-'));
    videos = await sixVideos(dir);
    // The same videos through embedded mode: the reference every cluster result must equal.
    const server = await startServer(join(dir, 'embedded'));
    try {
      embedded = await processAll(server.url, videos);
    } finally {
      await server.stop();
    }
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('2 runners + 3 inference workers: 6 videos at once, all ready, identical to embedded, work spread', async () => {
    const procs = await startCluster({ runners: 2, inference: 3 });
    try {
      await cleanup(api(procs));
      const predictions = await processAll(api(procs), videos);
      for (let i = 0; i < videos.length; i++) assert.deepEqual(predictions[i], embedded[i], `video ${i} equals its embedded result`);
      for (const worker of procs.filter((p) => p.stage === 'inference')) {
        const data: any = await (await fetch(`${worker.url}/data`)).json();
        assert.ok(data.frames_detected > 0, `${worker.name} detected ${data.frames_detected} frames`);
        console.log(`# ${worker.name}: ${data.frames_detected} frames, mean ${data.mean_detect_ms} ms`);
      }
      for (const runner of procs.filter((p) => p.stage === 'runner')) assert.equal((await fetch(`${runner.url}/health`)).status, 200);
      assert.equal(alive(procs), procs.length);
    } finally {
      await stopAll(procs);
    }
  });

  for (const server of ['kafka', 'minio'] as const) {
    test(`${server} stopped for 20 s during processing: every job still ready, no process exited`, async () => {
      const procs = await startCluster({ runners: 1, inference: 2 });
      try {
        const url = api(procs);
        await cleanup(url);
        const ids = [];
        for (const [i, v] of videos.slice(0, 3).entries()) ids.push((await uploadFile(url, v, `outage-${i}.mp4`)).body.event_id as string);
        await waitForResult(url, ids[0]!, (r) => (r.progress?.frames_done ?? 0) >= 1 || isFinished(r), 120_000);
        await infra(server, 'stop');
        await new Promise((r) => setTimeout(r, 20_000));
        await infra(server, 'start');
        const results = await Promise.all(ids.map((id) => waitForResult(url, id, isFinished, 600_000)));
        for (const [i, r] of results.entries()) {
          assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
          assert.deepEqual(r.prediction, embedded[i], `video ${i} unchanged by the outage`);
        }
        assert.equal(alive(procs), procs.length, 'no process exited');
      } finally {
        await stopAll(procs);
      }
    });
  }
});
