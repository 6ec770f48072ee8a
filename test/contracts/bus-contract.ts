import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Publisher } from '../../src/ports/bus-publisher.js';
import type { Subscriber } from '../../src/ports/bus-subscriber.js';
import type { DeliveredMessage } from '../../src/ports/bus-message.js';
import { waitFor } from './wait-for.js';

export type Bus = Publisher & Subscriber;

/** Storage that outlives one bus instance, so a test can close a bus and open another on it. */
export interface BusFixture {
  open(): Promise<Bus>;
  dispose(): Promise<void>;
}

const msg = (key: string, i: number) => ({ key, value: Buffer.from(`m${i}`), headers: { i: String(i) } });
const body = (m: DeliveredMessage) => m.value.toString();

/** The Publisher/Subscriber contract every bus adapter must pass (see the ports' TSDoc). */
export function busContract(name: string, makeFixture: () => Promise<BusFixture>): void {
  describe(`bus contract: ${name}`, () => {
    const topic = () => `t_${randomUUID().slice(0, 8)}`;

    test('each group gets every message; bytes and headers arrive intact', async () => {
      const f = await makeFixture();
      const bus = await f.open();
      const t = topic();
      const a: string[] = [];
      const b: string[] = [];
      await bus.subscribe(t, async (m) => void a.push(body(m)), { group: 'a' });
      await bus.subscribe(t, async (m) => void b.push(`${body(m)}:${m.headers.i}`), { group: 'b' });
      await bus.publish(t, [msg('k', 1), msg('k', 2)]);
      await bus.publish(t, [{ key: 'bin', value: Buffer.from([0, 255, 1]), headers: { i: '3' } }]);
      await waitFor(() => a.length === 3 && b.length === 3, 'both groups');
      assert.deepEqual(a.slice(0, 2), ['m1', 'm2']);
      assert.deepEqual(b.slice(0, 2), ['m1:1', 'm2:2']);
      await bus.close();
      await f.dispose();
    });

    test('concurrent publishes to one partition all arrive (none silently dropped)', async () => {
      const f = await makeFixture();
      const bus = await f.open();
      const t = topic();
      const got = new Set<string>();
      await bus.subscribe(t, async (m) => void got.add(body(m)), { group: 'g' });
      await Promise.all(Array.from({ length: 20 }, (_, i) => bus.publish(t, [msg('same-key', i)])));
      await waitFor(() => got.size === 20, 'all 20 concurrent publishes');
      await bus.publish(t, [msg('same-key', 99)]);
      await waitFor(() => got.has('m99'), 'a publish after them');
      await bus.close();
      await f.dispose();
    });

    test('a rejected message is redelivered, in order, until handled', async () => {
      const f = await makeFixture();
      const bus = await f.open();
      const t = topic();
      const seen: string[] = [];
      let failures = 0;
      await bus.subscribe(
        t,
        async (m) => {
          seen.push(`${body(m)}#${m.attempt}`);
          if (body(m) === 'm1' && failures < 2) {
            failures++;
            throw new Error('transient');
          }
        },
        { group: 'g' },
      );
      await bus.publish(t, [msg('k', 1), msg('k', 2)]);
      await waitFor(() => seen.includes('m2#1'), 'm2');
      assert.deepEqual(seen, ['m1#1', 'm1#2', 'm1#3', 'm2#1']);
      await bus.close();
      await f.dispose();
    });

    test('a group resumes after its last commit when a new bus opens on the same storage', async () => {
      const f = await makeFixture();
      const t = topic();
      const first = await f.open();
      const handled: string[] = [];
      await first.subscribe(
        t,
        async (m) => {
          if (body(m) === 'm3') throw new Error('not now');
          handled.push(body(m));
        },
        { group: 'g' },
      );
      await first.publish(t, [msg('k', 1), msg('k', 2), msg('k', 3), msg('k', 4)]);
      await waitFor(() => handled.length === 2, 'm1, m2');
      await first.close();
      const second = await f.open();
      const again: string[] = [];
      await second.subscribe(t, async (m) => void again.push(body(m)), { group: 'g' });
      await waitFor(() => again.includes('m4'), 'm4 after reopen');
      assert.deepEqual(again, ['m3', 'm4'], 'the unhandled message and what follows it, nothing handled before');
      await second.close();
      await f.dispose();
    });

    test('concurrency runs handlers side by side and still delivers each message once', async () => {
      const f = await makeFixture();
      const bus = await f.open();
      const t = topic();
      let running = 0;
      let peak = 0;
      const done: string[] = [];
      await bus.subscribe(
        t,
        async (m) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 30));
          running--;
          done.push(body(m));
        },
        { group: 'g', concurrency: 3 },
      );
      await bus.publish(
        t,
        Array.from({ length: 9 }, (_, i) => msg(`k${i}`, i)),
      );
      await waitFor(() => done.length === 9, 'nine messages');
      assert.ok(peak > 1, `handlers overlapped (peak ${peak})`);
      assert.equal(new Set(done).size, 9);
      await bus.close();
      await f.dispose();
    });

    test('close waits for handlers in flight', async () => {
      const f = await makeFixture();
      const bus = await f.open();
      const t = topic();
      let finished = false;
      let started = false;
      await bus.subscribe(
        t,
        async () => {
          started = true;
          await new Promise((r) => setTimeout(r, 200));
          finished = true;
        },
        { group: 'g' },
      );
      await bus.publish(t, [msg('k', 1)]);
      await waitFor(() => started, 'handler start');
      await bus.close();
      assert.ok(finished, 'handler finished before close resolved');
      await f.dispose();
    });
  });
}
