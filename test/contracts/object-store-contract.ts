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

    test('get with a byte range streams exactly that slice: start, middle, last byte, clamped end', async () => {
      const { store, dispose } = await make();
      const data = Buffer.alloc(300_000);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) % 256;
      await store.put('input/r.mp4', Readable.from([data]), 'video/mp4');
      const slice = async (start: number, end: number) => buffer(await store.get('input/r.mp4', { start, end }));
      assert.ok((await slice(0, 0)).equals(data.subarray(0, 1)), 'first byte');
      assert.ok((await slice(0, 99)).equals(data.subarray(0, 100)), 'range at the start');
      assert.ok((await slice(123_457, 200_000)).equals(data.subarray(123_457, 200_001)), 'range in the middle');
      assert.ok((await slice(data.length - 1, data.length - 1)).equals(data.subarray(data.length - 1)), 'last byte');
      assert.ok((await slice(data.length - 10, data.length + 1000)).equals(data.subarray(data.length - 10)), 'an end past the object is clamped');
      await assert.rejects(store.get('input/r.mp4', { start: data.length, end: data.length + 5 }), RangeError, 'a range that starts past the end');
      await assert.rejects(store.get('input/r.mp4', { start: 10, end: 9 }), RangeError, 'start after end');
      await assert.rejects(store.get('input/missing.mp4', { start: 0, end: 9 }), ObjectNotFoundError);
      await store.close();
      await dispose();
    });

    test('stat gives the size without reading; a missing object is ObjectNotFoundError; a put changes the etag', async () => {
      const { store, dispose } = await make();
      await store.put('input/s.mp4', Readable.from([Buffer.alloc(12_345, 7)]), 'video/mp4');
      const first = await store.stat('input/s.mp4');
      assert.equal(first.size, 12_345);
      // Stores that keep a media type keep the one given at put.
      if (first.contentType !== undefined) assert.equal(first.contentType, 'video/mp4');
      await assert.rejects(store.stat('input/missing.mp4'), ObjectNotFoundError);
      await store.put('input/s.mp4', Readable.from([Buffer.alloc(12_346, 8)]), 'video/mp4');
      const second = await store.stat('input/s.mp4');
      assert.equal(second.size, 12_346);
      if (first.etag !== undefined || second.etag !== undefined) assert.notEqual(second.etag, first.etag);
      await store.put('input/empty.bin', Readable.from([Buffer.alloc(0)]));
      assert.equal((await store.stat('input/empty.bin')).size, 0);
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
