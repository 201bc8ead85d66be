#!/usr/bin/env node
// Drives cc-relay's phone page in headless Chromium (Debian `chromium`, via
// playwright-core) like a person on a phone: open the link from `cc-relay
// token add` (PHONE_URL in the environment: it holds the token), open the
// session that needs attention, approve its pending tool, send a message,
// reload and find the transcript again. Saves a screenshot at each step
// (SHOTS_DIR/NN-step.png) and prints one JSON line per step. Exit 1 on the
// first step that fails. Bounded: 90 s.
import { chromium } from 'playwright-core';

const url = process.env.PHONE_URL;
const shots = process.env.SHOTS_DIR;
const text = process.argv[2] ?? 'hello from the phone';
setTimeout(() => {
  console.error('phone-page: timed out');
  process.exit(2);
}, 90_000).unref();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let n = 0;
const step = async (page, name, fn) => {
  try {
    await fn();
    await page.screenshot({ path: `${shots}/${String(++n).padStart(2, '0')}-${name}.png`, fullPage: true });
    console.log(JSON.stringify({ step: name, ok: true }));
  } catch (err) {
    await page.screenshot({ path: `${shots}/${String(++n).padStart(2, '0')}-${name}-FAILED.png`, fullPage: true }).catch(() => {});
    console.log(JSON.stringify({ step: name, ok: false, error: err.message.split('\n')[0] }));
    console.error(await page.content().catch(() => ''));
    await browser.close();
    process.exit(1);
  }
};
try {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await step(page, 'connected', async () => {
    await page.waitForSelector('#conn[data-state=on]', { timeout: 15000 });
    if (page.url().includes('token')) throw new Error('the token stayed in the address bar');
  });
  await step(page, 'needs-you-first', async () => {
    const first = page.locator('.session').first();
    await first.locator('.badge.needs').waitFor({ timeout: 20000 });
    await first.click();
  });
  await step(page, 'approve', async () => {
    await page.locator('.permission .pbody').first().waitFor({ timeout: 15000 });
    const body = await page.locator('.permission .pbody').first().textContent();
    console.log(JSON.stringify({ permission_body: body }));
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Allowed by phone').waitFor({ timeout: 15000 });
    await page.locator('.result').first().waitFor({ timeout: 20000 });
  });
  await step(page, 'send', async () => {
    await page.fill('#text', text);
    await page.click('#composer button[type=submit]');
    // The host's own terminal holds the writer lease: the page says so and offers to take over.
    await page.getByText('busy: held by local').waitFor({ timeout: 15000 });
    await page.screenshot({ path: `${shots}/${String(++n).padStart(2, '0')}-busy.png`, fullPage: true });
    await page.getByRole('button', { name: 'Take over and send' }).click();
    await page.locator('.msg.user', { hasText: text }).first().waitFor({ timeout: 15000 });
    await page.locator('.msg.assistant', { hasText: 'REPLY' }).first().waitFor({ timeout: 20000 });
    if ((await page.locator('.queued').count()) !== 0) throw new Error('a queued send stayed queued');
  });
  await step(page, 'reload-resume', async () => {
    await page.reload();
    await page.waitForSelector('#conn[data-state=on]', { timeout: 15000 });
    await page.locator('.msg.user', { hasText: text }).first().waitFor({ timeout: 15000 });
    await page.getByText('Allowed by phone').waitFor({ timeout: 15000 });
    // The tail first: the newest item is at the top.
    const first = await page.locator('#transcript > *').first().textContent();
    console.log(JSON.stringify({ top_item: first }));
  });
  if (errors.length) {
    console.log(JSON.stringify({ step: 'console', ok: false, error: errors.join(' | ') }));
    process.exitCode = 1;
  }
} finally {
  await browser.close();
}
