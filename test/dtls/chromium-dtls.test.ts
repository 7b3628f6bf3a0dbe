/**
 * Chromium (BoringSSL's DTLS) against our DTLS over our ICE agent: connectionState reaches 'connected' with
 * our side as DTLS server and as DTLS client.
 */
import { test } from 'node:test';
import { launchChromium } from '../support/chromium.ts';
import { runDtlsSession, serveBlankPage } from './browser-dtls.ts';

test('Chromium connects to our DTLS in either role', async (t) => {
  const browser = await launchChromium(t);
  if (!browser) return;
  const blank = await serveBlankPage();
  t.after(() => blank.close());
  const context = await browser.newContext();
  // tsx's keepNames wraps functions in __name(), which pages do not have.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  for (const role of ['server', 'client'] as const) {
    await t.test(`our side as DTLS ${role}`, async () => {
      const page = await context.newPage();
      try {
        await page.goto(blank.url);
        const result = await runDtlsSession(page, role);
        console.log(`[Chromium] ${JSON.stringify(result)}`);
      } finally {
        await page.close();
      }
    });
  }
});
