import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFinished, startServer, uploadFixture, waitForResult, type Server } from './server.js';
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
