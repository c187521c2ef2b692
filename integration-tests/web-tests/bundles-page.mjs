// The Web Console's own Bundles page in headless Chromium, as an operator uses it on a driving
// robot: Refresh armature.control (it stops and starts again in place), Update it with a newer
// jar through the page's Update dialog (in place too), then Stop it. The wheel is commanded to
// 20 rad/s through the REST API (source web) once the page is up.
// Run by InPlaceUpdateTest: node bundles-page.mjs, with ARMATURE_URL, ARMATURE_PASSWORD,
// ARMATURE_CONTROL_ID (the bundle id of armature.control), ARMATURE_JAR (a newer armature.control),
// ARMATURE_JAR_VERSION (its version) and CHROMIUM in the environment.
// Exits non-zero on the first failed check.
import { check, consolePage, environment, launch, poller } from './console.mjs';

const { ARMATURE_URL: base, ARMATURE_PASSWORD: password, ARMATURE_CONTROL_ID: id, ARMATURE_JAR: jar, ARMATURE_JAR_VERSION: version } =
  environment('ARMATURE_URL', 'ARMATURE_PASSWORD', 'ARMATURE_CONTROL_ID', 'ARMATURE_JAR', 'ARMATURE_JAR_VERSION');

const browser = await launch();
try {
  const { context, page } = await consolePage(browser, password);
  const api = async path => (await context.request.get(base + '/armature/api/' + path)).json();
  const csrf = (await api('csrf')).token;
  const post = async (path, body) => context.request.post(base + '/armature/api/' + path,
    { headers: { 'Content-Type': 'application/json', 'X-Armature-CSRF': csrf }, data: JSON.stringify(body) });
  const waitFor = poller(page);

  // After an in-place update (Refresh, Update): back within the loops' heartbeat timeout (250 ms
  // here), the wheel drives its command on; not back in time (a loaded machine), the supervisor
  // trips naming the bundle and the wheel stays stopped: the two outcomes the README gives, each
  // checked whole. After a trip: reset and command again, for what follows.
  async function backAtSpeedOrTripped(what) {
    let seen = null;
    await waitFor(async () => {
      seen = await api('loops/left');
      return (seen.setpoint === 20 && Math.abs(seen.measurement - 20) < 0.6) || (await api('status')).safety.state === 'TRIPPED';
    }, 5000);
    const after = (await api('status')).safety;
    if (after.state === 'OK') {
      check(seen.setpoint === 20 && Math.abs(seen.measurement - 20) < 0.6, what + ', back in time: the wheel drives its setpoint on '
        + JSON.stringify(seen));
      console.log('outcome of ' + what + ': back within the heartbeat timeout, no trip');
    } else {
      check(after.trip.reason.startsWith('bundle armature.control stopped and took loop'), what + ', not back in time: the trip names the bundle '
        + JSON.stringify(after.trip));
      await page.waitForTimeout(300);
      const still = await api('loops/left');
      check(still.setpoint === 0 && still.output === 0, 'and the wheel stays stopped: ' + JSON.stringify(still));
      console.log('outcome of ' + what + ': not back within the heartbeat timeout, tripped');
      check((await post('reset', {})).ok(), 'reset');
      check((await post('loops/left/setpoint', { setpoint: 20 })).ok(), 'a new command');
      check(await waitFor(async () => Math.abs((await api('loops/left')).measurement - 20) < 0.6, 5000), 'drives again');
    }
  }

  check((await page.goto(base + '/system/console/bundles')).status() === 200, 'the stock Bundles page loads');
  const row = '#entry' + id;
  await page.waitForSelector(row);
  check((await page.locator(row).textContent()).includes('armature.control'), 'the row of armature.control');
  const actions = row + ' td:nth-child(6) li';
  // Drive from here, once the browser is up: starting Chromium on a 2-core machine has stalled
  // the whole robot for a second now and then, and the supervisor rightly trips on that.
  if ((await api('status')).safety.state !== 'OK') {
    check((await post('reset', {})).ok(), 'reset after a stall at the browser\'s start');
  }
  check((await post('loops/left/setpoint', { setpoint: 20 })).ok(), 'the left wheel is commanded to 20 rad/s');
  let before = null;
  check(await waitFor(async () => {
    before = await api('loops/left');
    return Math.abs(before.measurement - 20) < 0.6;
  }, 3000), 'the left wheel runs at 20 rad/s: ' + JSON.stringify(before));

  // Refresh: the bundle stops and starts again in place, with new loops.
  const cyclesBefore = before.cycles;
  await page.locator(actions).nth(2).click();
  check(await waitFor(async () => {
    const l = await api('loops/left');
    return l.cycles !== undefined && l.cycles < cyclesBefore;
  }, 5000), 'Refresh restarted armature.control: the left loop is a new one');
  await backAtSpeedOrTripped('Refresh');

  // Update: the stock Update dialog, uploading a newer armature.control: updated in place.
  await page.goto(base + '/system/console/bundles');
  await page.waitForSelector(row);
  const cyclesBeforeUpdate = (await api('loops/left')).cycles;
  await page.locator(actions).nth(3).click();
  await page.waitForSelector('#updateDialog', { state: 'visible' });
  await page.setInputFiles('#updateDialog input[name=bundlefile]', jar);
  await page.getByRole('button', { name: 'Upload...' }).click();
  check(await waitFor(async () => (await api('bundles')).bundles.some(b => b.symbolicName === 'armature.control' && b.version === version), 10000),
    'the upload updated armature.control in place to ' + version);
  check(await waitFor(async () => {
    const l = await api('loops/left');
    return l.cycles !== undefined && l.cycles < cyclesBeforeUpdate;
  }, 5000), 'the left loop is a new one');
  await backAtSpeedOrTripped('Update');

  // Stop: the wheel stops, and the robot says why.
  await page.goto(base + '/system/console/bundles');
  await page.waitForSelector(row);
  await page.locator(actions).nth(1).click();
  check(await waitFor(async () => (await api('status')).safety.state === 'TRIPPED', 5000), 'after Stop the supervisor trips');
  const trip = (await api('status')).safety.trip;
  check(trip.source === 'bundle:armature.control' && trip.reason.startsWith('bundle armature.control stopped and took loop'),
    'naming the bundle: ' + JSON.stringify(trip));
  await page.goto(base + '/system/console/robot');
  check(await waitFor(async () => ((await page.locator('#trip-reason').textContent()) || '').includes('stopped and took loop'), 5000),
    'the Robot page shows why the robot is not moving');
  check(await waitFor(async () => ((await page.locator('#unhealthy').textContent()) || '').includes('is not running'), 5000),
    'and what a reset waits for');
  console.log('all checks passed');
} finally {
  await browser.close();
}
