// Drives the robot's Foxglove WebSocket server with the real @foxglove/ws-protocol 0.8.0 client, as
// Foxglove Studio does. Usage: node foxglove.cjs ws://127.0.0.1:PORT[/?token=TOKEN] SCENARIO
// Prints what it saw as one JSON line "RESULT {...}" and exits 0; exits 1 on an error or time-out.
const { FoxgloveClient } = require('@foxglove/ws-protocol');
const { WebSocket } = require('ws');
const { handshake, medianOfLast, sleep } = require('./common.cjs');

const [url, scenario] = process.argv.slice(2);
const fail = (why) => { console.error(`FAILED: ${why}`); process.exit(1); };
setTimeout(() => fail(`scenario ${scenario} did not finish within 40 s`), 40_000).unref();
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function connect() {
  return new Promise((resolve, reject) => {
    const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) });
    const state = { serverInfo: null, channels: new Map(), statuses: [], messages: new Map() };
    client.on('error', (e) => reject(new Error(`Foxglove client error: ${e?.message ?? e}`)));
    client.on('serverInfo', (info) => { state.serverInfo = info; });
    client.on('status', (s) => state.statuses.push(`${s.level}: ${s.message}`));
    client.on('advertise', (channels) => channels.forEach((c) => state.channels.set(c.topic, c)));
    client.on('message', ({ subscriptionId, data }) => {
      const list = state.messages.get(subscriptionId) ?? [];
      list.push(JSON.parse(decoder.decode(data)));
      state.messages.set(subscriptionId, list);
    });
    client.on('open', async () => {
      for (let i = 0; i < 50 && (!state.serverInfo || state.channels.size === 0); i++) await sleep(20);
      resolve({ client, state });
    });
  });
}

const twist = (x, z) => encoder.encode(JSON.stringify({ linear: { x, y: 0, z: 0 }, angular: { x: 0, y: 0, z } }));

const scenarios = {
  // serverInfo and channels; /odom and /imu subscribed; /cmd_vel published as a client channel at 10 Hz for 3 s.
  async drive({ client, state }) {
    const odom = client.subscribe(state.channels.get('/odom').id);
    const imu = client.subscribe(state.channels.get('/imu').id);
    const cmdVel = client.advertise({ topic: '/cmd_vel', encoding: 'json', schemaName: 'geometry_msgs/msg/Twist' });
    for (let i = 0; i < 30; i++) {
      client.sendMessage(cmdVel, twist(0, 2.0));
      await sleep(100);
    }
    const odoms = state.messages.get(odom) ?? [];
    const last = odoms.at(-1);
    return {
      serverName: state.serverInfo.name, capabilities: state.serverInfo.capabilities, encodings: state.serverInfo.supportedEncodings,
      channels: [...state.channels.values()].map((c) => `${c.topic} ${c.schemaName} ${c.encoding} ${c.schemaEncoding}`).sort(),
      odomCount: odoms.length, imuCount: (state.messages.get(imu) ?? []).length,
      odomYawRate: medianOfLast(odoms, (m) => m.twist.twist.angular.z), odomOrientationZ: last?.pose.pose.orientation.z, statuses: state.statuses,
    };
  },

  // /cmd_vel from a client channel of a client without the token: refused with one status line each.
  async notoken({ client, state }) {
    const cmdVel = client.advertise({ topic: '/cmd_vel', encoding: 'json', schemaName: 'geometry_msgs/msg/Twist' });
    for (let i = 0; i < 15; i++) {
      client.sendMessage(cmdVel, twist(0.2, 0));
      await sleep(100);
    }
    return { statuses: state.statuses, channels: [...state.channels.keys()].sort() };
  },

  // A best-effort client publisher of /cmd_vel, which the robot subscribes reliably: a warning, and no motion.
  async qos({ client, state }) {
    const cmdVel = client.advertise({ topic: '/cmd_vel', encoding: 'json', schemaName: 'geometry_msgs/msg/Twist',
      qos: { reliability: 'best_effort' } });
    for (let i = 0; i < 15; i++) {
      client.sendMessage(cmdVel, twist(0.2, 0));
      await sleep(100);
    }
    client.sendMessage(cmdVel, encoder.encode('{"linear": '));
    await sleep(300);
    return { statuses: state.statuses };
  },
};

// Handshakes the robot must refuse before any upgrade, as Foxglove Studio's web app would open them.
const handshakes = {
  async crossorigin() {
    const protocols = [FoxgloveClient.SUPPORTED_SUBPROTOCOL];
    return { evil: await handshake(url, { origin: 'https://evil.example', protocols }),
      foxgloveApp: await handshake(url, { origin: 'https://app.foxglove.dev', protocols }) };
  },

  async foreignhost() {
    const port = new URL(url).port;
    const protocols = [FoxgloveClient.SUPPORTED_SUBPROTOCOL];
    return { foreign: await handshake(url, { host: `rebind.evil.example:${port}`, protocols }),
      localhost: await handshake(url, { host: `localhost:${port}`, protocols }) };
  },
};

(async () => {
  if (handshakes[scenario]) {
    console.log(`RESULT ${JSON.stringify(await handshakes[scenario]())}`);
    process.exit(0);
  }
  const run = scenarios[scenario];
  if (!run) fail(`unknown scenario ${scenario}; scenarios: ${[...Object.keys(scenarios), ...Object.keys(handshakes)].join(', ')}`);
  const connection = await connect();
  const result = await run(connection);
  console.log(`RESULT ${JSON.stringify(result)}`);
  connection.client.close();
  process.exit(0);
})().catch((e) => fail(e?.stack ?? e));
