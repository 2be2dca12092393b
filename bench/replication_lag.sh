#!/usr/bin/env bash
# Replication lag under a redis-benchmark SET load: a redis-server replica of a Kache (or, with
# `redis`, a redis-server) master on loopback; samples master_repl_offset − slave_repl_offset
# every 100 ms while the load runs. Usage: bash bench/replication_lag.sh kache|redis
set -euo pipefail
cd "$(dirname "$0")/.."
MASTER=17001 REPLICA=17002 DIR=$(mktemp -d)
if [ "${1:-kache}" = kache ]; then
  deno run --allow-all --v8-flags=--max-semi-space-size=2 main.ts serve --port $MASTER \
    --kache-port 0 --save "" --dir "$DIR" >"$DIR/master.log" 2>&1 &
else
  redis-server --port $MASTER --save "" --dir "$DIR" >"$DIR/master.log" 2>&1 &
fi
MASTER_PID=$!
sleep 3
mkdir "$DIR/replica"
redis-server --port $REPLICA --save "" --dir "$DIR/replica" --replicaof 127.0.0.1 $MASTER \
  >"$DIR/replica.log" 2>&1 &
REPLICA_PID=$!
trap 'kill $MASTER_PID $REPLICA_PID 2>/dev/null; rm -rf "$DIR"' EXIT
sleep 3
redis-benchmark -p $MASTER -t set -n 1500000 -r 100000 -P 3 -c 10 -q >"$DIR/bench.txt" 2>&1 &
LOAD=$!
max=0 sum=0 samples=0
field() { redis-cli -p "$1" info replication | grep "^$2:" | cut -d: -f2 | tr -d '\r'; }
while kill -0 $LOAD 2>/dev/null; do
  master=$(field $MASTER master_repl_offset) replica=$(field $REPLICA slave_repl_offset)
  if [ -n "$master" ] && [ -n "$replica" ]; then
    lag=$((master - replica)) sum=$((sum + lag)) samples=$((samples + 1))
    [ $lag -gt $max ] && max=$lag
  fi
  sleep 0.1
done
tr '\r' '\n' <"$DIR/bench.txt" | grep -v '^$' | tail -1
echo "${1:-kache} master: $samples samples, mean lag $((sum / (samples > 0 ? samples : 1))) bytes, max $max bytes"
