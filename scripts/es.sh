#!/usr/bin/env bash
# Run a real Elasticsearch 8.14 test node in a JVM (no Docker): start | wait | stop | status | url | classpath | with.
#
#   scripts/es.sh start     resolve es/pom.xml with Maven (first run downloads ~60 MB), start the node in the
#                           background; HTTP on ES_BASE_PORT+1 (default 9201), transport on ES_BASE_PORT+101
#   scripts/es.sh wait      poll cluster health until green (timeout ES_WAIT_TIMEOUT, default 180 s)
#   scripts/es.sh stop      stop the node started from ES_HOME (SIGTERM, then SIGKILL after 30 s)
#   scripts/es.sh status    say whether the node runs and answers (exit 3 when it does not run)
#   scripts/es.sh url       print the node's HTTP URL (for COOPWATCH_TEST_ES)
#   scripts/es.sh with CMD  run CMD with COOPWATCH_TEST_ES set: to COOPWATCH_TEST_ES when already set, else to
#                           a node started for CMD alone on a free port (9251, 9261, ...) and stopped after it;
#                           without Java and Maven, CMD runs without a node (with CI=true that is an error)
#
# Environment: ES_BASE_PORT (9200), ES_HOME (var/es/node-<HTTP port>; data, es.log, es.pid live there),
# ES_JAVA_OPTS (-Xms512m -Xmx1g), ES_WAIT_TIMEOUT (180), MVN (mvn).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_PORT="${ES_BASE_PORT:-9200}"
HTTP_PORT=$((BASE_PORT + 1))
TRANSPORT_PORT=$((BASE_PORT + 101))
ES_HOME="${ES_HOME:-$ROOT/var/es/node-$HTTP_PORT}"
CLASSPATH_FILE="$ROOT/var/es/classpath.txt"
PID_FILE="$ES_HOME/es.pid"
LOG_FILE="$ES_HOME/es.log"
URL="http://127.0.0.1:$HTTP_PORT"

die() { echo "es.sh: $*" >&2; exit 1; }

resolve_classpath() {
  if [[ -s "$CLASSPATH_FILE" && "$CLASSPATH_FILE" -nt "$ROOT/es/pom.xml" ]]; then return; fi
  command -v "${MVN:-mvn}" >/dev/null || die "Maven not found: install it (apt-get install maven) or set MVN"
  mkdir -p "$(dirname "$CLASSPATH_FILE")"
  "${MVN:-mvn}" -B -q -f "$ROOT/es/pom.xml" dependency:build-classpath -Dmdep.outputFile="$CLASSPATH_FILE" \
    || die "Maven could not resolve es/pom.xml (see the output above)"
}

running_pid() {  # print the node's pid when its JVM is alive (a killed, unreaped JVM does not count)
  [[ -f "$PID_FILE" ]] || return 1
  local pid state; pid="$(cat "$PID_FILE")"
  state="$(ps -o stat=,comm= -p "$pid" 2>/dev/null)" || return 1
  [[ "$state" != Z* && "$state" == *java* ]] && echo "$pid"
}

answers() { curl -fsS -m 3 "$URL/_cluster/health" 2>/dev/null; }

cmd_start() {
  if pid="$(running_pid)"; then echo "es.sh: already running (pid $pid) at $URL"; return; fi
  command -v java >/dev/null || die "java not found: install a JDK 17+ (apt-get install openjdk-17-jdk-headless)"
  if answers >/dev/null; then die "port $HTTP_PORT already answers: another node runs there; set ES_BASE_PORT"; fi
  resolve_classpath
  mkdir -p "$ES_HOME"
  # shellcheck disable=SC2086
  nohup java ${ES_JAVA_OPTS:--Xms512m -Xmx1g} -cp "$(cat "$CLASSPATH_FILE")" "$ROOT/es/EsNode.java" \
    "$ES_HOME" "$HTTP_PORT" "$TRANSPORT_PORT" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  echo "es.sh: starting node (pid $!) at $URL, log $LOG_FILE"
}

cmd_wait() {
  local timeout="${ES_WAIT_TIMEOUT:-180}" start=$SECONDS body
  while (( SECONDS - start < timeout )); do
    if body="$(answers)" && [[ "$body" == *'"status":"green"'* ]]; then
      echo "es.sh: green at $URL after $((SECONDS - start)) s"; return
    fi
    if [[ -f "$PID_FILE" ]] && ! running_pid >/dev/null; then
      echo "es.sh: the node exited; last lines of $LOG_FILE:" >&2; tail -n 30 "$LOG_FILE" >&2 || true; exit 1
    fi
    sleep 1
  done
  echo "es.sh: no green health at $URL within $timeout s; last lines of $LOG_FILE:" >&2
  tail -n 30 "$LOG_FILE" >&2 || true
  exit 1
}

cmd_stop() {
  local pid
  if ! pid="$(running_pid)"; then echo "es.sh: not running ($ES_HOME)"; rm -f "$PID_FILE"; return; fi
  kill -TERM "$pid"
  for _ in $(seq 1 30); do running_pid >/dev/null || break; sleep 1; done
  if running_pid >/dev/null; then kill -KILL "$pid"; fi
  rm -f "$PID_FILE"
  echo "es.sh: stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "es.sh: running (pid $pid) at $URL: $(answers || echo 'not answering yet')"
  else
    echo "es.sh: not running (no node started from $ES_HOME)"; return 3
  fi
}

can_start() {  # Java, and Maven unless the classpath is already resolved
  command -v java >/dev/null && { [[ -s "$CLASSPATH_FILE" ]] || command -v "${MVN:-mvn}" >/dev/null; }
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_base_port() {  # the first base from 9250 up whose HTTP and transport ports are both free
  local base
  for base in $(seq 9250 10 9390); do
    if port_free $((base + 1)) && port_free $((base + 101)); then echo "$base"; return; fi
  done
  die "no free port pair for a test node between 9251 and 9391; set ES_BASE_PORT"
}

cmd_with() {
  (( $# )) || die "usage: scripts/es.sh with COMMAND [ARGS...]"
  if [[ -n "${COOPWATCH_TEST_ES:-}" ]]; then exec "$@"; fi
  if ! can_start; then
    if [[ "${CI:-}" == "true" ]]; then
      die "CI=true: the Elasticsearch tests must run, and starting their node needs Java 17+ and Maven"
    fi
    echo "es.sh: no Java 17+ and Maven here, so no Elasticsearch node: its tests will be skipped" \
         "(install them, e.g. apt-get install openjdk-17-jdk-headless maven, for the whole suite)"
    exec "$@"
  fi
  export ES_BASE_PORT="${ES_BASE_PORT:-$(free_base_port)}"
  "$0" start
  trap '"$0" stop || true' EXIT
  "$0" wait
  COOPWATCH_TEST_ES="$("$0" url)" "$@"
}

case "${1:-}" in
  start) cmd_start ;;
  wait) cmd_wait ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  with) shift; cmd_with "$@" ;;
  url) echo "$URL" ;;
  classpath) resolve_classpath; echo "$CLASSPATH_FILE" ;;
  *) echo "usage: $0 start|wait|stop|status|url|classpath|with COMMAND..." >&2; exit 2 ;;
esac
