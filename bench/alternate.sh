#!/usr/bin/env bash
# Alternating redis-benchmark runs against redis-server and one or more Kache checkouts
# (before/after a change), with the server's CPU time per request and medians over rounds.
#
#   bash bench/alternate.sh [name=]<kache checkout>|redis ...
#   ROUNDS=5 TESTS="set get" PIPELINE=16 REQUESTS=3000000 CLIENTS=50 KEYS=1000000 VALUE_BYTES=16 \
#     bash bench/alternate.sh before=/tmp/old-checkout after=. redis
#   EXTRA_epoll="--tcp-backend epoll" bash bench/alternate.sh deno=. epoll=. redis
#
# Each server starts once on a free loopback port, persistence off (Kache as `deno task serve`
# runs it), then round after round every test runs against each server in turn: on a small shared
# machine drift moves numbers by more than the differences measured, and alternating spreads it
# evenly. Requests/s, p50 and p99 come from redis-benchmark's CSV; CPU per request is the server's
# user + system time from /proc over the run. Use enough REQUESTS for ≥ 5 s a test (random keys
# among KEYS): short runs end before the collector works. `deno task bench:compare` is the full
# report (every workload, memory, charts); this is the quick A/B. A benchmark, not a test.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
TESTS=${TESTS:-"set get"}
PIPELINE=${PIPELINE:-16}
REQUESTS=${REQUESTS:-3000000}
CLIENTS=${CLIENTS:-50}
VALUE_BYTES=${VALUE_BYTES:-16}
KEYS=${KEYS:-1000000}
[ $# -gt 0 ] || { sed -n '2,14p' "$0"; exit 2; }

names=() ports=() pids=() groups=()
scratch=$(mktemp -d)
cleanup() {
  for group in "${groups[@]}"; do kill -- "-$group" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The pid listening on a port (the server itself, not `deno task`'s parent process).
listener_pid() {
  for _ in $(seq 100); do
    pid=$(ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
    [ -n "$pid" ] && { echo "$pid"; return; }
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  exit 1
}

for spec in "$@"; do
  name=${spec%%=*}
  where=${spec#*=}
  port=$(free_port)
  dir="$scratch/$name"
  mkdir -p "$dir"
  if [ "$where" = redis ]; then
    setsid redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      >/dev/null 2>&1 &
  else
    extra="EXTRA_$name"
    # shellcheck disable=SC2086 # the extra serve arguments are words on purpose
    (cd "$where" && exec setsid deno task serve --port "$port" --kache-port 0 --save '' \
      --appendonly no --dir "$dir" ${!extra:-} >/dev/null 2>&1) &
  fi
  groups+=("$!")
  names+=("$name")
  ports+=("$port")
  pids+=("$(listener_pid "$port")")
done

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
results="$scratch/results"
for round in $(seq "$ROUNDS"); do
  for test in $TESTS; do
    for i in "${!names[@]}"; do
      before=$(ticks "${pids[$i]}")
      csv=$(redis-benchmark -p "${ports[$i]}" -t "$test" -P "$PIPELINE" -c "$CLIENTS" -r "$KEYS" \
        -d "$VALUE_BYTES" -n "$REQUESTS" --csv | tail -1 | tr -d '"')
      after=$(ticks "${pids[$i]}")
      IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$csv"
      cpu=$(awk -v t=$((after - before)) -v n="$REQUESTS" 'BEGIN { printf "%.2f", t * 1e4 / n }')
      echo "round $round $test ${names[$i]}: $rps req/s, p50 $p50 ms, p99 $p99 ms, $cpu µs CPU/request"
      echo "$test ${names[$i]} $rps $p50 $p99 $cpu" >>"$results"
    done
  done
done

echo
echo "medians of $ROUNDS rounds (-P $PIPELINE -c $CLIENTS -r $KEYS -d $VALUE_BYTES -n $REQUESTS):"
for test in $TESTS; do
  for name in "${names[@]}"; do
    awk -v t="$test" -v n="$name" '
      function median(list,   count, sorted, i, j, swap) {
        count = split(list, sorted, " ")
        for (i = 1; i <= count; i++) for (j = i + 1; j <= count; j++)
          if (sorted[j] + 0 < sorted[i] + 0) { swap = sorted[i]; sorted[i] = sorted[j]; sorted[j] = swap }
        return count % 2 ? sorted[(count + 1) / 2] : (sorted[count / 2] + sorted[count / 2 + 1]) / 2
      }
      $1 == t && $2 == n { rps = rps " " $3; p50 = p50 " " $4; p99 = p99 " " $5; cpu = cpu " " $6 }
      END { printf "%-5s %-8s %10.0f req/s  p50 %.3f ms  p99 %.3f ms  %.2f µs CPU/request\n",
        t, n, median(rps), median(p50), median(p99), median(cpu) }' "$results"
  done
done
