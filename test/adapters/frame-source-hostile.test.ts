import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FfmpegFrameSource, type FfmpegOptions } from '../../src/adapters/frame-source/ffmpeg.js';
import { resolveBinary } from '../../src/adapters/frame-source/binaries.js';
import { VideoDecodeError, type SampledFrame } from '../../src/ports/frame-source.js';
import { sniffVideo } from '../../src/stages/api/sniff.js';

/**
 * Hostile input to the frame source: playlists and lists that name URLs or local files, an input
 * that never delivers, and videos that need more memory or CPU than allowed. Real ffmpeg, a real
 * HTTP server, real FIFOs.
 */

const run = promisify(execFile);
const VIDEO = fileURLToPath(new URL('../fixtures/vtest-10s.mp4', import.meta.url));
const MiB = 1024 * 1024;

const source = (opts: Partial<FfmpegOptions> = {}) => new FfmpegFrameSource({ decodeErrors: 'fail', ...opts });

async function collect(frames: AsyncIterable<SampledFrame>): Promise<SampledFrame[]> {
  const out: SampledFrame[] = [];
  for await (const f of frames) out.push(f);
  return out;
}

/** Rejects with a VideoDecodeError whose message matches `reason`. */
const decodeError = (reason: RegExp) => (e: unknown) => {
  assert.ok(e instanceof VideoDecodeError, `a VideoDecodeError, not ${String(e)}`);
  assert.match(e.message, reason);
  return true;
};

/**
 * A FIFO that tells whether anything opened it for reading: a writer waits on it, and its open
 * completes only when a reader comes. `close` releases the writer without counting as a read.
 */
async function tripwire(path: string): Promise<{ opened: () => boolean; close: () => Promise<void> }> {
  await run('mkfifo', [path]);
  let opened = false;
  let closing = false;
  const writer = open(path, 'w').then(async (fh) => {
    if (!closing) opened = true;
    await fh.close();
  });
  return {
    opened: () => opened,
    async close() {
      closing = true;
      const reader = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
      await writer.catch(() => {});
      await reader.close();
    },
  };
}

describe('ffmpeg frame source: hostile input', () => {
  let dir: string;
  let http: Server;
  let requests: string[];
  let base: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-hostile-'));
    requests = [];
    http = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  after(async () => {
    http.close();
    await rm(dir, { recursive: true, force: true });
  });

  const playlist = (...entries: string[]) => `#EXTM3U\n#EXT-X-TARGETDURATION:10\n${entries.map((e) => `#EXTINF:10,\n${e}\n`).join('')}#EXT-X-ENDLIST\n`;

  test('an HLS playlist naming URLs: no request reaches the server; probe and decode refuse it', async () => {
    const path = join(dir, 'remote.m3u8');
    await writeFile(path, playlist(`${base}/segment.ts`, `${base}/other.mp4`));
    await assert.rejects(source().probe(path), decodeError(/not a video: a hls file \(a playlist/));
    await assert.rejects(collect(source().frames(path, 5)), decodeError(/not a video: a hls file/));
    assert.deepEqual(requests, [], 'the HTTP server received no request');
  });

  test('an HLS playlist naming a local file by absolute path: the file is never opened', async () => {
    const segment = join(dir, 'segment.ts');
    const wire = await tripwire(segment);
    try {
      const path = join(dir, 'local.m3u8');
      await writeFile(path, playlist(segment, `file://${segment}`));
      await assert.rejects(source().probe(path), decodeError(/hls file/));
      await assert.rejects(collect(source().frames(path, 5)), decodeError(/hls file/));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(wire.opened(), false, 'ffmpeg opened the file the playlist names');
    } finally {
      await wire.close();
    }
  });

  test('an ffconcat list naming a sibling file, the fixture or /etc/passwd: none is read', async () => {
    const sibling = join(dir, 'sibling.mp4');
    const wire = await tripwire(sibling);
    try {
      // The concat demuxer's own `safe` mode refuses absolute paths, not a relative sibling (in
      // embedded mode: another job's video in the same directory).
      for (const entry of ['sibling.mp4', VIDEO, '/etc/passwd', `${base}/list-entry.mp4`]) {
        const path = join(dir, 'list.ffconcat');
        await writeFile(path, `ffconcat version 1.0\nfile '${entry}'\n`);
        await assert.rejects(source().probe(path), decodeError(/not a video: a concat file/), entry);
        await assert.rejects(collect(source().frames(path, 5)), decodeError(/concat file/), entry);
      }
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(wire.opened(), false, 'ffmpeg opened the file the list names');
      assert.deepEqual(requests, []);
    } finally {
      await wire.close();
    }
  });

  test('a playlist is text, so an upload of one is refused at once — unless salted with a binary line, hence the runner-side refusal', async () => {
    await assert.rejects(sniffVideo(Buffer.from(playlist(VIDEO))), (e: Error & { code?: string }) => e.code === 'ERR_UPLOAD_NOT_VIDEO');
    // A comment line of control bytes after the first tag: not text to the sniffer, still HLS to ffmpeg.
    const salted = Buffer.from(playlist(VIDEO).replace('#EXTINF', '#\x01\x02 binary comment\n#EXTINF'), 'latin1');
    assert.equal((await sniffVideo(salted)).mediaType, 'application/octet-stream', 'the sniffer cannot tell');
    const path = join(dir, 'salted.m3u8');
    await writeFile(path, salted);
    await assert.rejects(source().probe(path), decodeError(/hls file/));
  });

  test('an input that never delivers (a FIFO nobody writes): the probe times out, decoding stalls, both fail', async () => {
    const fifo = join(dir, 'never.mp4');
    await run('mkfifo', [fifo]);
    const started = Date.now();
    await assert.rejects(source({ probeTimeoutMs: 500 }).probe(fifo), decodeError(/reading the video timed out \(0\.5 s\)/));
    await assert.rejects(
      collect(source({ decodeStallMs: 500 }).frames(fifo, 1)),
      decodeError(/decoding stalled: no frame from ffmpeg for 0\.6 s after sampled frame 0/),
    );
    assert.ok(Date.now() - started < 10_000, `both gave up in ${Date.now() - started} ms`);
    const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)]);
    assert.doesNotMatch(stdout, /ffmpeg|ffprobe/, 'nothing left running');
  });

  test('slow detection is not a stall: the time a frame spends with the consumer does not count', async () => {
    const frames: SampledFrame[] = [];
    for await (const f of source({ decodeStallMs: 100 }).frames(VIDEO, 50)) {
      frames.push(f);
      await new Promise((r) => setTimeout(r, 400));
    }
    assert.deepEqual(
      frames.map((f) => f.frame),
      [0, 50],
    );
  });

  test('ffmpeg runs under the configured address-space and CPU limits', async () => {
    const limited = source({ limits: { memoryBytes: 1536 * MiB, cpuSeconds: 600 } });
    let limits = '';
    for await (const f of limited.frames(VIDEO, 25)) {
      if (f.frame > 0) continue;
      const { stdout } = await run('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]);
      const pid = /(\d+)\s+ffmpeg/.exec(stdout)?.[1];
      assert.ok(pid, `ffmpeg is a child of this process: ${stdout}`);
      limits = await readFile(`/proc/${pid}/limits`, 'utf8');
    }
    assert.match(limits, new RegExp(`Max address space\\s+${1536 * MiB}\\s+${1536 * MiB}\\s+bytes`));
    assert.match(limits, /Max cpu time\s+600\s+605\s+seconds/);
    const info = await limited.probe(VIDEO);
    assert.equal(info.frameCount, 100, 'and decodes as without limits');
  });

  test('a memory limit too small: probe and decode fail with the limit in the reason', async () => {
    const tiny = source({ limits: { memoryBytes: 32 * MiB } });
    await assert.rejects(tiny.probe(VIDEO), decodeError(/^not a readable video: ffprobe ran out of memory \(limit 32 MiB\)$/));
    await assert.rejects(collect(tiny.frames(VIDEO, 5)), decodeError(/^decoding failed after 0 sampled frames: ffmpeg ran out of memory \(limit 32 MiB\)$/));
  });

  test('a CPU limit: decoding that needs more CPU time fails with the limit in the reason', async () => {
    const long = join(dir, 'long.mp4');
    await run(resolveBinary('ffmpeg'), ['-v', 'error', '-y', '-stream_loop', '20', '-i', VIDEO, '-c', 'copy', long]);
    await assert.rejects(
      collect(source({ limits: { cpuSeconds: 1 } }).frames(long, 1)),
      decodeError(/decoding failed after \d+ sampled frames: ffmpeg used up its CPU time \(limit 1 s\)/),
    );
  });

  test('without prlimit (macOS, slim images) ffmpeg runs without limits, and says so once', async () => {
    const warnings: string[] = [];
    const bare = source({ prlimitPath: join(dir, 'no-prlimit'), limits: { memoryBytes: 32 * MiB }, warn: (m) => warnings.push(m) });
    assert.equal((await bare.probe(VIDEO)).frameCount, 100, 'the 32 MiB limit was not applied');
    assert.equal((await collect(bare.frames(VIDEO, 50))).length, 2);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /prlimit \(util-linux\) not found: ffmpeg and ffprobe run without their resource limits \(memory 32 MiB, CPU unlimited\)/);
  });

  test('a video in a directory of others decodes as usual: the confinement refuses lists, not files', async () => {
    await mkdir(join(dir, 'store'), { recursive: true });
    const copy = join(dir, 'store', 'input.mp4');
    await copyFile(VIDEO, copy);
    assert.equal((await collect(source().frames(copy, 25))).length, 4);
  });
});
