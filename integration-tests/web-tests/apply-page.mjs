// The Robot page's Features table in headless Chromium, as an operator applies a feature whose
// new bundle fails the health gate: press Apply on its row, watch the steps come in while the
// deployer works, and read why it rolled back; the bundles table shows the previous set again.
// Run by DeployTest: node apply-page.mjs, with ARMATURE_URL, ARMATURE_PASSWORD, ARMATURE_FEATURE
// (the failing feature), ARMATURE_FAILING_BUNDLE (its bundle that cannot activate) and CHROMIUM in
// the environment. Exits non-zero on the first failed check.
import { check, consolePage, environment, launch, poller } from './console.mjs';

const { ARMATURE_URL: base, ARMATURE_PASSWORD: password, ARMATURE_FEATURE: feature, ARMATURE_FAILING_BUNDLE: failing } =
  environment('ARMATURE_URL', 'ARMATURE_PASSWORD', 'ARMATURE_FEATURE', 'ARMATURE_FAILING_BUNDLE');

const browser = await launch();
try {
  const { page } = await consolePage(browser, password);
  check((await page.goto(base + '/system/console/robot')).status() === 200, 'logged in, the Robot page loads');

  const row = '#features tr[data-feature="' + feature + '"]';
  const result = async () => (await page.locator('#deploy-result').textContent()) || '';
  const steps = async () => page.locator('#deploy-steps li').allTextContents();
  const waitFor = poller(page, 50);

  await page.waitForSelector(row);
  check((await page.locator(row + ' td:nth-child(2)').textContent()).includes('install ' + failing + ' 1.0.0'),
    'the row says what applying ' + feature + ' would change');

  await page.click(row + ' button.ar-apply');
  // live: steps are listed while the request still waits for the gate's verdict
  check(await waitFor(async () => (await result()).includes('waiting for the health gate')
    && (await steps()).some(s => s.startsWith('installed ' + failing + ' 1.0.0')), 30000),
    'while it runs, the page lists the steps done: ' + JSON.stringify(await steps()));
  check(await waitFor(async () => (await steps()).some(s => s.startsWith('health gate waits: ') && s.includes('component ' + failing)), 30000),
    'and what the health gate waits for: ' + JSON.stringify(await steps()));
  check(await waitFor(async () => (await result()).length > 0 && !(await result()).includes('waiting for the health gate'), 90000),
    'the change ends: ' + await result());
  const said = await result();
  check(said.startsWith('feature ' + feature + ' failed the health gate (component ' + failing + ' failed to activate: ')
    && said.endsWith('rolled back to sim-rover'), 'the page says why it rolled back: ' + said);
  check((await page.locator('#deploy-result').evaluate(e => getComputedStyle(e).color)) === 'rgb(204, 0, 0)', 'shown as an error');
  check(await waitFor(async () => (await steps()).some(s => s.startsWith('failed the health gate: component ' + failing)), 5000),
    'the steps end with the rollback: ' + JSON.stringify(await steps()));
  check(await waitFor(async () => (await page.locator('#bundles tr[data-bundle="' + failing + '"]').count()) === 0
    && (await page.locator('#installed-feature').textContent()) === 'sim-rover', 5000), 'the bundles table shows sim-rover again, without ' + failing);
  console.log('all checks passed');
} finally {
  await browser.close();
}
