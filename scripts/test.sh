#!/usr/bin/env bash
# The whole test suite: format check, static checks, unit tests (*Test), integration tests (*IT)
# and architecture rules, from a clean build. Extra arguments go to Maven.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/find-jdk.sh
echo "gpudra: testing with JDK at $JAVA_HOME"
exec ./mvnw -B -ntp clean verify "$@"
