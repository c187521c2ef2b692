// Drives the robot's rosbridge v2 server with the real roslib 2.1.0, as a ROS web tool would.
// Usage: node rosbridge.mjs ws://127.0.0.1:PORT[/?token=TOKEN] SCENARIO [TOKEN]
// Prints what it saw as one JSON line "RESULT {...}" and exits 0; exits 1 on an error or time-out.
import { Ros, Topic } from 'roslib';
import { handshake, medianOfLast, sleep } from './common.cjs';

const [url, scenario, token] = process.argv.slice(2);
const fail = (why) => { console.error(`FAILED: ${why}`); process.exit(1); };
setTimeout(() => fail(`scenario ${scenario} did not finish within 40 s`), 40_000).unref();

function connect() {
  return new Promise((resolve, reject) => {
    const ros = new Ros({ url });
    ros.on('connection', () => resolve(ros));
    ros.on('error', (e) => reject(new Error(`cannot connect to ${url}: ${e?.message ?? e}`)));
  });
}

function topics(ros) {
  return new Promise((resolve, reject) => ros.getTopics(resolve, (e) => reject(new Error(`rosapi/topics failed: ${e}`))));
}

/** Collects the status messages the server sends for one operation id. */
function statuses(ros, id) {
  const seen = [];
  ros.on(`status:${id}`, (s) => seen.push(`${s.level}: ${s.msg}`));
  return seen;
}

const twist = (x, z) => ({ linear: { x, y: 0, z: 0 }, angular: { x: 0, y: 0, z } });

const scenarios = {
  // The topic list, then /cmd_vel at 10 Hz for 3 s while /odom, /joint_states and /imu come in.
  async drive(ros) {
    const list = await topics(ros);
    const odom = []; const joints = []; const imu = [];
    new Topic({ ros, name: '/odom', messageType: 'nav_msgs/msg/Odometry' }).subscribe((m) => odom.push(m));
    new Topic({ ros, name: '/joint_states', messageType: 'sensor_msgs/msg/JointState' }).subscribe((m) => joints.push(m));
    new Topic({ ros, name: '/imu', messageType: 'sensor_msgs/msg/Imu' }).subscribe((m) => imu.push(m));
    const cmdVel = new Topic({ ros, name: '/cmd_vel', messageType: 'geometry_msgs/msg/Twist' });
    const errors = [];
    ros.on('status', (s) => errors.push(`${s.level}: ${s.msg}`));
    for (let i = 0; i < 30; i++) {
      cmdVel.publish(twist(0.2, 0));
      await sleep(100);
    }
    const lastJoint = joints.at(-1);
    const lastOdom = odom.at(-1);
    return {
      topics: list.topics, types: list.types, odomCount: odom.length, imuCount: imu.length, jointCount: joints.length,
      odomX: lastOdom?.pose.pose.position.x, odomFrame: lastOdom?.header.frame_id, odomChild: lastOdom?.child_frame_id,
      odomLinear: medianOfLast(odom, (m) => m.twist.twist.linear.x), jointNames: lastJoint?.name,
      jointVelocity: [medianOfLast(joints, (m) => m.velocity[0]), medianOfLast(joints, (m) => m.velocity[1])],
      imuAccelZ: imu.at(-1)?.linear_acceleration.z, imuOrientationCovariance0: imu.at(-1)?.orientation_covariance[0],
      stampSec: lastOdom?.header.stamp.sec, errors,
    };
  },

  // /cmd_vel while the robot is tripped, and malformed Twists: each answered with a status error. The
  // token goes with rosbridge's auth operation here ({op: 'auth', mac: token}), not in the URL.
  async refused(ros) {
    ros.authenticate(token);
    const cmdVel = new Topic({ ros, name: '/cmd_vel', messageType: 'geometry_msgs/msg/Twist' });
    const seen = [];
    ros.on('status', (s) => seen.push(`${s.level}: ${s.msg}`));
    const sends = [twist(0.2, 0), { linear: { x: NaN } }, { linear: { x: 'fast' } }, twist(50, 0)];
    for (const [i, m] of sends.entries()) {
      const id = `p${i}`;
      ros.on(`status:${id}`, (s) => seen.push(`${s.level}: ${s.msg}`));
      ros.callOnConnection({ op: 'publish', id, topic: '/cmd_vel', msg: m });
      await sleep(200);
    }
    for (let i = 0; i < 10; i++) {
      cmdVel.publish(twist(0.2, 0));
      await sleep(100);
    }
    ros.callOnConnection({ op: 'publish', id: 'broken', topic: '/cmd_vel', msg: 'not a twist' });
    ros.on('status:broken', (s) => seen.push(`${s.level}: ${s.msg}`));
    await sleep(300);
    return { statuses: seen };
  },

  // /cmd_vel at 10 Hz for 1.5 s from a client without the token: each refused with one status line.
  async notoken(ros) {
    const seen = [];
    ros.on('status', (s) => seen.push(`${s.level}: ${s.msg}`));
    for (let i = 0; i < 15; i++) {
      const id = `p${i}`; // roslib hands a status with an id only to listeners of that id
      ros.on(`status:${id}`, (s) => seen.push(`${s.level}: ${s.msg}`));
      ros.callOnConnection({ op: 'publish', id, topic: '/cmd_vel', msg: twist(0.2, 0) });
      await sleep(100);
    }
    const list = await topics(ros); // reading over loopback needs no token
    return { statuses: seen, topics: list.topics };
  },

  // /cmd_vel at 10 Hz for 2 s with the token, then silence with the connection kept open: the
  // wheels stop by the motion service's lease alone. Prints STOPPED PUBLISHING right after the last.
  async lease(ros) {
    const errors = [];
    ros.on('status', (s) => errors.push(`${s.level}: ${s.msg}`));
    ros.on('status:lease', (s) => errors.push(`${s.level}: ${s.msg}`));
    ros.callOnConnection({ op: 'advertise', topic: '/cmd_vel', type: 'geometry_msgs/msg/Twist' });
    for (let i = 0; i < 20; i++) {
      if (i > 0) await sleep(100);
      ros.callOnConnection({ op: 'publish', id: 'lease', topic: '/cmd_vel', msg: twist(0.2, 0) });
    }
    console.log('STOPPED PUBLISHING'); // right after the last /cmd_vel
    await sleep(2000);
    return { errors };
  },

  // A reliable subscription of the best-effort /imu, and a transient-local one of the volatile /odom.
  async qos(ros) {
    const imuWarnings = statuses(ros, 'imu-reliable');
    const odomWarnings = statuses(ros, 'odom-latched');
    let imuMessages = 0; let odomMessages = 0;
    ros.on('/imu', () => imuMessages++);
    ros.on('/odom', () => odomMessages++);
    ros.callOnConnection({ op: 'subscribe', id: 'imu-reliable', topic: '/imu', type: 'sensor_msgs/msg/Imu', qos: { reliability: 'reliable' } });
    ros.callOnConnection({ op: 'subscribe', id: 'odom-latched', topic: '/odom', type: 'nav_msgs/msg/Odometry', qos: { durability: 'transient_local' } });
    await sleep(1500);
    const before = { imuMessages, odomMessages };
    // the same topics subscribed the ordinary way (adapting to the publisher) do flow
    const fine = new Topic({ ros, name: '/imu', messageType: 'sensor_msgs/msg/Imu' });
    let adapted = 0;
    fine.on('message', () => adapted++);
    ros.callOnConnection({ op: 'unsubscribe', id: 'imu-reliable', topic: '/imu' });
    fine.subscribe(() => {});
    await sleep(1000);
    return { imuWarnings, odomWarnings, imuMessagesWhileMismatched: before.imuMessages, odomMessagesWhileMismatched: before.odomMessages,
      imuMessagesAdapting: adapted };
  },

  // A latched (transient_local, depth 3) topic from one client; a second client joins after 5 messages.
  async latched(ros) {
    ros.callOnConnection({ op: 'advertise', id: 'adv', topic: '/armature_test/latched', type: 'std_msgs/msg/String',
      qos: { durability: 'transient_local', depth: 3 } });
    for (let i = 1; i <= 5; i++) {
      ros.callOnConnection({ op: 'publish', topic: '/armature_test/latched', msg: { data: `message ${i}` } });
    }
    await sleep(300);
    const late = await connect();
    const got = [];
    late.on('/armature_test/latched', (m) => got.push(m.msg.data));
    late.callOnConnection({ op: 'subscribe', id: 'late', topic: '/armature_test/latched', qos: { durability: 'transient_local', depth: 10 } });
    const volatileGot = [];
    const other = await connect();
    other.on('/armature_test/latched', (m) => volatileGot.push(m.msg.data));
    other.callOnConnection({ op: 'subscribe', id: 'vol', topic: '/armature_test/latched', qos: { durability: 'volatile' } });
    await sleep(500);
    const list = await topics(late);
    late.close(); other.close();
    return { lateJoiner: got, volatileJoiner: volatileGot, listed: list.topics.includes('/armature_test/latched') };
  },
};

// Handshakes the robot must refuse before any upgrade: no rosbridge connection is made.
const handshakes = {
  // a page of another site (its Origin), and one of an allowed origin
  async crossorigin() {
    return { evil: await handshake(url, { origin: 'https://evil.example' }),
      foxgloveApp: await handshake(url, { origin: 'https://app.foxglove.dev' }) };
  },

  // DNS rebinding: the robot's address reached through a name of the attacker's
  async foreignhost() {
    const port = new URL(url).port;
    return { foreign: await handshake(url, { host: `rebind.evil.example:${port}` }), localhost: await handshake(url, { host: `localhost:${port}` }) };
  },
};

try {
  if (handshakes[scenario]) {
    console.log(`RESULT ${JSON.stringify(await handshakes[scenario]())}`);
    process.exit(0);
  }
  const run = scenarios[scenario];
  if (!run) fail(`unknown scenario ${scenario}; scenarios: ${[...Object.keys(scenarios), ...Object.keys(handshakes)].join(', ')}`);
  const ros = await connect();
  const result = await run(ros);
  console.log(`RESULT ${JSON.stringify(result)}`);
  ros.close();
  process.exit(0);
} catch (e) {
  fail(e?.stack ?? e);
}
