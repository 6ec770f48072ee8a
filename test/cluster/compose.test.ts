import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

// No Docker engine here: Debian's docker-compose validates the file, which is what can be checked.

test('docker-compose.yml is valid and mirrors the design’s services, with health checks and volumes', async () => {
  await run('docker-compose', ['-f', `${ROOT}docker-compose.yml`, 'config', '-q'], { cwd: ROOT });
  const { stdout: services } = await run('docker-compose', ['-f', `${ROOT}docker-compose.yml`, 'config', '--services'], { cwd: ROOT });
  assert.deepEqual(
    services.trim().split('\n').sort(),
    ['api_checkout', 'inference', 'kafka', 'minio', 'mongo', 'outbox_s3_worker', 'outbox_worker', 'runner'].sort(),
  );
  const { stdout: volumes } = await run('docker-compose', ['-f', `${ROOT}docker-compose.yml`, 'config', '--volumes'], { cwd: ROOT });
  assert.deepEqual(volumes.trim().split('\n').sort(), ['kafka_data', 'minio_data', 'mongo_data']);
  const { stdout: resolved } = await run('docker-compose', ['-f', `${ROOT}docker-compose.yml`, 'config'], { cwd: ROOT });
  for (const image of ['apache/kafka:', 'mongo:', 'minio/minio:']) assert.ok(resolved.includes(`image: ${image}`), image);
  for (const [service, stage] of [
    ['api_checkout', 'api'],
    ['outbox_worker', 'relay'],
    ['runner', 'runner'],
    ['inference', 'inference'],
    ['outbox_s3_worker', 'publisher'],
  ]) {
    const block = resolved.slice(resolved.indexOf(`\n  ${service}:`) + 1).split(/\n {2}[a-z_]+:\n/)[0]!;
    assert.match(block, new RegExp(`command:\\n\\s+- ${stage}\\n`), `${service} runs framewise ${stage}`);
    assert.match(block, /KAFKA_BOOTSTRAP_SERVERS: kafka:9092/, `${service} env`);
  }
  assert.equal((resolved.match(/healthcheck:/g) ?? []).length, 8, 'every service has a health check');
});

test('the Dockerfile builds with the repository’s own install steps and runs a stage as its command', async () => {
  const dockerfile = await readFile(`${ROOT}Dockerfile`, 'utf8');
  assert.match(dockerfile, /RUN npm ci && npm prune --omit=dev/);
  assert.match(dockerfile, /ENTRYPOINT \[.*"node", "\/app\/bin\/framewise.js"\]/);
  assert.match(dockerfile, /FROM node:2[2-9]/, 'a current LTS');
});
