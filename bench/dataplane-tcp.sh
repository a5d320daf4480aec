#!/usr/bin/env bash
# TCP throughput pod-to-pod through contiv-vpp (two TAPs, VRF 1, GSO) vs. the same two namespaces on a
# Linux bridge, in the same run: iperf3 single stream, DURATION seconds, REPS repetitions alternating
# between the two, median of each. Needs root, iperf3, a published contiv-vpp.
# Env: REPS (5), DURATION (5), VPP_ARGS (extra contiv-vpp options, e.g. "--workers 2"), STREAMS (1: parallel
# iperf3 streams, -P; several let multi-queue TAPs spread one pod's traffic over the workers).
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
REPS="${REPS:-5}"; DURATION="${DURATION:-5}"; STREAMS="${STREAMS:-1}"
# shellcheck disable=SC2086
start_vpp ${VPP_ARGS:-}
setup_vpp_pods
setup_bridge_pods

iperf() { # iperf <client-ns> <server-ns> <server-ip>
  ip netns exec "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  # Gbit/s, then the CPU seconds the two iperf3 processes (sender, receiver: their copies and the
  # kernel work done in their system calls) spent per GB moved.
  ip netns exec "$1" iperf3 -c "$3" -p 5201 -t "$DURATION" -P "$STREAMS" -J | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
g = e["sum_received"]["bits_per_second"] / 1e9
c = e["cpu_utilization_percent"]
print("%.3f %.3f" % (g, (c["host_total"] + c["remote_total"]) / 100 / (g / 8)))'
  wait "$srv" 2>/dev/null || true
}

# contiv-vpp's own CPU per GB it delivered to pod B (user+system, all threads, ACKs included): the
# efficiency figure, much less sensitive to other load on the machine than Gbit/s.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$vpp_pid/stat"; }
txbytes() { vppctl show interface tap1 | awk '$0 ~ /tx bytes/ {print $NF; exit}'; }
cpu0=$(cpu_ticks); by0=$(txbytes || echo 0)
vpp_runs=(); br_runs=(); vpp_cpu=(); br_cpu=()
for r in $(seq "$REPS"); do
  read -r v vc < <(iperf "$(ns a)" "$(ns b)" 10.1.2.2); read -r b bc < <(iperf "$(ns c)" "$(ns d)" 10.9.0.2)
  echo "run $r: contiv-vpp $v Gbit/s, linux bridge $b Gbit/s (iperf3 sender+receiver CPU: $vc / $bc s per GB)" >&2
  vpp_runs+=("$v"); br_runs+=("$b"); vpp_cpu+=("$vc"); br_cpu+=("$bc")
done
cpu1=$(cpu_ticks); by1=$(txbytes || echo 0)
vpg=$(awk -v c=$((cpu1 - cpu0)) -v n=$((by1 - by0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {if (n > 0) printf "%.3f", c / hz / (n / 1e9); else print "n/a"}')
echo "contiv-vpp CPU: $vpg s per GB delivered ($((by1 - by0)) bytes), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
vcm=$(printf '%s\n' "${vpp_cpu[@]}" | median); bcm=$(printf '%s\n' "${br_cpu[@]}" | median)
echo "CPU per GB, whole path (medians): contiv-vpp $(awk -v a="$vcm" -v b="$vpg" 'BEGIN {printf "%.3f", a + b}') s (iperf3 $vcm + contiv-vpp $vpg), linux bridge $bcm s (iperf3 only: the bridge runs in their system calls)" >&2
vm=$(printf '%s\n' "${vpp_runs[@]}" | median); bm=$(printf '%s\n' "${br_runs[@]}" | median)
echo "RESULT dataplane-tcp $vm Gbit/s baseline $bm ratio $(awk -v a="$vm" -v b="$bm" 'BEGIN {printf "%.2f", a/b}')"
