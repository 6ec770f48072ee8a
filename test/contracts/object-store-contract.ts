import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { readFile } from 'node:fs/promises';
import { ObjectNotFoundError, type ObjectStore } from '../../src/ports/object-store.js';

/** The ObjectStore contract every adapter must pass. `make` gives an empty store. */
export function objectStoreContract(name: string, make: () => Promise<{ store: ObjectStore; dispose: () => Promise<void> }>): void {
  describe(`object store contract: ${name}`, () => {
    test('streams a put in and a get out, byte for byte', async () => {
      const { store, dispose } = await make();
      const data = Buffer.alloc(5 * 1024 * 1024 + 123);
      for (let i = 0; i < data.length; i++) data[i] = (i * 31) % 251;
      const chunks = function* () {
        for (let i = 0; i < data.length; i += 65536) yield data.subarray(i, i + 65536);
      };
      const { size } = await store.put('input/a.mp4', Readable.from(chunks()), 'video/mp4');
      assert.equal(size, data.length);
      assert.ok(await store.exists('input/a.mp4'));
      assert.ok((await buffer(await store.get('input/a.mp4'))).equals(data));
      const local = store.localPath('input/a.mp4');
      if (local !== undefined) assert.ok((await readFile(local)).equals(data));
      await store.close();
      await dispose();
    });

    test('a put replaces; a missing object is ObjectNotFoundError; delete is idempotent', async () => {
      const { store, dispose } = await make();
      await store.put('detection/x.json', Readable.from([Buffer.from('{"v":1}')]));
      await store.put('detection/x.json', Readable.from([Buffer.from('{"v":2}')]));
      assert.equal((await buffer(await store.get('detection/x.json'))).toString(), '{"v":2}');
      await assert.rejects(store.get('detection/missing.json'), ObjectNotFoundError);
      assert.equal(await store.exists('detection/missing.json'), false);
      await store.delete('detection/x.json');
      await store.delete('detection/x.json');
      assert.equal(await store.exists('detection/x.json'), false);
      await store.close();
      await dispose();
    });

    test('a body that fails stores nothing', async () => {
      const { store, dispose } = await make();
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1000, 1));
          this.destroy(new Error('client went away'));
        },
      });
      await assert.rejects(store.put('input/broken.mp4', failing), /client went away/);
      assert.equal(await store.exists('input/broken.mp4'), false);
      await store.close();
      await dispose();
    });

    test('deletePrefix removes exactly the keys under the prefix', async () => {
      const { store, dispose } = await make();
      for (const k of ['input/1.mp4', 'input/2.mp4', 'detection/1.json']) await store.put(k, Readable.from([Buffer.from(k)]));
      await store.deletePrefix('input/');
      assert.equal(await store.exists('input/1.mp4'), false);
      assert.equal(await store.exists('input/2.mp4'), false);
      assert.ok(await store.exists('detection/1.json'));
      await store.close();
      await dispose();
    });
  });
}
