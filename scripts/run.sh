#!/usr/bin/env bash
# Builds Armature and starts a robot feature (default: sim-rover, the simulated rover) in the
# foreground with the Gogo shell on the terminal. Extra arguments go to the JVM, for example
#   scripts/run.sh sim-rover -Dorg.osgi.service.http.port=8181
set -euo pipefail
cd "$(dirname "$0")/.."
robot="${1:-sim-rover}"
shift || true
scripts/install-test-deps.sh run # the JDK and Maven only: running needs none of the test tools
mvn -B -ntp -q install -DskipTests
exec scripts/start.sh "features/target/${robot}.jar" "$@"
