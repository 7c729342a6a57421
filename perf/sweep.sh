#!/usr/bin/env bash
# Sweep offered load against a fresh `rtes` per rate and record everything:
#   perf/sweep.sh [--rates "10000 25000 50000 100000 150000 200000"] [--duration 10]
#                 [--warmup 2] [--out perf/results/NAME] [--bin-dir target/release]
#                 [--blaster-args "..."] [--taskset-rtes CPUS --taskset-blaster CPUS]
#                 [--protocol ouch|fix]
#                 -- [extra rtes arguments, e.g. --threads dedicated --idle engine=busy-spin --pin engine=2]
# Each rate gets rate-N/{blaster.json,blaster.txt,server.txt,hgrm/}; then
# perf-plot writes summary.md, latency-vs-load.svg and percentile-distribution.svg.
set -euo pipefail
cd "$(dirname "$0")/.."

rates="10000 25000 50000 100000 150000 200000"
duration=10
warmup=2
out="perf/results/$(date -u +%Y%m%dT%H%M%SZ)"
bin_dir=""
blaster_args=""
taskset_rtes=""
taskset_blaster=""
protocol="ouch"
while [ $# -gt 0 ]; do
  case "$1" in
    --rates) rates="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --blaster-args) blaster_args="$2"; shift 2 ;;
    --taskset-rtes) taskset_rtes="$2"; shift 2 ;;
    --taskset-blaster) taskset_blaster="$2"; shift 2 ;;
    --protocol) protocol="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
rtes_args=("$@")
case "$protocol" in
  ouch|fix) ;;
  *) echo "--protocol must be ouch or fix" >&2; exit 2 ;;
esac

if [ -z "$bin_dir" ]; then
  cargo build --release --bin rtes --bin order-blaster --bin perf-plot >&2
  bin_dir=target/release
fi
pin() { if [ -n "$1" ]; then echo "taskset -c $1"; fi; }

mkdir -p "$out"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), kernel $(uname -r)"
  echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "rtes args: ${rtes_args[*]:-(default config: shared thread, backoff idle)}"
  echo "rtes cpus: ${taskset_rtes:-any}; blaster cpus: ${taskset_blaster:-any}"
  echo "blaster: --protocol $protocol --duration $duration --warmup $warmup $blaster_args"
  echo "command: perf/sweep.sh --protocol $protocol --rates \"$rates\" --duration $duration --warmup $warmup ${taskset_rtes:+--taskset-rtes $taskset_rtes} ${taskset_blaster:+--taskset-blaster $taskset_blaster} ${blaster_args:+--blaster-args \"$blaster_args\"} -- ${rtes_args[*]:-}"
} > "$out/machine.txt"

for rate in $rates; do
  dir="$out/rate-$(printf '%07d' "$rate")"
  mkdir -p "$dir"
  ports="$dir/ports.json"
  # Ephemeral FIX port and a throw-away FIX store: another rtes on this
  # machine may hold 15001, and the store must not land in the repository.
  fix_store=$(mktemp -d)
  # shellcheck disable=SC2046
  $(pin "$taskset_rtes") "$bin_dir/rtes" --ouch-port 0 --fix-port 0 --fix-store-dir "$fix_store" \
      --ports-file "$ports" "${rtes_args[@]}" > "$dir/server.txt" 2> "$dir/server.log" &
  server=$!
  for _ in $(seq 200); do [ -s "$ports" ] && break; sleep 0.05; done
  port=$(sed -E "s/.*\"$protocol\":\"[^\"]*:([0-9]+)\".*/\\1/" "$ports")
  if [ "$protocol" = fix ]; then target=(--protocol fix --fix-port "$port"); else target=(--port "$port"); fi
  echo "rate $rate/s, $protocol on port $port" >&2
  # shellcheck disable=SC2046,SC2086
  $(pin "$taskset_blaster") "$bin_dir/order-blaster" "${target[@]}" --rate "$rate" \
      --duration "$duration" --warmup "$warmup" --quiet --baseline \
      --json "$dir/blaster.json" --hgrm-dir "$dir/hgrm" $blaster_args > "$dir/blaster.txt" 2>&1 || true
  kill -TERM "$server"; wait "$server" || true
  rm -rf "$fix_store"
  tail -n 3 "$dir/blaster.txt" >&2
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.txt"
"$bin_dir/perf-plot" "$out"
