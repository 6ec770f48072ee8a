import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, uploadFixture, type Server } from './server.js';

/** The limits as an operator sets them: environment variables of `framewise serve`. */
describe('limits configured through the environment (framewise serve)', () => {
  let dir: string;
  let server: Server;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-e2e-limits-'));
    server = await startServer(dir, { FRAMEWISE_MAX_DURATION_SECONDS: '5', FRAMEWISE_RATE_LIMIT_PER_MINUTE: '4' });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the 10-second fixture under FRAMEWISE_MAX_DURATION_SECONDS=5: 422, nothing stored', async () => {
    const r = await uploadFixture(server.url);
    assert.equal(r.status, 422, JSON.stringify(r.body));
    assert.equal(r.body.error.code, 'ERR_VIDEO_TOO_LONG');
    assert.match(r.body.error.message, /lasts 10 s, over the limit of 5 s/);
    assert.deepEqual(await readdir(join(dir, 'objects', 'videos', 'input')).catch(() => []), []);
  });

  test('FRAMEWISE_RATE_LIMIT_PER_MINUTE=4: the fifth read in a minute gets 429 with Retry-After; health still answers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${server.url}/api/status/all`)).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 429]);
    const limited = await fetch(`${server.url}/api/status/all`);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'ERR_RATE_LIMITED');
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });
});
