#!/usr/bin/env bash
# Runs every test of Armature: the unit tests of each bundle and the integration tests that
# boot each built feature in a real Felix. Installs what the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
mvn -B -ntp verify "$@"
