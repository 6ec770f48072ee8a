import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE, ROOT, startServer, type Server } from '../e2e/server.js';

/**
 * The web page end to end, as a user meets it: `framewise serve` (the built CLI, with the bundle
 * `npm run build` wrote), Debian's Chromium driven by playwright-core, the fixture video dropped on
 * the page, detected by the real detector, then replayed with its boxes — checked in the overlay
 * canvas's pixels, not only in the DOM.
 */

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(ROOT, 'artifacts', 'web-viewer.png');
/** Detection of the 100-frame fixture (every 5th frame) takes ~10–30 s on 2 cores; annotation adds a few. */
const JOB_TIMEOUT_MS = 240_000;

interface Obj {
  class: string;
  box_norm: [number, number, number, number];
  conf: number;
  track_id: number | null;
}
interface Frame {
  frame: number;
  timestamp_ms: number;
  objects: Obj[];
}

/** The whole result of a ready job, every page of it (the page does the same). */
async function fetchResult(url: string, id: string): Promise<any> {
  const first = (await (await fetch(`${url}/api/result_video/${id}?limit=1000`)).json()) as any;
  for (let cursor = first.next_cursor; cursor;) {
    const page = (await (await fetch(`${url}/api/result_video/${id}?limit=1000&cursor=${encodeURIComponent(cursor)}`)).json()) as any;
    first.prediction.push(...page.prediction);
    cursor = page.next_cursor;
  }
  return first;
}

/** The rule the page follows: the latest sampled frame at or before `ms` (1 ms tolerance). */
const frameAt = (frames: readonly Frame[], ms: number) =>
  [...frames].filter((f) => f.timestamp_ms <= ms + 1).sort((a, b) => b.timestamp_ms - a.timestamp_ms)[0];

/** Overlay pixels: painted (opaque), and of `rgb` (±12 per channel: antialiased edges blend). */
async function overlayPixels(page: Page, rgb: [number, number, number]): Promise<{ painted: number; matching: number; width: number; height: number }> {
  return page.evaluate((target) => {
    const canvas = (globalThis as any).document.querySelector('canvas.overlay');
    const { width, height } = canvas;
    const data: Uint8ClampedArray = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    let painted = 0;
    let matching = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! < 200) continue;
      painted++;
      if (Math.abs(data[i]! - target[0]) <= 12 && Math.abs(data[i + 1]! - target[1]) <= 12 && Math.abs(data[i + 2]! - target[2]) <= 12) matching++;
    }
    return { painted, matching, width, height };
  }, rgb);
}

const overlayState = (page: Page) =>
  page.evaluate(() => {
    const c = (globalThis as any).document.querySelector('canvas.overlay');
    return { frame: c.dataset.frame as string, boxes: Number(c.dataset.boxes) };
  });

/** Seeks the player and waits until the overlay has drawn the sampled frame expected there. */
async function seekAndWait(page: Page, seconds: number, expectedFrame: number | undefined): Promise<void> {
  await page.evaluate((t) => {
    (globalThis as any).document.querySelector('.player video').currentTime = t;
  }, seconds);
  await page.waitForFunction(
    (want) => {
      const d = (globalThis as any).document;
      const v = d.querySelector('.player video');
      return !v.seeking && d.querySelector('canvas.overlay').dataset.frame === want;
    },
    expectedFrame === undefined ? '' : String(expectedFrame),
    { timeout: 15_000 },
  );
}

const hexToRgb = (hex: string): [number, number, number] => {
  const n = parseInt(hex.replace('#', ''), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};

describe('web page end to end (Chromium)', () => {
  let dir: string;
  let server: Server;
  let browser: Browser;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: scripts/test-deps.sh installs Debian's chromium`);
    dir = await mkdtemp(join(tmpdir(), 'fw-web-'));
    server = await startServer(join(dir, 'data'));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the page is served at / with its bundle from this server only; the API keeps its own paths', async () => {
    const res = await fetch(`${server.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const html = await res.text();
    const assets = [...html.matchAll(/<(?:script[^>]* src|link[^>]* href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), `script and stylesheet named: ${assets.join(', ')}`);
    for (const a of assets) {
      assert.ok(a.startsWith('/assets/'), `${a} is served by this server (no CDN)`);
      const asset = await fetch(`${server.url}${a}`);
      assert.equal(asset.status, 200, a);
      assert.match(asset.headers.get('cache-control') ?? '', /immutable/, `${a}: content-hashed, cached`);
    }
    const missing = await fetch(`${server.url}/api/no-such-route`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.code, 'ERR_ROUTE_NOT_FOUND');
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(!doc.paths['/'] && !Object.keys(doc.paths).some((p) => p.startsWith('/assets')), 'the page is not in the API description');
    assert.equal((await fetch(`${server.url}/docs/`)).status, 200);
    assert.equal((await fetch(`${server.url}/api/health`)).status, 200);
  });

  test(
    'a video dropped on the page is uploaded with its options, detected, and replayed with its boxes drawn',
    { timeout: JOB_TIMEOUT_MS + 120_000 },
    async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(`${server.url}/`);

      // The models come from GET /api/models.
      await page.locator('select[name="model"] option').first().waitFor({ state: 'attached' });
      const options = await page.locator('select[name="model"] option').allTextContents();
      assert.ok(options[0]?.startsWith('nanodet-coco') && options.some((t) => t.startsWith('centernet-coco')), options.join(' | '));

      // A file picked with the input, then replaced by a file dropped on the drop zone.
      await page.setInputFiles('input[type="file"]', FIXTURE);
      await page.locator('.file-name', { hasText: 'vtest-10s.mp4' }).waitFor();
      const bytes = (await readFile(FIXTURE)).toString('base64');
      const dataTransfer = await page.evaluateHandle((b64) => {
        const bin = atob(b64);
        const buf = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) buf[i] = bin.charCodeAt(i);
        const g = globalThis as any;
        const dt = new g.DataTransfer();
        dt.items.add(new g.File([buf], 'dropped-vtest.mp4', { type: 'video/mp4' }));
        return dt;
      }, bytes);
      await page.dispatchEvent('[data-testid="dropzone"]', 'drop', { dataTransfer });
      await page.locator('.file-name', { hasText: 'dropped-vtest.mp4' }).waitFor();

      await page.fill('input[name="sampling-value"]', '5');
      // Left empty, a threshold shows the chosen model's default (GET /api/models).
      assert.equal(await page.getAttribute('input[name="confidence"]', 'placeholder'), 'default 0.45');
      assert.equal(await page.getAttribute('input[name="iou"]', 'placeholder'), 'default 0.45');
      // Another model: its own default.
      await page.selectOption('select[name="model"]', 'centernet-coco');
      assert.equal(await page.getAttribute('input[name="confidence"]', 'placeholder'), 'default 0.35');
      await page.selectOption('select[name="model"]', 'nanodet-coco');
      await page.fill('input[name="confidence"]', '0.3');
      await page.fill('input[name="iou"]', '0.5');
      await page.fill('input[name="classes"]', 'person, car');
      await page.check('input[name="annotate"]');

      // Slow the upload down (DevTools network throttling) so its progress is seen between 0 and 1.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 200 * 1024 });
      // Record what the page hands to XMLHttpRequest (DevTools does not report multipart bodies with files).
      await page.evaluate(() => {
        const g = globalThis as any;
        const send = g.XMLHttpRequest.prototype.send;
        g.XMLHttpRequest.prototype.send = function (this: unknown, body: any) {
          g.__sentForm = [...body.entries()].map(([k, v]: [string, any]) => [k, typeof v === 'string' ? v : `file:${v.name}`]);
          return send.call(this, body);
        };
      });
      const uploadRequest = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/upload_video'));
      const eventStream = page.waitForRequest((r) => /\/api\/status\/[0-9a-f-]{36}\/events$/.test(r.url()), { timeout: 30_000 });
      await page.click('button[type="submit"]');
      const seen = new Set<number>();
      const progressBar = page.locator('progress[aria-label="Upload progress"]');
      await progressBar.waitFor();
      for (let i = 0; i < 200 && !(await page.locator('.ok[role="status"]').count()); i++) {
        seen.add(Number(await progressBar.getAttribute('value').catch(() => '0')));
        await page.waitForTimeout(25);
      }
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      const done = await page.locator('.ok[role="status"]').textContent({ timeout: 30_000 });
      const id = /job ([0-9a-f-]{36})/.exec(done ?? '')?.[1];
      assert.ok(id, `the page names the new job: ${done}`);
      assert.ok(
        [...seen].some((v) => v > 0 && v < 1),
        `upload progress seen between 0 and 1: ${[...seen].join(', ')}`,
      );
      assert.equal(await progressBar.getAttribute('value'), '1', 'the bar ends full');

      // The form fields travel before the file (the server reads the fields that precede it):
      // FormData entries are sent in their order.
      const sent = await page.evaluate(() => (globalThis as any).__sentForm as [string, string][]);
      const at = (name: string) => sent.findIndex(([k]) => k === name);
      assert.equal(sent[sent.length - 1]?.[0], 'file', `the file goes last: ${JSON.stringify(sent)}`);
      assert.equal(sent[at('file')]?.[1], 'file:dropped-vtest.mp4', 'the dropped file is the one sent');
      for (const field of ['model', 'sample_every', 'confidence', 'iou', 'classes', 'annotate'])
        assert.ok(at(field) >= 0 && at(field) < at('file'), `${field} is sent before the file`);
      assert.deepEqual(Object.fromEntries(sent.filter(([k]) => k !== 'file')), {
        model: 'nanodet-coco',
        sample_every: '5',
        confidence: '0.3',
        iou: '0.5',
        classes: 'person,car',
        annotate: 'true',
      });
      assert.ok((await uploadRequest).url().startsWith(server.url), 'posted to this server');

      // The new job is watched live through its event stream, and listed until it is ready.
      assert.ok((await eventStream).url().includes(id), 'the watched job’s event stream is opened');
      const row = page.locator(`tr[data-job="${id}"]`);
      await row.waitFor();
      await page.locator(`tr[data-job="${id}"][data-status="ready"]`).waitFor({ timeout: JOB_TIMEOUT_MS });

      // Open the viewer; the video plays in Chromium (H.264 in MP4).
      await page.getByRole('button', { name: `View job ${id}` }).click();
      await page.locator('.player video').waitFor({ timeout: 30_000 });
      await page.waitForFunction(
        () => {
          const v = (globalThis as any).document.querySelector('.player video');
          return v.readyState >= 2 && v.videoWidth > 0;
        },
        null,
        { timeout: 30_000 },
      );
      const played = await page.evaluate(async () => {
        const d = (globalThis as any).document;
        const v = d.querySelector('.player video');
        const drawn = new Set<string>();
        v.muted = true;
        await v.play();
        const until = Date.now() + 10_000;
        while (v.currentTime < 1.2 && Date.now() < until) {
          drawn.add(d.querySelector('canvas.overlay').dataset.frame);
          await new Promise((r) => setTimeout(r, 20));
        }
        v.pause();
        return {
          currentTime: v.currentTime,
          width: v.videoWidth,
          height: v.videoHeight,
          decoded: v.getVideoPlaybackQuality?.().totalVideoFrames ?? -1,
          drawn: [...drawn],
        };
      });
      assert.ok(played.currentTime >= 1.2, `the video played: ${JSON.stringify(played)}`);
      assert.deepEqual([played.width, played.height], [768, 576]);
      assert.ok(played.decoded > 5, `frames decoded: ${played.decoded}`);
      assert.ok(played.drawn.filter(Boolean).length >= 2, `the boxes follow the picture while it plays: sampled frames drawn ${played.drawn.join(', ')}`);

      const result = await fetchResult(server.url, id);
      assert.equal(result.status, 'ready');
      const frames = result.prediction as Frame[];
      assert.ok(frames.length >= 10, `sampled frames: ${frames.length}`);
      // Where the overlay stands after playing: the frame the rule picks at the paused time.
      await page.waitForFunction(() => !(globalThis as any).document.querySelector('.player video').seeking);
      const pausedAt = await page.evaluate(() => (globalThis as any).document.querySelector('.player video').currentTime as number);
      await page.waitForFunction(
        (want) => (globalThis as any).document.querySelector('canvas.overlay').dataset.frame === want,
        String(frameAt(frames, pausedAt * 1000)?.frame ?? ''),
        { timeout: 5000 },
      );

      // Seek into the sampled frame with the most people, between two decoded frames.
      const people = (f: Frame) => f.objects.filter((o) => o.class === 'person');
      const busiest = [...frames].sort((a, b) => people(b).length - people(a).length)[0]!;
      assert.ok(people(busiest).length >= 2, `people visible in frame ${busiest.frame}`);
      const t = (busiest.timestamp_ms + 40) / 1000;
      await seekAndWait(page, t, busiest.frame);
      const state = await overlayState(page);
      assert.equal(state.boxes, busiest.objects.length, 'every object of the frame is drawn');

      // The boxes are really on the canvas: pixels of the person colour, about as many as the outlines.
      const personHex = await page.locator('.class-filter input[value="person"] + .swatch').getAttribute('data-color');
      assert.ok(personHex, 'person has a colour in the class filter');
      const rgb = hexToRgb(personHex);
      const px = await overlayPixels(page, rgb);
      const dpr = await page.evaluate(() => (globalThis as any).devicePixelRatio as number);
      // Each outline is about 2 CSS px wide; half its perimeter is a safe lower bound (clipping, blending).
      const outline = people(busiest).reduce(
        (sum, o) => sum + 2 * ((o.box_norm[2] - o.box_norm[0]) * px.width + (o.box_norm[3] - o.box_norm[1]) * px.height) * 2 * dpr,
        0,
      );
      assert.ok(
        px.matching >= outline / 2,
        `person-coloured pixels ${px.matching} ≥ ${Math.round(outline / 2)} (half the outlines of ${people(busiest).length} boxes)`,
      );
      assert.ok(px.matching >= 0.5 * px.painted, `most painted pixels are the class colour: ${px.matching} of ${px.painted}`);

      // Screenshot of the viewer with its boxes.
      await mkdir(join(ROOT, 'artifacts'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      console.log(`web page screenshot: ${SCREENSHOT}`);

      // The class filter hides that class's boxes, and only them.
      await page.uncheck('.class-filter input[value="person"]');
      await page.waitForFunction(
        (n) => Number((globalThis as any).document.querySelector('canvas.overlay').dataset.boxes) === n,
        busiest.objects.length - people(busiest).length,
      );
      assert.ok((await overlayPixels(page, rgb)).matching < px.matching / 20, 'no person boxes once person is unticked');
      await page.check('.class-filter input[value="person"]');
      await page.waitForFunction((n) => Number((globalThis as any).document.querySelector('canvas.overlay').dataset.boxes) === n, busiest.objects.length);

      // The confidence slider hides boxes below it.
      const confs = busiest.objects.map((o) => o.conf).sort((a, b) => a - b);
      const cut = Math.ceil(((confs[0]! + confs[confs.length - 1]!) / 2) * 100) / 100;
      await page.fill('input[name="min-confidence"]', String(cut));
      await page.waitForFunction(
        (n) => Number((globalThis as any).document.querySelector('canvas.overlay').dataset.boxes) === n,
        confs.filter((c) => c >= cut).length,
      );
      await page.fill('input[name="min-confidence"]', '1');
      await page.waitForFunction(() => (globalThis as any).document.querySelector('canvas.overlay').dataset.boxes === '0');
      assert.equal((await overlayPixels(page, rgb)).painted, 0, 'nothing drawn above every confidence');
      await page.fill('input[name="min-confidence"]', '0');

      // The summaries: a row per track and per class.
      const tracks = result.tracks as { track_id: number; class: string }[];
      assert.ok(tracks.length > 0, 'the result has tracks');
      assert.equal(await page.locator('table.tracks tbody tr').count(), Math.min(tracks.length, 1000));
      assert.equal(await page.locator('table.class-summary tbody tr').count(), result.classes.length);

      // The timeline: a lane per class, a bar per segment; a click on a bar seeks to its start.
      const segments = result.segments as { class: string; start_ms: number; end_ms: number }[];
      assert.ok(segments.length > 0, 'the result has segments');
      assert.equal(await page.locator('.timeline .lane[data-class]').count(), result.classes.length);
      assert.equal(await page.locator('.timeline .segment').count(), segments.length);
      const target = [...segments].filter((s) => s.class === 'person').sort((a, b) => b.start_ms - a.start_ms)[0] ?? segments[0]!;
      await page.locator(`.timeline .lane[data-class="${target.class}"] .segment[data-start-ms="${target.start_ms}"]`).click();
      await page.waitForFunction(
        (want) => {
          const v = (globalThis as any).document.querySelector('.player video');
          return !v.seeking && Math.abs(v.currentTime * 1000 - want) < 50;
        },
        target.start_ms,
        { timeout: 15_000 },
      );
      await page.waitForFunction(
        (want) => (globalThis as any).document.querySelector('canvas.overlay').dataset.frame === want,
        String(frameAt(frames, target.start_ms)?.frame ?? ''),
      );

      // The job asked for annotation: once rendered, the page links the annotated MP4, and it is there.
      const link = page.locator('a[href$="/annotated.mp4"]');
      await link.waitFor({ timeout: 120_000 });
      const annotated = await fetch(`${server.url}${await link.getAttribute('href')}`, { method: 'HEAD' });
      assert.equal(annotated.status, 200);
      assert.match(annotated.headers.get('content-type') ?? '', /video\/mp4/);

      assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
      await page.close();
    },
  );
});
