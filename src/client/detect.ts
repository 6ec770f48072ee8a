import { createReadStream } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { request as requestTls } from 'node:https';
import { basename } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';

export interface DetectOptions {
  url: string;
  out?: string;
  /** Progress bars on stderr (off when stderr is not a terminal). */
  progress: boolean;
  /** The job's model and options (`sample_every`, `confidence`, …), sent as query parameters. */
  jobOptions?: Record<string, string>;
  /** API key, sent as `Authorization: Bearer` (servers without keys ignore it). */
  key?: string;
}

/** The `Authorization` header of `key`, if any. */
const authorization = (key: string | undefined): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

class RetryableUploadError extends Error {}

/**
 * Uploads with retries: a dropped connection or a 5xx (the server restarting, a storage outage)
 * is retried with backoff under the same `Idempotency-Key`, so a retry of an upload the server
 * did accept returns that job instead of creating a second one.
 */
export async function uploadWithRetries(
  url: string,
  path: string,
  onBytes: (sent: number) => void,
  jobOptions: Record<string, string> = {},
  apiKey?: string,
  attempts = 5,
): Promise<string> {
  const key = randomUUID();
  for (let attempt = 1; ; attempt++) {
    try {
      return await upload(url, path, key, onBytes, jobOptions, apiKey);
    } catch (err) {
      if (!(err instanceof RetryableUploadError) || attempt >= attempts) throw err;
      await sleep(1000 * 2 ** (attempt - 1));
    }
  }
}

/** Streams a file as a multipart upload, reporting bytes sent. */
async function upload(
  url: string,
  path: string,
  idempotencyKey: string,
  onBytes: (sent: number) => void,
  jobOptions: Record<string, string>,
  apiKey: string | undefined,
): Promise<string> {
  const size = (await stat(path)).size;
  const boundary = `----framewise${Date.now().toString(16)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(path).replace(/"/g, '')}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const target = new URL('/api/upload_video', url);
  for (const [k, v] of Object.entries(jobOptions)) target.searchParams.set(k, v);
  const req = (target.protocol === 'https:' ? requestTls : request)(target, {
    method: 'POST',
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': head.length + size + tail.length,
      'idempotency-key': idempotencyKey,
      ...authorization(apiKey),
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => reject(new RetryableUploadError(`upload failed: ${err.message}`)));
    });
    req.on('error', (err) => reject(new RetryableUploadError(`upload failed: ${err.message}`)));
  });
  let sent = 0;
  const count = new Transform({
    transform(chunk: Buffer, _e, done) {
      sent += chunk.length;
      onBytes(sent);
      done(null, chunk);
    },
  });
  const file = createReadStream(path);
  req.write(head);
  const sending = pipeline(file, count, req, { end: false }).then(
    () => 'sent' as const,
    () => 'sent' as const,
  );
  // The server may answer before it has read the body (a missing key, a limit, a retry it already
  // accepted). Stop sending then: Node's client stops flushing a request whose response has ended,
  // so writing on would wait for a 'drain' that never comes.
  const first = await Promise.race([
    sending,
    response.then(
      () => 'answered' as const,
      () => 'answered' as const,
    ),
  ]);
  if (first === 'answered') {
    file.destroy();
    req.destroy();
  } else req.end(tail);
  const r = await response;
  if (r.status >= 500) throw new RetryableUploadError(`upload failed: HTTP ${r.status}`);
  const body = JSON.parse(r.body) as { event_id?: string; error?: { code: string; message: string } };
  if (r.status !== 200 || !body.event_id) throw new Error(body.error ? `${body.error.code}: ${body.error.message}` : `upload failed: HTTP ${r.status}`);
  return body.event_id;
}

/**
 * `framewise detect`: uploads a video to a running Framewise, follows the job with progress bars,
 * and writes the detections (or prints a summary). Resolves with the final result.
 */
export async function detect(path: string, opts: DetectOptions): Promise<void> {
  const size = (await stat(path)).size;
  const bars = new cliProgress.MultiBar(
    { format: ' {task} |{bar}| {percentage}% {value}/{total} {unit}', hideCursor: true, noTTYOutput: false, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const show = opts.progress && process.stderr.isTTY;
  const up = show ? bars.create(size, 0, { task: 'upload ', unit: 'bytes' }) : undefined;
  const id = await uploadWithRetries(opts.url, path, (sent) => up?.update(sent), opts.jobOptions, opts.key);
  up?.update(size);
  const work = show ? bars.create(1, 0, { task: 'detect ', unit: 'frames' }) : undefined;
  let result: any;
  for (;;) {
    const r = await fetch(new URL(`/api/result_video/${id}`, opts.url), { headers: authorization(opts.key) });
    result = await r.json();
    if (!r.ok) {
      bars.stop();
      throw new Error(result?.error ? `${result.error.code}: ${result.error.message}` : `reading job ${id} failed: HTTP ${r.status}`);
    }
    if (result.status === 'ready' || result.status === 'failed') break;
    const total = result.progress?.frames_total ?? result.progress?.frames_expected;
    if (work && total) {
      work.setTotal(total);
      work.update(result.progress.frames_done);
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  if (work && result.status === 'ready') {
    work.setTotal(result.prediction.length);
    work.update(result.prediction.length);
  }
  bars.stop();
  if (result.status === 'failed') throw new Error(`job ${id} failed: ${result.reason}`);
  const frames = result.prediction as Array<{ objects: Array<{ class: string }> }>;
  const counts = new Map<string, number>();
  for (const f of frames) for (const o of f.objects) counts.set(o.class, (counts.get(o.class) ?? 0) + 1);
  const summary = [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ');
  if (opts.out) await writeFile(opts.out, JSON.stringify(result, null, 2));
  else process.stdout.write(JSON.stringify(result) + '\n');
  process.stderr.write(
    `job ${id} ready in ${result.processing_time_formatted}: ${frames.length} frames; ${summary || 'no objects'}${opts.out ? ` → ${opts.out}` : ''}\n`,
  );
}
