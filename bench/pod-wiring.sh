#!/usr/bin/env bash
# Times wiring one pod (SPEC §2.4: move the TAP into the pod namespace + rename to eth0, MAC + up,
# /32 address, link-scope route to the gateway, default route via it, static ARP) through
# Contiv.Linux (bench/PodWiringBench) against the same steps done with ip commands, in the same run.
# Median of many repetitions each. Usage: bench/pod-wiring.sh [iterations] (default 50).
# Ends with: RESULT pod-wiring <library ms> ms baseline <ip ms> ratio <library/ip>  (lower is better)
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
iterations="${1:-50}"
warmup=5
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[[ $EUID -eq 0 ]] || { echo "pod-wiring.sh needs root (network namespaces, TAP devices)" >&2; exit 1; }

dotnet build "$root/bench/PodWiringBench" -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
bench="$root/bench/PodWiringBench/bin/Release/net10.0/pod-wiring-bench"

# ct<4 hex>-<name>: the test fixtures' naming, so NetnsScope.SweepStale() removes leftovers.
tag="$(printf '%04x' $((RANDOM % 0xefff + 0x1000)))"
vsw="ct${tag}-benchvsw"
pod="ct${tag}-benchpod"
cleanup() {
  ip netns del "$pod" 2>/dev/null || true
  ip netns del "$vsw" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$vsw"

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Baseline: the same steps with ip (one process per step, as a shell-based plugin would do).
# $EPOCHREALTIME is a bash builtin (microseconds), so no fork is timed besides the ip commands.
ip_times=()
for ((i = 0; i < warmup + iterations; i++)); do
  ip netns add "$pod"
  ip -n "$vsw" tuntap add mode tap name ctbenchtap
  t0=$EPOCHREALTIME
  ip -n "$vsw" link set ctbenchtap netns "$pod" name eth0
  ip -n "$pod" link set eth0 address 02:fe:a1:b2:c3:d4 up
  ip -n "$pod" addr add 10.1.1.7/32 dev eth0
  ip -n "$pod" route add 10.1.1.1/32 dev eth0 scope link
  ip -n "$pod" route add default via 10.1.1.1 dev eth0
  ip -n "$pod" neigh add 10.1.1.1 lladdr 02:fe:5e:4d:3c:2b dev eth0 nud permanent
  t1=$EPOCHREALTIME
  [[ "$(ip -n "$pod" route show | wc -l)" -eq 2 ]] || { echo "baseline run $i: wiring incomplete" >&2; exit 1; }
  if ((i >= warmup)); then
    ip_times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')")
  fi
  ip -n "$pod" link del eth0
  ip netns del "$pod"
  sleep 0.1 # let the kernel finish tearing the namespace down before the next timed run
done
baseline="$(printf '%s\n' "${ip_times[@]}" | median)"
echo "ip runs ${#ip_times[@]} median ${baseline} ms"

out="$("$bench" --vswitch-netns "$vsw" --pod-netns "$pod" --iterations "$iterations" --warmup "$warmup")"
echo "$out" | grep -v '^MEDIAN_MS'
library="$(echo "$out" | awk '/^MEDIAN_MS/ { print $2 }')"

ratio="$(awk -v a="$library" -v b="$baseline" 'BEGIN { printf "%.3f", a / b }')"
echo "RESULT pod-wiring ${library} ms baseline ${baseline} ms ratio ${ratio}"
