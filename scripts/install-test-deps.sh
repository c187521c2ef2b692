#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian or Ubuntu machine: a JDK (17 or
# newer), Maven, socat (the tests' serial peer: a real pty pair), and mosquitto with its clients
# (the MQTT tests' real broker, mosquitto_sub and mosquitto_pub). With the argument "vision", also
# what the vision benchmark builds its C++ side with: g++, pkg-config and Debian's OpenCV
# (libopencv-dev). Run as root or with sudo available; does nothing when all is present.
set -euo pipefail

need=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  need+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v socat >/dev/null 2>&1 || need+=(socat)
{ command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } && command -v mosquitto_sub >/dev/null 2>&1 \
  || need+=(mosquitto mosquitto-clients)
if [ "${1:-}" = vision ]; then
  command -v g++ >/dev/null 2>&1 || need+=(g++)
  command -v pkg-config >/dev/null 2>&1 || need+=(pkg-config)
  pkg-config --exists opencv4 2>/dev/null || need+=(libopencv-dev)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi
