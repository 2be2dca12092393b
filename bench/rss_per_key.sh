#!/usr/bin/env bash
# RSS growth per key and server CPU per request under redis-benchmark's pipelined SET, for a fresh
# Kache (the serve task's flags) or redis-server. Usage: bash bench/rss_per_key.sh kache|redis
# [range] [requests]; defaults 1000000 3000000 (issue 12's 1M-key run; 10000000 50000000 for 9.93M keys).
# Prints keys, RSS before/after, bytes per key, used_memory and CPU µs per request.
set -euo pipefail
cd "$(dirname "$0")/.."
WHICH=${1:-kache} RANGE=${2:-1000000} REQUESTS=${3:-3000000} PORT=17011 DIR=$(mktemp -d)
if [ "$WHICH" = kache ]; then
  deno run --no-config --cached-only --unstable-net --allow-net --allow-read --allow-write \
    --allow-env --allow-sys --v8-flags=--max-semi-space-size=2 main.ts serve --port $PORT \
    --kache-port 0 --save "" --dir "$DIR" >"$DIR/server.log" 2>&1 &
else
  redis-server --port $PORT --save "" --appendonly no --dir "$DIR" >"$DIR/server.log" 2>&1 &
fi
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.1; done
rss() { awk '/VmRSS/{print $2 * 1024}' /proc/$PID/status; }
cpu() { awk '{print $14 + $15}' /proc/$PID/stat; }
RSS0=$(rss) CPU0=$(cpu)
redis-benchmark -p $PORT -t set -d 16 -c 50 -P 16 -r "$RANGE" -n "$REQUESTS" -q 2>&1 |
  tr '\r' '\n' | grep "requests per second" | tail -1
CPU1=$(cpu)
sleep 3
RSS1=$(rss)
KEYS=$(redis-cli -p $PORT dbsize)
USED=$(redis-cli -p $PORT info memory | tr -d '\r' | awk -F: '$1 == "used_memory" {print $2}')
TICKS=$(getconf CLK_TCK)
echo "$WHICH keys=$KEYS rss_before=$RSS0 rss_after=$RSS1" \
  "bytes_per_key=$(((RSS1 - RSS0) / KEYS)) used_memory=$USED" \
  "cpu_us_per_request=$(echo "scale=2; ($CPU1 - $CPU0) * 1000000 / $TICKS / $REQUESTS" | bc)"
