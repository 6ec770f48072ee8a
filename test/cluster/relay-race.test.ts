import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import pino from 'pino';
import { startStage, stopAll, type StageProcess } from '../../scripts/cluster-local.js';
import { KafkaBus } from '../../src/adapters/bus/kafka.js';
import { MongoOutboxCollections } from '../../src/adapters/mongo/outbox-collections.js';
import { mongoOutboxDatabase } from '../../src/adapters/mongo/outbox-database.js';
import { videoSubmitted } from '../../src/core/job.js';
import { waitFor } from '../contracts/wait-for.js';
import { ENDPOINTS, infraUp } from './infra.js';

before(infraUp, { timeout: 45 * 60_000 });

test('three relay processes on one outbox publish every event exactly once (no crash: no duplicate)', { timeout: 300_000 }, async () => {
  const topic = `relay_race_${randomUUID().slice(0, 8)}`;
  const log = pino({ level: 'silent' });
  const client = await new MongoClient(ENDPOINTS.mongo).connect();
  const collections = new MongoOutboxCollections(client.db('main_db'));
  await collections.ensureIndexes();
  const outbox = mongoOutboxDatabase(collections);
  const bus = new KafkaBus({ brokers: [ENDPOINTS.kafka], clientId: 'relay-race', log, partitions: 3 });
  const relays: StageProcess[] = [];
  const ids: string[] = [];
  try {
    await bus.ensureTopics([topic]);
    const seen: string[] = [];
    await bus.subscribe(topic, async (m) => void seen.push(m.headers.event_id!), { group: `count-${topic}` });
    // Relays first, so they race for the events as they arrive.
    for (let i = 0; i < 3; i++) relays.push(await startStage('relay', `relay-${i + 1}`, { RELAY_PORT: '0', FRAMEWISE_RELAY_BATCH_SIZE: '20' }));
    for (let i = 0; i < 600; i++) {
      const id = randomUUID();
      ids.push(id);
      await outbox.jobsOutbox.insert(videoSubmitted(id, { bucket: 'videos', object: `input/${id}.mp4`, media_type: 'video/mp4' }, topic, undefined));
    }
    await waitFor(async () => ((await outbox.outboxEvents.countByStatus()).new ?? 0) === 0 && seen.length >= ids.length, 'every event relayed', 120_000);
    await new Promise((r) => setTimeout(r, 2000)); // late duplicates, if any, would arrive now
    assert.equal(seen.length, ids.length, `published ${seen.length} messages for ${ids.length} events`);
    assert.deepEqual([...new Set(seen)].sort(), [...ids].sort());
    // Each relay's own count of what it published (its metrics): the work was shared.
    const counts = await Promise.all(
      relays.map(async (r) => {
        const text = await (await fetch(`${r.url}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith('framewise_outbox_publish_latency_seconds_count{') && l.includes('outbox="jobs"'));
        return Number(line?.split(' ').pop() ?? 0);
      }),
    );
    console.log(`# events published per relay: ${counts.join(', ')}`);
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      ids.length,
      'the relays together published each event once',
    );
    assert.ok(counts.filter((c) => c > 0).length >= 2, 'at least two relays took part');
  } finally {
    await stopAll(relays);
    await bus.close();
    await client
      .db('main_db')
      .collection('outbox')
      .deleteMany({ _id: { $in: ids } as never });
    await client.close();
  }
});
