#!/usr/bin/env bash
# Makes the API as it is now the baseline every later build is checked against
# (bnd-baseline-maven-plugin in bundles/armature.api/pom.xml): run it when a release is cut,
# with the released version, and commit bundles/armature.api/baseline-repo and the pom.
#   scripts/release-api.sh 0.2.0
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:?usage: scripts/release-api.sh <released version, e.g. 0.2.0>}"
mvn -B -ntp -q install -pl bundles/armature.api -DskipTests -Dbnd.baseline.skip=true
repo=bundles/armature.api/baseline-repo
rm -rf "$repo"
jar=$(ls bundles/armature.api/target/armature.api-*.jar | head -1)
mvn -B -ntp -q install:install-file -Dfile="$jar" \
  -DgroupId=io.armature -DartifactId=armature.api -Dversion="$version" -Dpackaging=jar \
  -DgeneratePom=true -DlocalRepositoryPath="$repo"
dir="$repo/io/armature/armature.api/$version"
rm -f "$repo"/io/armature/armature.api/maven-metadata-local.xml* "$dir/_remote.repositories"
for f in "$dir"/*.jar "$dir"/*.pom; do sha1sum "$f" | cut -d' ' -f1 > "$f.sha1"; done
sed -i "s|<armature.api.baseline>[^<]*<|<armature.api.baseline>$version<|" bundles/armature.api/pom.xml
echo "API baseline is now armature.api $version ($repo)"
