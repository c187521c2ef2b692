#!/usr/bin/env bash
# Runs the benchmarks. Each prints its figures and ratios against a reference measured in the
# same run; none of them asserts a time.
#   scripts/bench.sh            all
#   scripts/bench.sh startup    JVM start to all components active, sim-rover vs bare Felix + SCR; what each bundle costs
#   scripts/bench.sh loop       loop engine, sleeping only and spinning, vs cyclictest (rt-tests) on the same CPU, under three
#                               placements (the kernel's, pinned, pinned with the idle poller), idle and under allocation
#                               load, then 10 kHz: every deadline counted, CPU time, late deadlines by cause
#   scripts/bench.sh stream     sample stream vs JCTools SpscArrayQueue and ArrayBlockingQueue
#   scripts/bench.sh mcu        microcontroller protocol: round trip over a pty vs a raw pty echo, parser vs CRC alone,
#                               bytes per frame; PWM write through the OSGi service vs a direct call
#   scripts/bench.sh mqtt       MQTT telemetry to mosquitto: messages/s the broker counts at QoS 0 and 1, with and
#                               without a subscriber, vs bare Paho; the loop's p99 lateness with telemetry on over off
#   scripts/bench.sh web        loop lateness with 50 WebSocket telemetry clients (+1 flooding, +1 never reading) vs none
#   scripts/bench.sh motion     e-stop to PWM 0 per source (in-process and REST) against a direct board revoke, lease
#                               lapse to setpoint 0 and to a braked wheel, control bundle stop to safe outputs
#   scripts/bench.sh swap       armature.control swapped side by side (Robot page, REST) vs updated in place (Bundles
#                               page, Gogo update), alternated, with the left wheel at 20 rad/s: undriven periods,
#                               lowest speed, time below 90 % of the setpoint, trips
#   scripts/bench.sh recording [none|lz4|zstd]  every stream recorded into MCAP (IMU, encoders, both loops' cycles, 1 kHz
#                               each, the odometry and the commands), chunks compressed so, in
#                               slices alternated with none: bytes/s, samples lost, allocation on the producers' threads,
#                               the loop's p99 lateness with recording over without
#   scripts/bench.sh vision     the 640x480 line pipeline in Java (armature.vision) vs C++ on Debian's OpenCV, in
#                               alternating rounds: median per-pair ratio Java/C++, fps, bytes per frame
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-all}"
if [ "$which" = all ] || [ "$which" = vision ]; then
  scripts/install-test-deps.sh vision
else
  scripts/install-test-deps.sh
fi
if [ "$which" = all ] || [ "$which" = loop ]; then
  if ! command -v cyclictest >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q rt-tests
  fi
fi
mvn -B -ntp -q install -DskipTests
case "$which" in
  startup) mvn -B -ntp -q -pl integration-tests exec:java@startup-benchmark ;;
  loop) mvn -B -ntp -q -pl integration-tests exec:exec@loop-benchmark ;;
  stream) mvn -B -ntp -q -pl integration-tests exec:exec@stream-benchmark ;;
  mcu) mvn -B -ntp -q -pl integration-tests exec:exec@mcu-benchmark ;;
  mqtt) mvn -B -ntp -q -pl integration-tests exec:exec@mqtt-benchmark ;;
  web) mvn -B -ntp -q -pl integration-tests exec:exec@web-benchmark ;;
  motion) mvn -B -ntp -q -pl integration-tests exec:exec@motion-benchmark ;;
  swap) mvn -B -ntp -q -pl integration-tests exec:exec@swap-benchmark ;;
  recording) mvn -B -ntp -q -pl integration-tests exec:exec@recording-benchmark -Drecording.compression="${2:-none}" ;;
  vision) mvn -B -ntp -q -pl integration-tests exec:exec@vision-benchmark ;;
  all) mvn -B -ntp -q -pl integration-tests exec:java@startup-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@loop-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@stream-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@mcu-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@mqtt-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@web-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@motion-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@swap-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@recording-benchmark
       mvn -B -ntp -q -pl integration-tests exec:exec@vision-benchmark ;;
  *) echo "unknown benchmark '$which': startup, loop, stream, mcu, mqtt, web, motion, swap, recording, vision or all" >&2; exit 2 ;;
esac
