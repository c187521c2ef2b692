#!/usr/bin/env bash
# Starts a built feature jar with the JVM options a robot runs with:
#   scripts/start.sh <feature jar> [JVM options...]
# - ZGC, unless the options name a collector: with G1, under 300 MB/s of garbage, 45 of a loop's
#   late deadlines in 15,000 fell in GC pauses, with ZGC 2 (median of three runs of
#   `mvn -pl integration-tests exec:exec@loop-benchmark -Dloop.gc=...`, README: real-time control).
# - A class-data archive of this build's start-up (-XX:SharedArchiveFile): made once per jar and
#   JVM by a start that stops when ready (armature.exitWhenReady) with its own data directory, so
#   nothing of the robot's own state is touched; it cut sim-rover's start from 2.37 s to 2.12 s
#   (median of five pairs, README: start-up). It lives next to the jar, or at $ARMATURE_ARCHIVE.
# Used by scripts/run.sh and the systemd units in runtime-config/.
set -euo pipefail
jar="${1:?usage: scripts/start.sh <feature jar> [JVM options...]}"
shift
[ -f "$jar" ] || { echo "Armature: no feature jar at $jar (build it: mvn install)" >&2; exit 2; }
java="${JAVA:-java}"

options=()
collector_given=false
for option in "$@"; do
  case "$option" in -XX:+Use*GC) collector_given=true ;; esac
done
$collector_given || options+=(-XX:+UseZGC)

archive="${ARMATURE_ARCHIVE:-${jar%.jar}.jsa}"
# an archive is for one JVM build: a JVM updated since makes a new one
jvm="$(readlink -f "$(command -v "$java")")"
[ -f "$(dirname "$jvm")/../lib/server/libjvm.so" ] && jvm="$(dirname "$jvm")/../lib/server/libjvm.so"
# and for one set of -X options (the collector and heap size decide how classes can be mapped)
x_options="$(printf '%s\n' "${options[@]}" "$@" | grep -- '^-X' | tr '\n' ' ' || true)"
if [ ! -s "$archive" ] || [ "$jar" -nt "$archive" ] || [ "$jvm" -nt "$archive" ] \
    || [ "$(cat "$archive.options" 2>/dev/null)" != "$x_options" ]; then
  echo "Armature: making a class-data archive of this build's start-up, once: $archive"
  training="$(mktemp -d)"
  rm -f "$archive" "$archive.options"
  # the options given come first, so the training's own data directory and port win
  "$java" "${options[@]}" "$@" -XX:ArchiveClassesAtExit="$archive" -Darmature.exitWhenReady=true \
    -Darmature.data.dir="$training/data" -Dorg.osgi.service.http.port=0 -jar "$jar" </dev/null >"$training/start.log" 2>&1 || true
  if [ -s "$archive" ]; then
    printf '%s' "$x_options" >"$archive.options"
    rm -rf "$training"
  else
    echo "Armature: no archive was made (see $training/start.log); starting without one"
  fi
fi
exec "$java" "${options[@]}" -XX:SharedArchiveFile="$archive" "$@" -jar "$jar"
