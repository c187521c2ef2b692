// The Robot page in headless Chromium, as an operator uses it: log in, watch the plot move,
// record a step, change gains and see the loop behave differently, e-stop, reset.
// Run by RobotPageBrowserTest: node robot-page.mjs, with ARMATURE_URL, ARMATURE_PASSWORD and
// CHROMIUM (the system Chromium) in the environment. Exits non-zero on the first failed check.
import { check, consolePage, environment, launch, poller } from './console.mjs';

const { ARMATURE_URL: base, ARMATURE_PASSWORD: password } = environment('ARMATURE_URL', 'ARMATURE_PASSWORD');

const browser = await launch();
try {
  // Without the password the console stays shut.
  const stranger = await browser.newContext();
  const refused = await stranger.request.get(base + '/system/console/robot');
  check(refused.status() === 401, 'without credentials the Robot page answers 401 (was ' + refused.status() + ')');
  await stranger.close();

  const { context, page } = await consolePage(browser, password);
  const response = await page.goto(base + '/system/console/robot');
  check(response.status() === 200, 'logged in, the Robot page loads');
  check((await page.title()).includes('Robot'), 'the page is titled Robot');
  check(await page.locator('a', { hasText: 'Armature' }).count() > 0, 'the console menu has the category Armature');

  const api = async path => page.evaluate(async p => (await fetch('robot/api/' + p)).json(), path);
  const number = async selector => Number(await page.locator(selector).textContent());
  const canvas = async id => page.evaluate(i => document.getElementById(i).toDataURL(), id);
  const measurement = async () => (await api('loops/left')).measurement;
  const poll = poller(page);
  const waitFor = async (what, fn, ms = 5000) => poll(fn, ms); // what: for the reader

  await page.waitForSelector('#plot-left');
  check(await waitFor('safety OK', async () => (await page.locator('#safety-state').textContent()) === 'OK'), 'safety state OK is shown');

  // The plot moves: drive the left wheel from the page and watch.
  await page.fill('#setpoint-left input[name=setpoint]', '10');
  await page.click('#setpoint-left button');
  const first = await canvas('plot-left');
  const c0 = await number('#telemetry-count');
  await page.waitForTimeout(1000);
  const c1 = await number('#telemetry-count');
  check(c1 - c0 >= 30, 'telemetry arrives at 30 Hz or more (' + (c1 - c0) + ' messages in 1 s)');
  check(first !== await canvas('plot-left'), 'the plot of loop left moves');
  check(await waitFor('wheel at 10', async () => Math.abs(await measurement() - 10) < 0.5), 'the left wheel turns at 10 rad/s');
  const histogram = await page.evaluate(() => {
    const c = document.getElementById('histogram-left');
    return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some(v => v !== 0);
  });
  check(histogram, 'the lateness histogram is drawn');
  check(/overruns \d+ of \d+ cycles/.test(await page.locator('#stats-left').textContent()), 'overruns are shown');

  // Step response with the configured gains.
  const stop = async () => {
    await page.fill('#setpoint-left input[name=setpoint]', '0');
    await page.click('#setpoint-left button');
    check(await waitFor('wheel stopped', async () => Math.abs(await measurement()) < 0.3, 8000), 'the left wheel stops');
  };
  const step = async () => {
    await page.selectOption('#step-loop', 'left');
    await page.fill('#step-setpoint', '10');
    await page.fill('#step-seconds', '2');
    await page.evaluate(() => document.getElementById('step-result').removeAttribute('data-steadystateerrorpercent'));
    await page.click('#step-run');
    await page.waitForSelector('#step-result[data-steadystateerrorpercent]', { timeout: 10000 });
    const r = await page.locator('#step-result');
    return {
      text: await r.textContent(),
      error: Number(await r.getAttribute('data-steadystateerrorpercent')),
      rise: await r.getAttribute('data-riseseconds'),
    };
  };
  await stop();
  const before = await step();
  console.log('step with the configured gains: ' + before.text);
  check(Math.abs(before.error) < 15 && before.rise !== '', 'with the configured gains the wheel reaches the step (' + before.error.toFixed(1) + ' % off)');

  // Change the gains in the tuning form: a weak P controller without feed-forward.
  const original = (await api('loops/left')).gains;
  for (const [k, v] of Object.entries({ kp: '0.005', ki: '0', kd: '0', ks: '0', kv: '0' })) {
    await page.fill(`#gains-left input[name=${k}]`, v);
  }
  await page.click('#apply-left');
  check(await waitFor('gains applied', async () => (await api('loops/left')).gains.kp === 0.005), 'the REST API shows the new kp 0.005');
  check((await page.locator('#message').textContent()).includes('gains'), 'the page confirms the gains');
  await stop();
  const weak = await step();
  console.log('step with kp 0.005 and no feed-forward: ' + weak.text);
  check(weak.error > 30 && weak.error > before.error + 20, 'the loop uses the new gains: the wheel now stops well short of the step (' + weak.error.toFixed(1) + ' % short)');

  // Back to the configured gains through the same form.
  for (const [k, v] of Object.entries(original)) {
    await page.fill(`#gains-left input[name=${k}]`, String(v));
  }
  await page.click('#apply-left');
  check(await waitFor('gains restored', async () => JSON.stringify((await api('loops/left')).gains) === JSON.stringify(original)), 'the configured gains are back');

  // E-stop: the motor's PWM goes to 0.
  await page.fill('#setpoint-left input[name=setpoint]', '15');
  await page.click('#setpoint-left button');
  const duty = async () => Number(await page.locator('#channels tr[data-channel="motor.left.pwm"] .ar-value').textContent());
  check(await waitFor('driving', async () => await duty() > 0, 5000), 'the table shows motor.left.pwm driven');
  await page.click('#estop');
  check(await waitFor('tripped', async () => (await page.locator('#safety-state').textContent()) === 'TRIPPED'), 'after E-STOP the safety state is TRIPPED');
  check((await page.locator('#trip-reason').textContent()).includes('e-stop from the Robot page'), 'the trip reason is shown');
  check(await waitFor('pwm 0', async () => await duty() === 0, 3000), 'motor.left.pwm is at 0 in the channels table');
  check((await api('status')).boards[0].actuatorsSafe === (await api('status')).boards[0].actuators, 'every actuator is in its safe state');

  // Reset: it moves nothing by itself.
  await page.click('#reset');
  check(await waitFor('ok again', async () => (await page.locator('#safety-state').textContent()) === 'OK'), 'after Reset the safety state is OK');
  check((await api('status')).safety.mayMove === true, 'the REST API agrees: the robot may move');
  check(await waitFor('reset message', async () => (await page.locator('#message').textContent()).includes('send a new setpoint to move')),
    'the page says the wheels stay stopped until a new setpoint');
  await new Promise((r) => setTimeout(r, 500));
  check(await duty() === 0 && (await api('loops/left')).setpoint === 0, 'after Reset the wheel stays stopped, setpoint 0');

  // Recording: one second of the IMU into MCAP, then its file linked for download.
  await page.fill('#recording-streams', 'imu');
  await page.fill('#recording-seconds', '1');
  await page.click('#recording-start');
  check(await waitFor('recording', async () => (await page.locator('#recording-status').textContent()).startsWith('recording armature-'), 3000),
    'the page shows the recording running: ' + await page.locator('#recording-status').textContent());
  check(await waitFor('recorded', async () => /^recorded armature-\S+\.mcap: 1\.\d s, \d+ bytes; imu \d+ messages, 0 lost$/
    .test(await page.locator('#recording-status').textContent()), 5000), 'and when it ended: ' + await page.locator('#recording-status').textContent());
  const recorded = page.locator('#recordings a').first();
  const name = await recorded.textContent();
  check(/^armature-\d{8}-\d{6}\.mcap$/.test(name), 'the recording is listed for download: ' + name);
  const download = await context.request.get(base + '/system/console/' + await recorded.getAttribute('href'));
  const bytes = await download.body();
  check(download.status() === 200 && bytes.length > 1000 && bytes.subarray(0, 5).toString('latin1') === '\x89MCAP',
    'its link downloads the MCAP file (' + bytes.length + ' bytes, ' + download.headers()['content-disposition'] + ')');

  // The configuration forms are the console's own, from metatype.
  const link = page.locator('#configurations a', { hasText: 'armature.control.wheel' }).first();
  check(await link.count() > 0, 'the configuration of the wheel loops is linked');
  const href = await link.getAttribute('href');
  const config = await context.request.get(base + '/system/console/' + href);
  check(config.status() === 200 && (await config.text()).includes('Configuration'), 'the link opens the console configuration page ' + href);
  await context.close();
} finally {
  await browser.close();
}
console.log('all checks passed');
