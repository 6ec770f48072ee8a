import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/core/config.js';
import { apiAccess } from '../../src/modes/access.js';
import { KeyRing } from '../../src/stages/api/auth.js';

const keysEnv = (keys: object[]) => ({ FRAMEWISE_API_KEYS: JSON.stringify(keys) });
const quiet = pino({ level: 'silent' });

test('access defaults: no keys, not allowed off loopback, the server’s bucket, 10 unfinished jobs per key', () => {
  const c = loadConfig({});
  assert.deepEqual(c.apiKeys, []);
  assert.equal(c.allowUnauthenticated, false);
  assert.equal(c.requestBuckets, undefined);
  assert.equal(c.maxActiveJobsPerKey, 10);
  assert.equal(c.sessionTtlMs, 12 * 3_600_000);
  const access = apiAccess(c, quiet, 'embedded');
  assert.deepEqual(access.requestBuckets, ['videos']);
  assert.equal(access.auth.keys.length, 0);
});

test('FRAMEWISE_API_KEYS: plain and hashed keys, FRAMEWISE_ADMIN_KEY as id admin; only digests are kept', () => {
  const c = loadConfig({
    ...keysEnv([
      { id: 'alice', role: 'client', key: 'alice-key-0123456789' },
      { id: 'ops', role: 'admin', sha256: createHash('sha256').update('ops-key-0123456789ab').digest('hex') },
    ]),
    FRAMEWISE_ADMIN_KEY: 'the-admin-key-0123456789',
  });
  const { auth } = apiAccess(c, quiet, 'embedded');
  assert.deepEqual(
    auth.keys.map((k) => [k.id, k.role]),
    [
      ['alice', 'client'],
      ['ops', 'admin'],
      ['admin', 'admin'],
    ],
  );
  assert.ok(
    auth.keys.every((k) => k.digest.length === 32 && !('key' in k)),
    'digests only',
  );
  const ring = new KeyRing(auth.keys);
  assert.equal(ring.find('alice-key-0123456789')?.id, 'alice');
  assert.equal(ring.find('ops-key-0123456789ab')?.id, 'ops');
  assert.equal(ring.find('the-admin-key-0123456789')?.id, 'admin');
  assert.equal(ring.find('alice-key-012345678'), undefined);
});

test('invalid keys stop start-up, naming FRAMEWISE_API_KEYS and never quoting a key', () => {
  const refused = (env: Record<string, string>, why: RegExp) =>
    assert.throws(
      () => loadConfig(env),
      (e: Error) => e instanceof ConfigError && /FRAMEWISE_API_KEYS/.test(e.message) && why.test(e.message) && !/secret-secret/.test(e.message),
    );
  refused({ FRAMEWISE_API_KEYS: '[{"id":"a","role":"client","key":"secret-secret-secret"' }, /not JSON$/m);
  refused(keysEnv([{ id: 'a', role: 'client', key: 'short' }]), /apiKeys\/0\/key/);
  refused(keysEnv([{ id: 'a', role: 'owner', key: 'secret-secret-secret' }]), /apiKeys\/0\/role/);
  refused(keysEnv([{ id: 'a b', role: 'client', key: 'secret-secret-secret' }]), /apiKeys\/0\/id/);
  refused(keysEnv([{ id: 'a:b', role: 'client', key: 'secret-secret-secret' }]), /apiKeys\/0\/id/);
  refused(keysEnv([{ id: 'a', role: 'client' }]), /exactly one of "key" and "sha256"/);
  refused(keysEnv([{ id: 'a', role: 'client', key: 'secret-secret-secret', sha256: 'a'.repeat(64) }]), /exactly one/);
  refused(keysEnv([{ id: 'a', role: 'client', sha256: 'xyz' }]), /apiKeys\/0\/sha256/);
  refused(keysEnv([{ id: 'a', role: 'client', key: 'secret-secret-secret', extra: 1 }]), /apiKeys\/0/);
  refused(
    keysEnv([
      { id: 'a', role: 'client', key: 'secret-secret-secret-1' },
      { id: 'a', role: 'admin', key: 'secret-secret-secret-2' },
    ]),
    /id "a" is used twice/,
  );
  refused(
    { ...keysEnv([{ id: 'admin', role: 'client', key: 'secret-secret-secret-1' }]), FRAMEWISE_ADMIN_KEY: 'secret-secret-secret-2' },
    /id "admin" is used twice \(FRAMEWISE_ADMIN_KEY/,
  );
  refused(keysEnv([{ id: 'anonymous', role: 'client', key: 'secret-secret-secret' }]), /reserved/);
  refused(
    keysEnv([
      { id: 'a', role: 'client', key: 'secret-secret-secret' },
      { id: 'b', role: 'admin', sha256: createHash('sha256').update('secret-secret-secret').digest('hex') },
    ]),
    /two ids have the same key/,
  );
});

test('FRAMEWISE_REQUEST_BUCKETS: comma-separated or JSON; [] refuses every request; only the server’s bucket can be read', () => {
  assert.deepEqual(loadConfig({ FRAMEWISE_REQUEST_BUCKETS: 'videos' }).requestBuckets, ['videos']);
  assert.deepEqual(loadConfig({ FRAMEWISE_REQUEST_BUCKETS: ' videos , ' }).requestBuckets, ['videos']);
  assert.deepEqual(loadConfig({ FRAMEWISE_REQUEST_BUCKETS: '["clips"]', FRAMEWISE_BUCKET: 'clips' }).requestBuckets, ['clips']);
  assert.deepEqual(loadConfig({ FRAMEWISE_REQUEST_BUCKETS: '[]' }).requestBuckets, []);
  assert.deepEqual(apiAccess(loadConfig({ FRAMEWISE_REQUEST_BUCKETS: '[]' }), quiet, 'embedded').requestBuckets, []);
  assert.throws(
    () => loadConfig({ FRAMEWISE_REQUEST_BUCKETS: 'videos,other' }),
    (e: Error) => e instanceof ConfigError && /FRAMEWISE_REQUEST_BUCKETS/.test(e.message) && /other/.test(e.message),
  );
});

test('the binding rule: without keys only loopback, unless allowed; the warning says authentication is off', () => {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as { level: number; msg: string }) });
  for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1']) {
    lines.length = 0;
    apiAccess(loadConfig({ FRAMEWISE_HOST: host }), log, 'embedded');
    assert.ok(
      lines.some((l) => l.level === 40 && /^authentication is off/.test(l.msg)),
      host,
    );
  }
  for (const host of ['0.0.0.0', '::', '10.0.0.5', 'framewise.example.com']) {
    assert.throws(
      () => apiAccess(loadConfig({ FRAMEWISE_HOST: host }), log, 'cluster'),
      (e: Error) =>
        e instanceof ConfigError && e.message.includes(host) && /FRAMEWISE_API_KEYS/.test(e.message) && /FRAMEWISE_ALLOW_UNAUTHENTICATED/.test(e.message),
      host,
    );
    lines.length = 0;
    apiAccess(loadConfig({ FRAMEWISE_HOST: host, FRAMEWISE_ALLOW_UNAUTHENTICATED: 'true' }), log, 'cluster');
    assert.ok(
      lines.some((l) => l.level === 40 && /^authentication is off/.test(l.msg)),
      `${host}, allowed`,
    );
  }
  lines.length = 0;
  const keyed = loadConfig({ FRAMEWISE_HOST: '0.0.0.0', ...keysEnv([{ id: 'a', role: 'client', key: 'secret-secret-secret' }]) });
  apiAccess(keyed, log, 'embedded');
  assert.equal(lines.length, 0, 'keys: no warning');
  apiAccess(keyed, log, 'cluster');
  assert.ok(
    lines.some((l) => /FRAMEWISE_SESSION_SECRET/.test(l.msg)),
    'a cluster API without a shared session secret is warned',
  );
  lines.length = 0;
  apiAccess(
    loadConfig({ FRAMEWISE_HOST: '0.0.0.0', FRAMEWISE_ADMIN_KEY: 'an-admin-key-0123456789', FRAMEWISE_SESSION_SECRET: 'x'.repeat(32) }),
    log,
    'cluster',
  );
  assert.equal(lines.length, 0, 'FRAMEWISE_ADMIN_KEY alone is a key too');
});
