#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance, pinned in
# package.json) against the gateway's Streamable HTTP endpoint, in both HTTP modes
# (stateful, then --stateless) and under both requirement sets (2025-11-25, then
# 2026-07-28), each on a fresh gateway (built-in emulator, free loopback port).
# Every failing check is compared with expected-failures.txt; the script exits non-zero
# on any failure not listed there (and names it), on a listed entry that no longer fails,
# or when a run is broken.
#
# Needs Node 20+ and the suite installed first (CI: `npm ci --prefix tests/conformance`).
# Node 20 lacks fs.globSync, which the suite imports: globsync-hook.mjs provides it.
#
#   GATEWAY_BIN=path/to/arcade-mcp-gateway  default: target/debug/arcade-mcp-gateway (repo root)
#   CONFORMANCE_OUT=dir                     keep the suite's results and logs there (default: a temp dir)
#   CONFORMANCE_MODES="stateful stateless"  CONFORMANCE_REQUIREMENTS="2025-11-25 2026-07-28"
#                                           run a part of the matrix (unused list entries are then no error)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
GATEWAY_BIN=${GATEWAY_BIN:-$ROOT/target/debug/arcade-mcp-gateway}
case $GATEWAY_BIN in /*) ;; *) GATEWAY_BIN=$PWD/$GATEWAY_BIN ;; esac
MODES=${CONFORMANCE_MODES:-stateful stateless}
REQUIREMENTS=${CONFORMANCE_REQUIREMENTS:-2025-11-25 2026-07-28}
SUITE=$HERE/node_modules/@modelcontextprotocol/conformance/dist/index.js
SUITE_TIMEOUT=${CONFORMANCE_SUITE_TIMEOUT:-900} # seconds, one requirement set

if [[ ! -x $GATEWAY_BIN ]]; then
  echo "run.sh: no gateway binary at $GATEWAY_BIN (build it, or set GATEWAY_BIN)" >&2
  exit 2
fi
if [[ ! -f $SUITE ]] || [[ ! -d $HERE/node_modules/glob ]]; then
  echo "run.sh: the suite is not installed: run \`npm ci --prefix tests/conformance\` first" >&2
  exit 2
fi

if [[ -n ${CONFORMANCE_OUT:-} ]]; then
  OUT=$CONFORMANCE_OUT
  mkdir -p "$OUT"
  KEEP_OUT=1
else
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/gateway-conformance.XXXXXX")
  KEEP_OUT=0
fi

GW_PID=
stop_gateway() {
  if [[ -n $GW_PID ]]; then
    kill -TERM "$GW_PID" 2>/dev/null || true
    # --shutdown-grace 1 below: it is gone within a second or two; then make sure.
    for _ in $(seq 30); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GW_PID" 2>/dev/null || true
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=
  fi
}
SUITE_PID=
cleanup() {
  local rc=$?
  if [[ -n $SUITE_PID ]]; then
    kill -TERM "$SUITE_PID" 2>/dev/null || true
    wait "$SUITE_PID" 2>/dev/null || true
  fi
  stop_gateway
  if [[ $KEEP_OUT == 0 && $rc == 0 ]]; then rm -rf "$OUT"; fi
  [[ $rc == 0 ]] || echo "run.sh: results and logs kept in $OUT" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts the gateway on a free loopback port (--bind ...:0) and sets URL from the line
# it prints on stderr: "arcade-mcp-gateway listening on http://127.0.0.1:PORT".
start_gateway() { # mode log
  local flags=()
  [[ $1 == stateless ]] && flags+=(--stateless)
  # The suite is many clients under one identity that never close their sessions: with
  # one fixed user, the per-user caps are the server's by default (no flag needed).
  "$GATEWAY_BIN" serve --emulator --transport http --bind 127.0.0.1:0 \
    --no-catalog-cache --shutdown-grace 1 "${flags[@]}" >"$2" 2>&1 &
  GW_PID=$!
  URL=
  for _ in $(seq 300); do # 30 s
    URL=$(sed -n 's|^arcade-mcp-gateway listening on \(http://[^ ]*\)$|\1|p' "$2" | head -1)
    [[ -n $URL ]] && break
    if ! kill -0 "$GW_PID" 2>/dev/null; then
      echo "run.sh: the gateway exited before listening:" >&2
      tail -20 "$2" >&2
      GW_PID=
      exit 2
    fi
    sleep 0.1
  done
  if [[ -z $URL ]]; then
    echo "run.sh: the gateway did not report its address within 30 s:" >&2
    tail -20 "$2" >&2
    exit 2
  fi
  URL=$URL/mcp
}

echo "conformance suite $(node -p "require('$HERE/node_modules/@modelcontextprotocol/conformance/package.json').version") on node $(node --version), gateway $GATEWAY_BIN"
START=$SECONDS
RUNS=()
for mode in $MODES; do
  for req in $REQUIREMENTS; do
    label=$mode-$req
    start_gateway "$mode" "$OUT/$label.gateway.log"
    echo "-- $label: $URL"
    rm -rf "$OUT/$label"
    # The suite exits 1 whenever a check fails; report.mjs judges the results instead.
    # Its own summary (with a "Total: N passed, M failed" line) goes to the log only.
    # In the background, so that a signal to this script is handled at once.
    (cd "$OUT" && exec timeout "$SUITE_TIMEOUT" node --import "$HERE/globsync-hook.mjs" "$SUITE" \
      server --url "$URL" --requirements "$req" -o "$OUT/$label") >"$OUT/$label.suite.log" 2>&1 &
    SUITE_PID=$!
    wait "$SUITE_PID" || true
    SUITE_PID=
    stop_gateway
    RUNS+=("$label=$OUT/$label=$OUT/$label.suite.log")
  done
done

echo "(the suite's runs took $((SECONDS - START)) s)"
full=1
[[ $MODES == "stateful stateless" && $REQUIREMENTS == "2025-11-25 2026-07-28" ]] || full=0
set +e
CONFORMANCE_FULL_MATRIX=$full node "$HERE/report.mjs" "$HERE/expected-failures.txt" "${RUNS[@]}"
rc=$?
set -e
exit "$rc"
