// Writes an IMU recording the way `ros2 bag` writes MCAP by default (the C++ writer's default is
// zstd chunks), with Foxglove's own writer (@mcap/core), its ROS 2 message serializer and its
// Zstandard (@foxglove/wasm-zstd): a file no Armature code wrote, for the robot to replay.
// Run by RecordingTest: node write-compressed.mjs <file.mcap> <messages>
import { McapWriter, TempBuffer } from '@mcap/core';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import zstd from '@foxglove/wasm-zstd';
import fs from 'node:fs/promises';

const [file, count] = [process.argv[2], Number(process.argv[3] ?? 500)];
await zstd.isLoaded;

const sep = '='.repeat(80) + '\n';
const definition = 'std_msgs/Header header\ngeometry_msgs/Quaternion orientation\nfloat64[9] orientation_covariance\n'
  + 'geometry_msgs/Vector3 angular_velocity\nfloat64[9] angular_velocity_covariance\n'
  + 'geometry_msgs/Vector3 linear_acceleration\nfloat64[9] linear_acceleration_covariance\n'
  + sep + 'MSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n'
  + sep + 'MSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n'
  + sep + 'MSG: geometry_msgs/Quaternion\nfloat64 x 0\nfloat64 y 0\nfloat64 z 0\nfloat64 w 1\n'
  + sep + 'MSG: geometry_msgs/Vector3\nfloat64 x\nfloat64 y\nfloat64 z\n';

const buffer = new TempBuffer();
const writer = new McapWriter({
  writable: buffer,
  useChunks: true,
  chunkSize: 16 * 1024,
  compressChunk: (data) => ({ compression: 'zstd', compressedData: zstd.compress(data, 3) }),
});
await writer.start({ profile: 'ros2', library: 'foxglove @mcap/core' });
const schemaId = await writer.registerSchema({ name: 'sensor_msgs/msg/Imu', encoding: 'ros2msg', data: new TextEncoder().encode(definition) });
const channelId = await writer.registerChannel({ topic: '/imu', schemaId, messageEncoding: 'cdr', metadata: new Map() });
const serializer = new MessageWriter(parse(definition, { ros2: true }));
const start = 1_700_000_000_000_000_000n;
const zeros = new Float64Array(9);
for (let i = 0; i < count; i++) {
  const t = start + BigInt(i) * 1_000_000n; // 1 kHz
  const data = serializer.writeMessage({
    header: { stamp: { sec: Number(t / 1_000_000_000n), nanosec: Number(t % 1_000_000_000n) }, frame_id: 'imu_link' },
    orientation: { x: 0, y: 0, z: 0, w: 1 },
    orientation_covariance: zeros,
    angular_velocity: { x: 0, y: 0, z: i * 0.001 },
    angular_velocity_covariance: zeros,
    linear_acceleration: { x: 0, y: 0, z: 9.81 },
    linear_acceleration_covariance: zeros,
  });
  await writer.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data });
}
await writer.end();
await fs.writeFile(file, buffer.get());
