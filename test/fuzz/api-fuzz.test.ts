import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIXTURE, startServer, uploadFile, uploadFixture, waitForResult, isFinished, type Server } from '../e2e/server.js';

/**
 * The whole HTTP API under schemathesis (PyPI): requests generated from `/openapi.json` — valid
 * ones, and ones that break the schema on purpose — against the real embedded server. Passes when
 * no answer is a 5xx, the server is still running and it logged no error. Bounded: FUZZ_MAX_EXAMPLES
 * cases per operation and phase (default 50; raise it for a deeper run), FUZZ_SEED to replay a run
 * (schemathesis prints its seed). `scripts/test-deps.sh` installs schemathesis, pinned, outside
 * the repository.
 */

const REQUIREMENTS = new URL('../../scripts/schemathesis-requirements.txt', import.meta.url);

/** Where `scripts/test-deps.sh` put schemathesis: a virtualenv keyed by the pinned set's hash. */
function schemathesisPath(): string {
  if (process.env.SCHEMATHESIS) return process.env.SCHEMATHESIS;
  const key = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 12);
  return join(process.env.FRAMEWISE_VENV_DIR ?? join(homedir(), '.cache', 'framewise-venv'), `schemathesis-${key}`, 'bin', 'schemathesis');
}

const MAX_EXAMPLES = process.env.FUZZ_MAX_EXAMPLES ?? '50';

/** Runs schemathesis; resolves with its exit code and everything it printed. */
function schemathesis(args: string[], cwd: string, timeoutMs = 240_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    // In the test's directory: nothing of schemathesis' is left in the repository.
    const child = spawn(schemathesisPath(), args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', COLUMNS: '120' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The options every run shares: only 5xx fail; one worker (CPython 3.11's `ast.parse` is not thread-safe under schemathesis' workers). */
const common = (url: string) => [
  'run',
  `${url}/openapi.json`,
  '--checks',
  'not_a_server_error',
  '--max-examples',
  MAX_EXAMPLES,
  '--workers',
  '1',
  '--request-timeout',
  '15',
  '--no-color',
  '--generation-database',
  'none',
  ...(process.env.FUZZ_SEED ? ['--seed', process.env.FUZZ_SEED] : []),
];

describe('API fuzz: schemathesis against /openapi.json, the real embedded server', () => {
  let dir: string;
  let server: Server;

  before(async () => {
    assert.ok(existsSync(schemathesisPath()), `schemathesis is not installed at ${schemathesisPath()}: run bash scripts/test-deps.sh`);
    dir = await mkdtemp(join(tmpdir(), 'fw-fuzz-'));
    server = await startServer(join(dir, 'data'), {
      // Small uploads: generated files are small anyway, and a bound keeps the run's disk use small.
      FRAMEWISE_MAX_UPLOAD_BYTES: '1000000',
      // The rate limits would answer most generated uploads 429, leaving the routes behind them untested.
      FRAMEWISE_RATE_LIMIT_PER_MINUTE: '0',
      FRAMEWISE_UPLOAD_RATE_LIMIT_PER_MINUTE: '0',
    });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** The server is alive and well: it answers, and it logged no error (pino level 50) or fatal (60). */
  const assertHealthy = async (output: string) => {
    assert.equal(server.proc.exitCode, null, `the server exited:\n${server.log.slice(-20).join('\n')}`);
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
    const errors = server.log.filter((l) => /"level":(50|60)\b/.test(l));
    assert.deepEqual(
      errors.map((l) => l.slice(0, 1500)),
      [],
      `the server logged errors\n--- schemathesis ---\n${output.slice(-20_000)}`,
    );
  };

  test('every operation with generated input, valid and not: no 5xx, no crash, no error logged', { timeout: 300_000 }, async () => {
    const { code, output } = await schemathesis(common(server.url), dir);
    assert.equal(code, 0, `schemathesis found failures (exit ${code}):\n${output.slice(-30_000)}`);
    assert.match(output, /Coverage[\s\S]*Fuzzing/, 'the coverage and fuzzing phases ran');
    await assertHealthy(output);
  });

  test("a ready job's routes with generated queries, ranges and headers: no 5xx, no crash, no error logged", { timeout: 400_000 }, async () => {
    const upload = await uploadFixture(server.url, { annotate: 'true' });
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    const id = upload.body.event_id as string;
    const result = await waitForResult(server.url, id, isFinished, 180_000);
    assert.equal(result.status, 'ready', JSON.stringify(result).slice(0, 500));
    // Every `{event_id}` is this job, so result pages, filters, cursors, byte ranges and the
    // annotated video are reached with generated values, not just the 400 of a malformed id.
    const config = join(dir, 'schemathesis.toml');
    await writeFile(config, `[parameters]\nevent_id = "${id}"\n`);
    const { code, output } = await schemathesis(['--config-file', config, ...common(server.url), '--include-path-regex', '\\{event_id\\}'], dir);
    assert.equal(code, 0, `schemathesis found failures (exit ${code}):\n${output.slice(-30_000)}`);
    assert.equal((await fetch(`${server.url}/api/result_video/${id}`)).status, 200, 'the job is still there');
    await assertHealthy(output);
  });

  test('a playlist salted past the upload sniffer is accepted, then fails: the file it names is never decoded', { timeout: 120_000 }, async () => {
    // Text with one line of control bytes: not text to the sniffer, still HLS to ffmpeg. Before the
    // runner's demuxer allow-list it decoded the fixture it names, by absolute path.
    const playlist = `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#\x01\x02 binary comment\n#EXTINF:10,\n${FIXTURE}\n#EXT-X-ENDLIST\n`;
    const upload = await uploadFile(server.url, Buffer.from(playlist, 'latin1'), 'clip.m3u8');
    assert.equal(upload.status, 200, JSON.stringify(upload.body));
    const result = await waitForResult(server.url, upload.body.event_id as string, isFinished, 60_000);
    assert.equal(result.status, 'failed', JSON.stringify(result).slice(0, 500));
    assert.match(result.reason, /not a video: a hls file \(a playlist/);
    await assertHealthy('');
  });
});
