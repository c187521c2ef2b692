// A long-lived driver of the real ROS tool clients for MotionAuthorityConformanceTest: roslib 2.1.0
// (rosbridge v2) and @foxglove/ws-protocol 0.8.0 (Foxglove WebSocket), run by node, one process for
// the whole suite, so that each cell does not pay for a node start.
//
// Usage: node conformance.mjs   (then one request per line on stdin)
//
// A request is "<reqId> <command> <args...>"; every request gets exactly one answer line
// "R <reqId> <json>" on stdout ({"error": "..."} when it failed). Commands:
//   ros <conn> <url> [authToken|-]     connects roslib; with authToken, sends rosbridge's auth op after connecting
//   fox <conn> <url>                   connects a Foxglove client and advertises a /cmd_vel client channel
//   twist <conn> <x> <z> <count> <ms>  publishes /cmd_vel count times, ms apart; answers once the last is handed to the socket
//   call <conn> <service>              rosbridge call_service with no arguments; answers with the service_response
//   statuses <conn>                    the status lines received since the last call, and whether the connection closed
//   close <conn>                       closes the connection
//   handshake <url> <origin|-> <host|-> <subprotocol|->   a bare WebSocket handshake: {status: 101} or the refusal's status and body
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { Ros, Service } from 'roslib';

const require = createRequire(import.meta.url);
const { FoxgloveClient } = require('@foxglove/ws-protocol');
const { WebSocket } = require('ws');
const { handshake, sleep } = require('./common.cjs');

const encoder = new TextEncoder();
const connections = new Map();
let opSeq = 0;

const twistMsg = (x, z) => ({ linear: { x, y: 0, z: 0 }, angular: { x: 0, y: 0, z } });

function answer(reqId, value) {
  process.stdout.write(`R ${reqId} ${JSON.stringify(value)}\n`);
}

function connectRos(url, authToken) {
  return new Promise((resolve) => {
    const c = { kind: 'ros', statuses: [], closed: false, closeCode: null };
    const ros = new Ros({ url });
    c.ros = ros;
    let settled = false;
    ros.on('status', (s) => c.statuses.push(`${s.level}: ${s.msg}`));
    ros.on('close', (e) => {
      c.closed = true;
      c.closeCode = e?.code ?? null;
      if (!settled) { settled = true; resolve({ error: `closed before connecting (${c.closeCode})` }); }
    });
    ros.on('error', (e) => {
      if (!settled) { settled = true; resolve({ error: `cannot connect: ${e?.message ?? e}` }); }
    });
    ros.on('connection', () => {
      if (authToken) ros.authenticate(authToken);
      settled = true;
      resolve({ connected: true, c });
    });
  });
}

function connectFox(url) {
  return new Promise((resolve) => {
    const c = { kind: 'fox', statuses: [], closed: false, closeCode: null, serverInfo: null, channels: new Map() };
    const ws = new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
    const client = new FoxgloveClient({ ws });
    c.client = client;
    let settled = false;
    client.on('serverInfo', (info) => { c.serverInfo = info; });
    client.on('status', (s) => c.statuses.push(`${s.level}: ${s.message}`));
    client.on('advertise', (channels) => channels.forEach((ch) => c.channels.set(ch.topic, ch)));
    client.on('error', (e) => {
      if (!settled) { settled = true; resolve({ error: `cannot connect: ${e?.message ?? e}` }); }
    });
    client.on('close', (e) => {
      c.closed = true;
      c.closeCode = e?.code ?? null;
      if (!settled) { settled = true; resolve({ error: `closed before connecting (${c.closeCode})` }); }
    });
    client.on('open', async () => {
      for (let i = 0; i < 100 && !c.serverInfo; i++) await sleep(10);
      c.cmdVel = client.advertise({ topic: '/cmd_vel', encoding: 'json', schemaName: 'geometry_msgs/msg/Twist' });
      settled = true;
      resolve({ connected: true, capabilities: c.serverInfo?.capabilities ?? null, c });
    });
  });
}

function publishOnce(c, x, z) {
  if (c.kind === 'ros') {
    const id = `cmd_vel_${++opSeq}`;
    c.ros.on(`status:${id}`, (s) => c.statuses.push(`${s.level}: ${s.msg}`));
    c.ros.callOnConnection({ op: 'publish', id, topic: '/cmd_vel', msg: twistMsg(x, z) });
  } else {
    c.client.sendMessage(c.cmdVel, encoder.encode(JSON.stringify(twistMsg(x, z))));
  }
}

function callService(c, service) {
  return new Promise((resolve) => {
    const id = `call_${++opSeq}`;
    const timer = setTimeout(() => resolve({ error: `no service_response to ${service} within 5 s` }), 5000);
    c.ros.on(`status:${id}`, (s) => c.statuses.push(`${s.level}: ${s.msg}`));
    c.ros.once(id, (r) => { clearTimeout(timer); resolve({ result: r.result, values: r.values }); });
    c.ros.callOnConnection({ op: 'call_service', id, service, args: {} });
  });
}

const commands = {
  async ros([conn, url, token]) {
    const r = await connectRos(url, token && token !== '-' ? token : null);
    if (r.error) return r;
    connections.set(conn, r.c);
    return { connected: true };
  },
  async fox([conn, url]) {
    const r = await connectFox(url);
    if (r.error) return r;
    connections.set(conn, r.c);
    return { connected: true, capabilities: r.capabilities };
  },
  async twist([conn, x, z, count, ms]) {
    const c = need(conn);
    const n = Number(count);
    for (let i = 0; i < n; i++) {
      if (i > 0) await sleep(Number(ms));
      publishOnce(c, Number(x), Number(z));
    }
    return { sent: n };
  },
  async call([conn, service]) {
    const c = need(conn);
    if (c.kind !== 'ros') return { error: 'call_service is a rosbridge operation' };
    return callService(c, service);
  },
  async statuses([conn]) {
    const c = need(conn);
    const s = c.statuses.splice(0);
    return { statuses: s, closed: c.closed, closeCode: c.closeCode };
  },
  async close([conn]) {
    const c = connections.get(conn);
    if (!c) return { closed: true };
    connections.delete(conn);
    if (c.kind === 'ros') c.ros.close(); else c.client.close();
    return { closed: true };
  },
  async handshake([url, origin, host, protocol]) {
    return handshake(url, { origin: origin === '-' ? undefined : origin, host: host === '-' ? undefined : host,
      protocols: protocol === '-' ? [] : [protocol] });
  },
};

function need(conn) {
  const c = connections.get(conn);
  if (!c) throw new Error(`no connection ${conn}`);
  return c;
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [reqId, command, ...args] = line.trim().split(/\s+/);
  if (!reqId) return;
  const run = commands[command];
  if (!run) { answer(reqId, { error: `unknown command ${command}` }); return; }
  run(args).then((v) => answer(reqId, v), (e) => answer(reqId, { error: String(e?.stack ?? e) }));
});
lines.on('close', () => {
  for (const c of connections.values()) {
    try { if (c.kind === 'ros') c.ros.close(); else c.client.close(); } catch { /* closing anyway */ }
  }
  process.exit(0);
});
process.stdout.write('READY\n');
