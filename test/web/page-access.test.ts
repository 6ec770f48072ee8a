import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { FIXTURE, startServer, type Server } from '../e2e/server.js';

/**
 * The web page against a server with API keys (the built CLI and bundle, Debian's Chromium): the
 * page is refused until a key is given in its "API key" field; then uploads go with the key, the
 * live event stream and the `<video>` use the session cookie (they cannot send headers), and
 * another key's page does not see the job.
 */

const CHROMIUM = '/usr/bin/chromium';
const JOB_TIMEOUT_MS = 240_000;
const KEYS = { alice: 'alice-page-key-0123456789', bob: 'bob-page-key-0123456789ab' };

describe('web page with API keys (Chromium)', () => {
  let dir: string;
  let server: Server;
  let browser: Browser;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fw-page-keys-'));
    const keys = [
      { id: 'alice', role: 'client', key: KEYS.alice },
      { id: 'bob', role: 'client', key: KEYS.bob },
    ];
    server = await startServer(join(dir, 'data'), { FRAMEWISE_API_KEYS: JSON.stringify(keys), FRAMEWISE_ALLOW_UNAUTHENTICATED: '' });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** A fresh browser profile (own storage and cookies) on the page. */
  const open = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    await page.goto(`${server.url}/`);
    return page;
  };
  const useKey = async (page: Page, key: string, id: string) => {
    await page.fill('input[name="api-key"]', key);
    await page.getByRole('button', { name: 'Use key' }).click();
    await page.locator('.key-field strong', { hasText: id }).waitFor();
  };

  test(
    'refused without a key; with one, the upload, the live status and the video work; another key sees nothing of it',
    { timeout: JOB_TIMEOUT_MS + 120_000 },
    async () => {
      const page = await open();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      // Without a key the API refuses the page's requests, and the page says so.
      await page.locator('.error', { hasText: 'API key' }).first().waitFor({ timeout: 30_000 });

      // A wrong key is refused and not kept.
      await page.fill('input[name="api-key"]', 'not-a-key-of-this-server');
      await page.getByRole('button', { name: 'Use key' }).click();
      await page.locator('.key-field .error', { hasText: 'not valid' }).waitFor();
      assert.equal(await page.evaluate(() => (globalThis as any).localStorage.getItem('framewise.apiKey')), null);

      await useKey(page, KEYS.alice, 'alice');
      assert.equal(await page.evaluate(() => (globalThis as any).localStorage.getItem('framewise.apiKey')), KEYS.alice, 'kept in this browser');
      const cookie = (await page.context().cookies()).find((c) => c.name === 'framewise_session');
      assert.ok(cookie, 'the session cookie is set');
      assert.equal(cookie.httpOnly, true, 'HttpOnly: the page’s script cannot read it');
      assert.equal(cookie.sameSite, 'Strict');
      assert.ok(!cookie.value.includes(KEYS.alice), 'it does not hold the key');

      // The models load with the key, then the upload goes with it.
      await page.locator('select[name="model"] option').first().waitFor({ state: 'attached' });
      const statuses = new Map<string, number>();
      page.on('response', (r) => {
        const path = new URL(r.url()).pathname;
        if (/^\/api\/(status\/[0-9a-f-]{36}\/events|video\/[0-9a-f-]{36})$/.test(path)) statuses.set(path, r.status());
      });
      await page.setInputFiles('input[type="file"]', FIXTURE);
      await page.locator('.file-name', { hasText: 'vtest-10s.mp4' }).waitFor();
      await page.click('button[type="submit"]');
      const done = await page.locator('.ok[role="status"]').textContent({ timeout: 60_000 });
      const id = /job ([0-9a-f-]{36})/.exec(done ?? '')?.[1];
      assert.ok(id, `the page names the new job: ${done}`);
      await page.locator(`tr[data-job="${id}"][data-status="ready"]`).waitFor({ timeout: JOB_TIMEOUT_MS });
      assert.equal(statuses.get(`/api/status/${id}/events`), 200, 'the event stream opened with the session cookie');

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
      assert.ok([200, 206].includes(statuses.get(`/api/video/${id}`) ?? 0), `the video loaded with the session cookie: ${statuses.get(`/api/video/${id}`)}`);

      // Bob, in another browser profile, does not see alice's job.
      const other = await open();
      await useKey(other, KEYS.bob, 'bob');
      await other.locator('select[name="model"] option').first().waitFor({ state: 'attached' });
      await other.waitForTimeout(2500); // a refresh of the job list
      assert.equal(await other.locator(`tr[data-job="${id}"]`).count(), 0, 'not in bob’s list');
      const direct = await other.evaluate(async (job) => (await fetch(`/api/status/${job}`)).status, id);
      assert.equal(direct, 404, 'bob’s session cookie does not reach it either');

      // Forgetting the key ends the session.
      await page.getByRole('button', { name: 'Forget key' }).click();
      await page.locator('input[name="api-key"]').waitFor();
      assert.equal(
        (await page.context().cookies()).find((c) => c.name === 'framewise_session'),
        undefined,
        'the cookie is cleared',
      );
      assert.deepEqual(pageErrors, []);
    },
  );
});
