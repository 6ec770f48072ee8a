import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, ROOT, isFinished, startServer, uploadFixture, waitForResult, type Server } from './server.js';

const run = promisify(execFile);
import { endToEndScenarios } from './scenarios.js';

/**
 * The whole pipeline in one `framewise serve` process, driven over HTTP like a user would:
 * real ffmpeg, the real detector, the real video fixture (see test/fixtures/README.md).
 */
describe('embedded mode end to end', () => {
  let dir: string;
  let server: Server;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-'));
    server = await startServer(join(dir, 'main'));
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const scenarios = endToEndScenarios(() => server.url);

  test('start-up says which ffmpeg and ffprobe run (path, version), and warns where one is unmaintained', async () => {
    const entries = server.log.flatMap((l) => {
      try {
        return [
          JSON.parse(l) as {
            msg?: string;
            level?: number;
            ffmpeg?: { path: string; version: string };
            ffprobe?: { path: string; version: string };
            path?: string;
          },
        ];
      } catch {
        return [];
      }
    });
    const said = entries.find((e) => e.msg === 'ffmpeg in use');
    assert.ok(said?.ffmpeg && said.ffprobe, server.log.join('\n').slice(0, 2000));
    for (const b of [said.ffmpeg, said.ffprobe]) {
      const { stdout } = await promisify(execFile)(b.path, ['-version']);
      assert.ok(stdout.includes(`version ${b.version}`), `${b.path} is version ${b.version}`);
      const warned = entries.some((e) => e.level === 40 && e.path === b.path && /parses every uploaded video/.test(e.msg ?? ''));
      if (/node_modules[\\/]@ff(mpeg|probe)-installer/.test(b.path)) assert.ok(warned, `the npm fallback ${b.path} (${b.version}) is warned about`);
    }
  });

  test('`framewise detect` uploads with the job’s options, follows it and writes the result', async () => {
    const out = join(dir, 'cli-result.json');
    const { stdout } = await run(
      process.execPath,
      [`${ROOT}bin/framewise.js`, 'detect', FIXTURE, '--url', server.url, '--out', out, '--sample-every', '20', '--classes', 'person', '--confidence', '0.4'],
      {
        timeout: 120_000,
      },
    );
    const result = JSON.parse(await readFile(out, 'utf8'));
    assert.equal(result.status, 'ready', stdout);
    assert.deepEqual(result.parameters, { sample_every: 20, model: 'nanodet-coco', confidence: 0.4, iou: 0.45, classes: ['person'] });
    assert.deepEqual(
      result.prediction.map((f: { frame: number }) => f.frame),
      [0, 20, 40, 60, 80],
    );
    const bad = await run(process.execPath, [`${ROOT}bin/framewise.js`, 'detect', FIXTURE, '--url', server.url, '--confidence', 'high']).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(bad?.code, 1, 'a refused option fails the command');
    assert.match(bad?.stderr ?? '', /ERR_OPTION_INVALID/);
  });

  for (const [how, when] of [
    ['kill -9', 'right after the upload was accepted'],
    ['kill -9', 'in the middle of detection'],
    ['SIGTERM', 'in the middle of detection'],
  ] as const) {
    test(`${how} ${when}, then restart: same result, no frame counted twice`, async () => {
      const reference = scenarios.reference();
      assert.ok(reference, 'needs the uninterrupted run');
      const data = join(dir, `crash-${how}-${when.length}`);
      let s = await startServer(data);
      const up = await uploadFixture(s.url);
      assert.equal(up.status, 200);
      const id = up.body.event_id;
      if (when === 'in the middle of detection') {
        const mid = await waitForResult(s.url, id, (r) => (r.progress?.frames_done ?? 0) >= 4 || isFinished(r));
        assert.equal(mid.status, 'processing', 'killed mid-job');
      }
      if (how === 'kill -9') await s.kill9();
      else {
        const started = Date.now();
        assert.equal(await s.stop(), 0, 'clean exit on SIGTERM');
        assert.ok(Date.now() - started < 30_000, 'within 30 s');
      }
      s = await startServer(data);
      try {
        const result = await waitForResult(s.url, id, isFinished);
        assert.equal(result.status, 'ready');
        const frames = result.prediction.map((f: { frame: number }) => f.frame);
        assert.equal(new Set(frames).size, frames.length, 'each frame once');
        assert.deepEqual(result.prediction, reference, 'identical to the uninterrupted run');
      } finally {
        await s.stop();
      }
    });
  }
});
