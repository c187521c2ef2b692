// What the browser scenarios share: the environment they are given, one line per check (the
// first failed one ends the scenario), and the system Chromium, headless.
import { chromium } from 'playwright-core';

/** @return the named environment variables; exits with 2 and a line naming them when one is missing */
export function environment(...names) {
  const values = {};
  for (const name of names) {
    values[name] = process.env[name];
  }
  if (names.some(n => !values[n])) {
    console.error('set ' + names.join(', '));
    process.exit(2);
  }
  return values;
}

export function check(condition, what) {
  if (!condition) {
    throw new Error('FAILED: ' + what);
  }
  console.log('ok: ' + what);
}

/** Headless Chromium: $CHROMIUM, else the system's. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

/** @return a function that polls {@code fn} every {@code everyMs} until it is true (then true) or {@code ms} pass (then false) */
export function poller(page, everyMs = 50) {
  return async (fn, ms = 5000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await fn()) {
        return true;
      }
      await page.waitForTimeout(everyMs);
    }
    return false;
  };
}

/** @return a browser context logged in to the Web Console as admin, and a page of it whose errors are printed */
export async function consolePage(browser, password) {
  const context = await browser.newContext({ httpCredentials: { username: 'admin', password } });
  const page = await context.newPage();
  page.on('pageerror', e => console.log('page error: ' + e.message));
  return { context, page };
}
