import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import pino from 'pino';
import { loadConfig } from '../../src/core/config.js';
import { startClusterStage, type RunningStage } from '../../src/modes/cluster.js';
import { KafkaBus } from '../../src/adapters/bus/kafka.js';
import { checkReadiness } from '../../src/observability/readiness.js';
import { ENDPOINTS, infraUp } from './infra.js';

before(infraUp, { timeout: 45 * 60_000 });

/**
 * A TCP relay to MinIO that the test can cut and restore: MinIO "goes away" for this API process
 * only, while the shared servers keep running for everything else.
 */
class Cuttable {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Refuses new connections and drops the open ones. */
  async cut(): Promise<void> {
    const closed = new Promise((r) => this.server?.close(r));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe('cluster /ready: each process checks its own dependencies', () => {
  const [minioHost, minioPort] = ENDPOINTS.minio.split(':') as [string, string];
  const minio = new Cuttable({ host: minioHost, port: Number(minioPort) });
  let api: RunningStage | undefined;

  before(async () => {
    await minio.open();
    const config = loadConfig({
      ...process.env,
      MONGO_URI: ENDPOINTS.mongo,
      KAFKA_BOOTSTRAP_SERVERS: ENDPOINTS.kafka,
      MINIO_ENDPOINT: `127.0.0.1:${minio.port}`,
      FRAMEWISE_PORT: '0',
    });
    api = await startClusterStage('api', config, pino({ level: 'silent' }));
  });
  after(async () => {
    await api?.close();
    await minio.cut().catch(() => {});
  });

  const ready = async () => {
    const t0 = Date.now();
    const r = await fetch(`${api!.url}/ready`);
    return { status: r.status, body: (await r.json()) as { status: string; checks: Record<string, string> }, ms: Date.now() - t0 };
  };

  test('the API: 200 with MongoDB and MinIO answering; MinIO gone → 503 naming s3 (within the check timeout), /health still 200; back → 200', async () => {
    const up = await ready();
    assert.equal(up.status, 200, JSON.stringify(up.body));
    assert.deepEqual(up.body, { status: 'ready', checks: { main_db: 'ok', runner_db: 'ok', s3: 'ok' } });

    await minio.cut();
    const down = await ready();
    assert.equal(down.status, 503, JSON.stringify(down.body));
    assert.equal(down.body.status, 'not_ready');
    assert.notEqual(down.body.checks.s3, 'ok');
    assert.match(down.body.checks.s3!, /ECONNREFUSED|no answer within|bucket videos/i);
    assert.equal(down.body.checks.main_db, 'ok', 'only the unreachable dependency is named');
    assert.equal(down.body.checks.runner_db, 'ok');
    assert.ok(down.ms < 4_000, `the probe answers within its per-check timeout (${down.ms} ms)`);
    assert.equal((await fetch(`${api!.url}/api/health`)).status, 200, 'liveness does not depend on MinIO');

    await minio.open();
    let again = await ready();
    for (let i = 0; i < 20 && again.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      again = await ready();
    }
    assert.equal(again.status, 200, `ready again once MinIO answers: ${JSON.stringify(again.body)}`);
  });

  test('Kafka: a connected bus answers the metadata probe; one whose broker does not answer is not ready within the timeout', async () => {
    const log = pino({ level: 'silent' });
    const live = new KafkaBus({ brokers: [ENDPOINTS.kafka], clientId: 'framewise-ready-test', log, partitions: 1 });
    const dead = new KafkaBus({ brokers: ['127.0.0.1:1'], clientId: 'framewise-ready-test-dead', log, partitions: 1 });
    try {
      assert.deepEqual(await checkReadiness({ kafka: () => live.ping() }), { status: 'ready', checks: { kafka: 'ok' } });
      const t0 = Date.now();
      const r = await checkReadiness({ kafka: () => dead.ping() });
      assert.equal(r.status, 'not_ready');
      assert.notEqual(r.checks.kafka, 'ok');
      assert.ok(Date.now() - t0 < 3_000, 'bounded by the check timeout');
    } finally {
      await Promise.all([live.close(), dead.close()]);
    }
  });
});
