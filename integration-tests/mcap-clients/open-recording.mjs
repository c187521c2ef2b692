// Opens a recording of the robot as Foxglove's tools do: @mcap/core's indexed reader (CRCs
// checked), each channel's ros2msg schema parsed by @foxglove/rosmsg, each CDR message decoded
// by @foxglove/rosmsg2-serialization. Prints one JSON line: per topic its schema, count, whether
// its log times never go back, and what its messages hold; exits non-zero on any failure.
// Run by RecordingTest: node open-recording.mjs <file.mcap>
import { McapIndexedReader, McapStreamReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { parse } from '@foxglove/rosmsg';
import { MessageReader } from '@foxglove/rosmsg2-serialization';
import fs from 'node:fs/promises';

const file = process.argv[2];
const bytes = new Uint8Array(await fs.readFile(file));

// lz4 and zstd chunks, as Foxglove Studio reads them
const decompressHandlers = await loadDecompressHandlers();

// the whole file as a stream first, every CRC checked, to its end
const stream = new McapStreamReader({ validateCrcs: true, decompressHandlers });
stream.append(bytes);
let streamed = 0;
while (stream.nextRecord()) {
  streamed++;
}
if (!stream.done()) {
  throw new Error('the stream reader did not reach the end of the file');
}

const reader = await McapIndexedReader.Initialize({
  readable: {
    size: async () => BigInt(bytes.byteLength),
    read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
  },
  decompressHandlers,
});
const decoders = new Map();
const topics = {};
for (const [id, channel] of reader.channelsById) {
  const schema = reader.schemasById.get(channel.schemaId);
  if (schema.encoding !== 'ros2msg' || channel.messageEncoding !== 'cdr') {
    throw new Error(`${channel.topic}: schema ${schema.encoding}, messages ${channel.messageEncoding}`);
  }
  decoders.set(id, new MessageReader(parse(new TextDecoder().decode(schema.data), { ros2: true })));
  topics[channel.topic] = { schema: schema.name, count: 0, inOrder: true, last: -1n, qos: channel.metadata.get('offered_qos_profiles') ?? null, sums: {} };
}
let previous = -1n;
let fileInOrder = true;
for await (const m of reader.readMessages({ validateCrcs: true })) {
  const channel = reader.channelsById.get(m.channelId);
  const t = topics[channel.topic];
  const msg = decoders.get(m.channelId).readMessage(m.data);
  t.count++;
  t.inOrder &&= m.logTime >= t.last;
  fileInOrder &&= m.logTime >= previous;
  previous = m.logTime;
  t.last = m.logTime;
  const stamp = BigInt(msg.header.stamp.sec) * 1000000000n + BigInt(msg.header.stamp.nanosec);
  if (stamp !== m.logTime) {
    throw new Error(`${channel.topic}: header stamp ${stamp} is not the log time ${m.logTime}`);
  }
  const add = (k, v) => { t.sums[k] = (t.sums[k] ?? 0) + v; };
  const type = reader.schemasById.get(channel.schemaId).name;
  if (type === 'sensor_msgs/msg/Imu') {
    add('linear_acceleration.z', msg.linear_acceleration.z);
    add('orientation_covariance[0]', msg.orientation_covariance[0]);
  } else if (type === 'armature_msgs/msg/SafetyState') {
    (t.states ??= []).push(msg.state + (msg.trip_source ? ' (' + msg.trip_source + ': ' + msg.trip_reason + ')' : ''));
  } else if (type === 'armature_msgs/msg/LoopOwner') {
    (t.owners ??= []).push(msg.loop + ':' + msg.source);
  } else if (type === 'armature_msgs/msg/LoopCycle') {
    add('setpoint', msg.setpoint);
    add('measurement', msg.measurement);
    add('kp', msg.kp);
    add('lateness_ns', Number(msg.lateness_ns));
    t.name = msg.loop;
    t.controller = msg.controller;
  } else if (type === 'armature_msgs/msg/MotionCommand') {
    (t.commands ??= []).push(`${msg.kind} ${msg.source} ${msg.loop} ${msg.value} ${msg.accepted ? 'taken' : 'refused'}`
      + (msg.in_force ? ' in force' : '') + (msg.detail ? ': ' + msg.detail : ''));
  } else if (type === 'nav_msgs/msg/Odometry') {
    add('twist.linear.x', msg.twist.twist.linear.x);
    add('twist.angular.z', msg.twist.twist.angular.z);
    const q = msg.pose.pose.orientation;
    const yaw = 2 * Math.atan2(q.z, q.w);
    if (t.lastYaw !== undefined) {
      let d = yaw - t.lastYaw; // unwrapped: the turn since the previous message
      d -= 2 * Math.PI * Math.round(d / (2 * Math.PI));
      t.yawTravelled = (t.yawTravelled ?? 0) + d;
    }
    t.lastYaw = yaw;
    t.frames = msg.header.frame_id + '>' + msg.child_frame_id;
  } else {
    add('velocity[0]', msg.velocity[0]);
    t.firstPosition ??= msg.position[0];
    t.lastPosition = msg.position[0];
    t.name = msg.name[0];
  }
}
for (const t of Object.values(topics)) {
  t.means = Object.fromEntries(Object.entries(t.sums).map(([k, v]) => [k, v / t.count]));
  delete t.sums;
  delete t.last;
}
const metadata = {};
for await (const m of reader.readMetadata()) {
  metadata[m.name] = Object.fromEntries(m.metadata);
}
console.log(JSON.stringify({
  profile: reader.header.profile,
  streamedRecords: streamed,
  statisticsMessages: Number(reader.statistics?.messageCount ?? -1n),
  chunks: reader.chunkIndexes.length,
  chunkCompression: [...new Set(reader.chunkIndexes.map((c) => c.compression))],
  fileInOrder,
  topics,
  metadata,
}));
