import { before } from 'node:test';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { MongoClient } from 'mongodb';
import { KafkaBus } from '../../src/adapters/bus/kafka.js';
import { S3ObjectStore } from '../../src/adapters/object-store/s3.js';
import { MongoOutboxCollections } from '../../src/adapters/mongo/outbox-collections.js';
import { mongoOutboxDatabase } from '../../src/adapters/mongo/outbox-database.js';
import { MongoRunnerCollections } from '../../src/adapters/mongo/runner-collections.js';
import { mongoRunnerDatabase } from '../../src/adapters/mongo/runner-database.js';
import { busContract } from '../contracts/bus-contract.js';
import { objectStoreContract } from '../contracts/object-store-contract.js';
import { outboxContracts, runnerContracts } from '../contracts/all-store-contracts.js';
import { ENDPOINTS, infraUp } from './infra.js';

// Cluster mode's adapters against the same port contracts as embedded mode's, on real servers:
// Apache Kafka (KRaft), MinIO, and FerretDB (MongoDB wire protocol) started by scripts/infra.

const log = pino({ level: 'silent' });
before(infraUp, { timeout: 45 * 60_000 });

busContract('Kafka', async () => {
  // One consumer group namespace per fixture: a reopened bus resumes from the group's commits.
  const suffix = randomUUID().slice(0, 8);
  const opened: KafkaBus[] = [];
  return {
    async open() {
      const bus = new KafkaBus({ brokers: [ENDPOINTS.kafka], clientId: `contract-${suffix}`, log, partitions: 1, retryBaseMs: 10, retryMaxMs: 50 });
      opened.push(bus);
      const publish = bus.publish.bind(bus);
      const subscribe = bus.subscribe.bind(bus);
      const ensured = new Set<string>();
      const ensure = async (topic: string) => {
        if (!ensured.has(topic)) await bus.ensureTopics([topic]);
        ensured.add(topic);
      };
      return Object.assign(bus, {
        publish: async (topic: string, messages: Parameters<KafkaBus['publish']>[1]) => (await ensure(topic), publish(topic, messages)),
        subscribe: async (topic: string, handler: Parameters<KafkaBus['subscribe']>[1], o: Parameters<KafkaBus['subscribe']>[2]) => (
          await ensure(topic),
          subscribe(topic, handler, { ...o, group: `${o.group}-${suffix}` })
        ),
      });
    },
    async dispose() {},
  };
});

objectStoreContract('S3 (MinIO)', async () => {
  const store = new S3ObjectStore({
    endpoint: ENDPOINTS.minio,
    secure: false,
    accessKey: 'minioadmin',
    secretKey: 'minioadmin',
    region: 'us-east-1',
    bucket: `contract-${randomUUID().slice(0, 8)}`,
    forcePathStyle: true,
  });
  await store.ensureBucket();
  return { store, dispose: async () => store.deletePrefix('') };
});

async function mongoDb() {
  const client = await new MongoClient(ENDPOINTS.mongo, { serverSelectionTimeoutMS: 10_000 }).connect();
  const db = client.db(`contract_${randomUUID().slice(0, 8)}`);
  return { db, dispose: async () => (await db.dropDatabase(), await client.close()) };
}

// Every jobs-outbox and runner port's suite, on a database of its own each time.
outboxContracts('MongoDB protocol (FerretDB)', async () => {
  const { db, dispose } = await mongoDb();
  const collections = new MongoOutboxCollections(db);
  await collections.ensureIndexes();
  return { store: mongoOutboxDatabase(collections), dispose };
});

runnerContracts('MongoDB protocol (FerretDB)', async () => {
  const { db, dispose } = await mongoDb();
  const collections = new MongoRunnerCollections(db);
  await collections.ensureIndexes();
  // A peer is another process: its own collections object (write queue, claim signals).
  return { store: mongoRunnerDatabase(collections), peer: () => mongoRunnerDatabase(new MongoRunnerCollections(db)), dispose };
});
