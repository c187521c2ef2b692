#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh Debian or Ubuntu machine: a JDK (17 or
# newer), Maven, socat (the tests' serial peer: a real pty pair), and mosquitto with its clients
# (the MQTT tests' real broker, mosquitto_sub and mosquitto_pub), Chromium and Node.js with the
# pinned Playwright of integration-tests/web-tests (the browser tests of the Robot page). Run as
# root or with sudo available; does nothing when all is present.
set -euo pipefail

need=()
if ! command -v java >/dev/null 2>&1 || ! java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  need+=(openjdk-17-jdk-headless)
fi
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v socat >/dev/null 2>&1 || need+=(socat)
{ command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ]; } && command -v mosquitto_sub >/dev/null 2>&1 \
  || need+=(mosquitto mosquitto-clients)

command -v chromium >/dev/null 2>&1 || need+=(chromium)
{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || need+=(nodejs npm)

if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${need[@]}"
fi

# Playwright (playwright-core only: it drives the system Chromium, no browser download), exactly
# as package-lock.json pins it.
web_tests="$(dirname "$0")/../integration-tests/web-tests"
if [ ! -d "$web_tests/node_modules/playwright-core" ] || [ "$web_tests/package-lock.json" -nt "$web_tests/node_modules" ]; then
  (cd "$web_tests" && npm ci --no-audit --no-fund)
fi
