#!/usr/bin/env bash
# Starts a built feature jar with the JVM options a robot runs with:
#   scripts/start.sh <feature jar> [JVM options...]
# - ZGC, unless the options name a collector: with G1, under 300 MB/s of garbage, 45 of a loop's
#   late deadlines in 15,000 fell in GC pauses, with ZGC 2 (README: real-time control).
# - A class-data archive of this build's start-up (-XX:SharedArchiveFile), made by a start that
#   stops when ready (armature.exitWhenReady) with a data directory and HTTP port of its own, so
#   nothing of the robot's own state is touched (README: start-up). It is made again when the
#   jar, the JVM or the -X options change, and tried once for each: a JVM that cannot make one
#   (no base archive) starts without it and is not asked again at every start. It lives next to
#   the jar, or at $ARMATURE_ARCHIVE; its stamp ($archive.options) and, when none could be made,
#   the training start's output ($archive.log) beside it.
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
stamp="$archive.options"
# an archive is for one JVM build, and for one set of -X options (the collector and the heap
# size decide how classes can be mapped)
jvm="$(readlink -f "$(command -v "$java")")"
[ -f "$(dirname "$jvm")/../lib/server/libjvm.so" ] && jvm="$(dirname "$jvm")/../lib/server/libjvm.so"
x_options="$(printf '%s\n' "${options[@]}" "$@" | grep -- '^-X' | tr '\n' ' ' || true)"
if [ ! -f "$stamp" ] || [ "$jar" -nt "$stamp" ] || [ "$jvm" -nt "$stamp" ] || [ "$(cat "$stamp")" != "$x_options" ]; then
  if ! touch "$stamp" 2>/dev/null; then
    echo "Armature: $(dirname "$archive") is not writable: starting without a class-data archive (set ARMATURE_ARCHIVE)"
  else
    echo "Armature: making a class-data archive of this build's start-up, once: $archive"
    training="$(mktemp -d)"
    rm -f "$archive" "$archive.log"
    # the options given come first, so the training's own data directory and port win
    "$java" "${options[@]}" "$@" -XX:ArchiveClassesAtExit="$archive" -Darmature.exitWhenReady=true \
      -Darmature.data.dir="$training/data" -Dorg.osgi.service.http.port=0 -jar "$jar" </dev/null >"$training/start.log" 2>&1 || true
    if [ ! -s "$archive" ]; then
      cp "$training/start.log" "$archive.log" 2>/dev/null || true
      echo "Armature: no class-data archive could be made (see $archive.log); starting without one"
    fi
    rm -rf "$training"
    printf '%s' "$x_options" >"$stamp"
  fi
fi
if [ -s "$archive" ]; then
  exec "$java" "${options[@]}" -XX:SharedArchiveFile="$archive" "$@" -jar "$jar"
fi
exec "$java" "${options[@]}" "$@" -jar "$jar"
