import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FIXTURE, ROOT, startServer, type Server } from './server.js';

/**
 * The binding rule and the clients' keys, as a user meets them: the built CLI (`npm run build`
 * first). An API without keys starts on loopback only, unless allowed; with keys, `framewise detect`
 * and `framewise dead-letters` send theirs.
 */

const CLI = `${ROOT}bin/framewise.js`;
/** The environment of a server the test starts: none of the caller's access settings leak in. */
const CLEAN = { FRAMEWISE_API_KEYS: '', FRAMEWISE_ADMIN_KEY: '', FRAMEWISE_ALLOW_UNAUTHENTICATED: '', FRAMEWISE_API_KEY: '', FRAMEWISE_LOG_LEVEL: 'info' };

/** Runs the CLI to its end; resolves with its exit code and output whatever the code. */
function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...CLEAN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`framewise ${args.join(' ')} did not end within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A JSON log line; undefined for anything else the process printed (stderr warnings). */
function parseLine(line: string): { level: number; msg: string } | undefined {
  try {
    return JSON.parse(line) as { level: number; msg: string };
  } catch {
    return undefined;
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('binding rule: no keys, no exposure', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-bind-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const host of ['0.0.0.0', '::', '192.0.2.10']) {
    test(`serve on ${host} without keys refuses to start, naming the settings, and opens nothing`, async () => {
      const data = join(dir, `serve-${host.replace(/\W/g, '_')}`);
      const r = await runCli(['serve', '--host', host, '--port', '0', '--data', data], {});
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /refusing to start/);
      assert.match(r.stderr, /FRAMEWISE_API_KEYS/);
      assert.match(r.stderr, /FRAMEWISE_ALLOW_UNAUTHENTICATED/);
      assert.equal(await exists(data), false, 'no data directory was made');
    });
  }

  test('the cluster api on 0.0.0.0 without keys refuses at once, before waiting for any server', async () => {
    const started = Date.now();
    const r = await runCli(['api', '--host', '0.0.0.0', '--port', '0'], {
      MONGO_URI: 'mongodb://127.0.0.1:9',
      KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:9',
      MINIO_ENDPOINT: '127.0.0.1:9',
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /FRAMEWISE_API_KEYS.*FRAMEWISE_ALLOW_UNAUTHENTICATED/s);
    assert.ok(Date.now() - started < 20_000, 'no dependency was awaited');
  });

  test('allowed explicitly, it starts on 0.0.0.0 and logs that authentication is off', async () => {
    const server = await startServer(join(dir, 'allowed'), { ...CLEAN, FRAMEWISE_HOST: '0.0.0.0', FRAMEWISE_ALLOW_UNAUTHENTICATED: 'true' });
    try {
      const warning = server.log.map(parseLine).find((l) => /^authentication is off/.test(l?.msg ?? ''));
      assert.ok(warning, 'the warning line');
      assert.equal(warning.level, 40, 'at level warn');
      const port = new URL(server.url).port;
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/status/all`)).status, 200, 'open: no key needed');
    } finally {
      await server.stop();
    }
  });
});

describe('with keys on 0.0.0.0: the clients send theirs', () => {
  const CLIENT = 'alice-e2e-key-0123456789';
  const ADMIN = 'ops-e2e-key-0123456789ab';
  let dir: string;
  let server: Server;
  let url: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-keys-'));
    const keys = [
      { id: 'alice', role: 'client', key: CLIENT },
      { id: 'ops', role: 'admin', sha256: createHash('sha256').update(ADMIN).digest('hex') },
    ];
    server = await startServer(join(dir, 'data'), { ...CLEAN, FRAMEWISE_HOST: '0.0.0.0', FRAMEWISE_API_KEYS: JSON.stringify(keys) });
    url = `http://127.0.0.1:${new URL(server.url).port}`;
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('it starts without the warning, and the keys are not logged', () => {
    assert.ok(!server.log.some((l) => l.includes('authentication is off')));
    assert.ok(!server.log.some((l) => l.includes(CLIENT) || l.includes(ADMIN)), 'no key in the log');
  });

  test('framewise detect: refused without a key, done with --key', { timeout: 300_000 }, async () => {
    const refused = await runCli(['detect', FIXTURE, '--url', url, '--no-progress'], {});
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ERR_AUTH_REQUIRED/);
    const out = join(dir, 'result.json');
    const done = await runCli(['detect', FIXTURE, '--url', url, '--no-progress', '--key', CLIENT, '--out', out], {}, 280_000);
    assert.equal(done.code, 0, done.stderr);
    const result = JSON.parse(await readFile(out, 'utf8')) as { status: string; event_id: string; prediction: unknown[] };
    assert.equal(result.status, 'ready');
    assert.ok(result.prediction.length > 0, 'frames detected');
    const status = await fetch(`${url}/api/status/${result.event_id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(status.status, 200, 'an admin sees alice’s job');
  });

  test('framewise dead-letters: an admin key (FRAMEWISE_API_KEY) lists; a client key is forbidden', async () => {
    const listed = await runCli(['dead-letters', 'list', '--url', url], { FRAMEWISE_API_KEY: ADMIN });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /no dead letters/);
    const forbidden = await runCli(['dead-letters', 'list', '--url', url, '--key', CLIENT], {});
    assert.equal(forbidden.code, 1);
    assert.match(forbidden.stderr, /ERR_AUTH_FORBIDDEN/);
  });
});

// `framewise config` lists the access settings (and never a key: it prints defaults only).
test('framewise config lists the access settings', async () => {
  const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'config'], {
    env: { ...process.env, FRAMEWISE_API_KEYS: '[{"id":"x","role":"client","key":"never-printed-0123456789"}]' },
  });
  for (const name of [
    'FRAMEWISE_API_KEYS',
    'FRAMEWISE_ALLOW_UNAUTHENTICATED',
    'FRAMEWISE_REQUEST_BUCKETS',
    'FRAMEWISE_MAX_ACTIVE_JOBS_PER_KEY',
    'FRAMEWISE_SESSION_SECRET',
  ])
    assert.match(stdout, new RegExp(name));
  assert.doesNotMatch(stdout, /never-printed/);
});
