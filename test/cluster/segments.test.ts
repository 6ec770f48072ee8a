import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, stopAll, type StageProcess } from '../../scripts/cluster-local.js';
import { getResult, isFinished, uploadFile, waitForResult } from '../e2e/server.js';
import { loopOfFixture } from '../support/derived-videos.js';
import { infraUp } from './infra.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';

const run = promisify(execFile);

before(infraUp, { timeout: 45 * 60_000 });

const api = (procs: StageProcess[]) => procs.find((p) => p.stage === 'api')!.url!;

/**
 * One long video across runners, on Kafka, MinIO and FerretDB: the fixture 4 times over (40 s),
 * re-encoded with a keyframe every 5 s, in 5 s segments (8), once on one runner and once on two,
 * each runner extracting one segment at a time. Both runners take segments (8 keys over the topic's
 * partitions, split between the two), and the two results — frame numbers, timestamps, boxes,
 * tracks, summaries — are equal.
 */
describe('segments, cluster: a 40 s video on 2 runners deep-equals the 1-runner result', () => {
  let dir: string;
  let video: Buffer;
  const env = { FRAMEWISE_SEGMENT_SECONDS: '5', FRAMEWISE_RUNNER_CONCURRENCY: '1' };
  let saved: Record<string, string | undefined>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-cluster-segments-'));
    const loop = await loopOfFixture(dir, 'loop4.mp4', 4);
    const gop5 = join(dir, 'gop5.mp4');
    await run(resolveBinary('ffmpeg'), [
      '-v',
      'error',
      '-y',
      '-i',
      loop,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '50',
      '-keyint_min',
      '50',
      '-sc_threshold',
      '0',
      gop5,
    ]);
    video = await readFile(gop5);
    // startCluster passes this process's environment on.
    saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
  });
  after(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await rm(dir, { recursive: true, force: true });
  });

  async function resultOn(runners: number): Promise<{ result: any; procs: StageProcess[] }> {
    const procs = await startCluster({ runners, inference: 1 });
    try {
      const url = api(procs);
      const up = await uploadFile(url, video, 'loop4.mp4');
      assert.equal(up.status, 200, JSON.stringify(up.body));
      const r = await waitForResult(url, up.body.event_id, isFinished, 600_000);
      assert.equal(r.status, 'ready', JSON.stringify(r).slice(0, 300));
      return { result: await getResult(url, up.body.event_id), procs };
    } finally {
      await stopAll(procs);
    }
  }

  test('both runners extract segments; the result is the same as on one', async () => {
    const one = await resultOn(1);
    const two = await resultOn(2);
    const extracted = (p: StageProcess) => p.log.filter((l) => l.includes('"segment extracted"')).length;
    const runners = two.procs.filter((p) => p.stage === 'runner');
    assert.equal(runners.length, 2);
    assert.deepEqual(
      runners.map((r) => extracted(r) > 0),
      [true, true],
      `segments per runner: ${runners.map(extracted).join(', ')}`,
    );
    assert.equal(
      runners.reduce((n, r) => n + extracted(r), 0),
      8,
      'eight segments, each extracted once',
    );
    const pick = (r: any) => ({
      prediction: r.prediction,
      tracks: r.tracks,
      classes: r.classes,
      segments: r.segments,
      video: r.video,
      parameters: r.parameters,
    });
    assert.equal(one.result.prediction.length, 80);
    assert.deepEqual(pick(two.result), pick(one.result));
  });
});
