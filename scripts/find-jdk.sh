# Sourced by the project's scripts: makes JAVA_HOME point at a JDK 21 or newer.
# Keeps a JAVA_HOME (or default java) that is new enough; otherwise takes the newest JDK under
# /usr/lib/jvm. Fails with one clear line when there is none.

gpudra_java_major() { # prints the major version of the java binary $1, or 0
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1 | grep . || echo 0
}

gpudra_find_jdk() {
  local candidate major best="" best_major=0
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/javac ]]; then
    major=$(gpudra_java_major "$JAVA_HOME/bin/java")
    ((major >= 21)) && return 0
  fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(gpudra_java_major "$candidate/bin/java")
    if ((major >= 21)); then
      export JAVA_HOME=$candidate
      return 0
    fi
  fi
  for candidate in /usr/lib/jvm/*; do
    [[ -x $candidate/bin/javac ]] || continue
    major=$(gpudra_java_major "$candidate/bin/java")
    if ((major > best_major)); then
      best=$candidate
      best_major=$major
    fi
  done
  if ((best_major < 21)); then
    echo "gpudra: no JDK 21 or newer found (JAVA_HOME, PATH, /usr/lib/jvm); install one and set JAVA_HOME" >&2
    return 1
  fi
  export JAVA_HOME=$best
}

gpudra_find_jdk || exit 1
export PATH=$JAVA_HOME/bin:$PATH
