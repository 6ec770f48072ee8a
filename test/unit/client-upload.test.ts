import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadWithRetries } from '../../src/client/detect.js';

// The CLI's upload against servers that answer before reading the body, as Framewise does for a
// missing key, a rate limit or a retry it already accepted. The file is larger than the socket
// buffers, so a client that kept writing would wait forever for a 'drain'.
let dir: string;
let file: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fw-client-upload-'));
  file = join(dir, 'big.mp4');
  await writeFile(file, Buffer.alloc(48 * 1024 * 1024));
});
after(() => rm(dir, { recursive: true, force: true }));

async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  // Answers at once, never reading the body (Node discards it after the answer), as a Fastify
  // hook that runs on the headers does.
  // No keep-alive timeout: a client stuck writing stays stuck (the test's timeout catches it)
  // instead of being freed when the server closes an idle connection.
  const server = createServer({ keepAliveTimeout: 0 }, answer);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server };
}

const json = (res: ServerResponse, status: number, body: object) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

test('a refusal sent before the body was read ends the upload with its error, every time', { timeout: 30_000 }, async () => {
  const s = await serve((_req, res) => json(res, 401, { error: { code: 'ERR_AUTH_REQUIRED', message: 'send a key' } }));
  try {
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        uploadWithRetries(s.url, file, () => {}),
        /ERR_AUTH_REQUIRED: send a key/,
        `attempt ${i}`,
      );
    }
  } finally {
    s.server.closeAllConnections();
    s.server.close();
  }
});

test('an early 200 (an idempotent retry the server already accepted) is taken as the job', { timeout: 30_000 }, async () => {
  const s = await serve((req, res) => json(res, 200, { event_id: `job-for-${req.headers['idempotency-key'] ? 'key' : 'none'}` }));
  try {
    assert.equal(await uploadWithRetries(s.url, file, () => {}), 'job-for-key');
  } finally {
    s.server.closeAllConnections();
    s.server.close();
  }
});
