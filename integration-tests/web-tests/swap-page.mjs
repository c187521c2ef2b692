// The Robot page's Bundles section in headless Chromium, as an operator uses it to swap a driver
// or controller while the robot drives: choose the new jar on the bundle's row, press Swap, read
// the outcome; the same jar again is refused in one sentence and changes nothing.
// Run by HotSwapTest: node swap-page.mjs, with ARMATURE_URL, ARMATURE_PASSWORD, ARMATURE_JAR (a
// newer armature.control), ARMATURE_JAR_VERSION (its version) and CHROMIUM in the environment.
// Exits non-zero on the first failed check.
import { check, consolePage, environment, launch, poller } from './console.mjs';

const { ARMATURE_URL: base, ARMATURE_PASSWORD: password, ARMATURE_JAR: jar, ARMATURE_JAR_VERSION: version } =
  environment('ARMATURE_URL', 'ARMATURE_PASSWORD', 'ARMATURE_JAR', 'ARMATURE_JAR_VERSION');

const browser = await launch();
try {
  const { page } = await consolePage(browser, password);
  check((await page.goto(base + '/system/console/robot')).status() === 200, 'logged in, the Robot page loads');

  const api = async path => page.evaluate(async p => (await fetch('robot/api/' + p)).json(), path);
  const row = '#bundles tr[data-bundle="armature.control"]';
  const result = async () => (await page.locator('#deploy-result').textContent()) || '';
  const waitFor = poller(page, 100);

  await page.waitForSelector(row);
  check(await page.locator('#installed-feature').textContent() === 'sim-rover', 'the installed feature is shown');
  const oldVersion = await page.locator(row + ' td:nth-child(3)').textContent();
  check(oldVersion !== version, 'the running armature.control is ' + oldVersion);
  const before = (await api('loops/left')).setpoint;

  // Swap: the new jar on the bundle's row.
  await page.setInputFiles(row + ' input[type=file]', jar);
  console.log('swap: pressed'); // the test watches the motor from here
  await page.click(row + ' button.ar-swap');
  const applied = await waitFor(async () => (await result()).startsWith('APPLIED'), 90000);
  console.log('swap: answered'); // to here
  check(applied, 'the swap passed the health gate: ' + await result());
  check((await result()).includes('bundle armature.control ' + version + ' applied and healthy: 0 installed, 1 updated, 0 uninstalled'),
    'the page says what changed');
  check(await waitFor(async () => (await page.locator(row).count()) === 1
    && (await page.locator(row + ' td:nth-child(3)').textContent()) === version, 5000), 'one armature.control, the new version ' + version);
  const loop = await api('loops/left');
  check(loop.setpoint === before, 'the left wheel keeps its setpoint ' + before + ' (was ' + loop.setpoint + ')');
  check(await waitFor(async () => Math.abs((await api('loops/left')).measurement - before) < 0.6, 2000),
    'and its speed, within 2 s of the hand-over: ' + (await api('loops/left')).measurement);

  // The same jar again: refused in one sentence, nothing changes.
  await page.setInputFiles(row + ' input[type=file]', jar);
  await page.click(row + ' button.ar-swap');
  check(await waitFor(async () => (await result()).includes('is not newer than the running'), 30000),
    'a jar that is not newer is refused: ' + await result());
  check((await page.locator('#deploy-result').evaluate(e => getComputedStyle(e).color)) === 'rgb(204, 0, 0)', 'the refusal is shown as an error');
  check((await page.locator(row + ' td:nth-child(3)').textContent()) === version, 'still the swapped version');
  console.log('all checks passed');
} finally {
  await browser.close();
}
