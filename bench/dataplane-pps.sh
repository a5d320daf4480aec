#!/usr/bin/env bash
# Small-packet forwarding rate: 64-byte frames (18-byte UDP payload) pod-to-pod through contiv-vpp vs. the
# same namespaces on a Linux bridge, same run. iperf3 UDP at unlimited rate, DURATION seconds, REPS
# repetitions alternating, median of the packets/s the receiver got. No threshold yet (issue 4).
# Env: REPS (5), DURATION (5), VPP_ARGS, STREAMS (1: parallel iperf3 streams, -P, i.e. flows on different ports;
# several let multi-queue TAPs spread one pod's traffic over the workers).
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
REPS="${REPS:-5}"; DURATION="${DURATION:-5}"; STREAMS="${STREAMS:-1}"
# shellcheck disable=SC2086
start_vpp ${VPP_ARGS:-}
setup_vpp_pods
setup_bridge_pods

pps() { # pps <client-ns> <server-ns> <server-ip>  -> received packets per second
  ip netns exec "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  ip netns exec "$1" iperf3 -c "$3" -p 5201 -u -b 0 -l 18 -t "$DURATION" -P "$STREAMS" -J | python3 -c '
import json, sys
e = json.load(sys.stdin)["end"]
s = e.get("sum_received") or e["sum"]
got = s.get("packets", 0) - s.get("lost_packets", 0)
print("%.0f" % (got / s["seconds"]))'
  wait "$srv" 2>/dev/null || true
}

# contiv-vpp's own CPU per packet it forwarded (user+system, all threads): the efficiency figure,
# much less sensitive to other load on the machine than packets/s.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$vpp_pid/stat"; }
fwd() { vppctl show interface tap1 | awk '$0 ~ /tx packets/ {print $NF; exit}'; }
# Where the packets that did not arrive were lost: the sender's TAP queue (the worker did not read them in
# time: tx_dropped of pod A's eth0) or the receiver's socket (UDP RcvbufErrors in pod B).
tapdrops() { ip netns exec "$(ns a)" cat /sys/class/net/eth0/statistics/tx_dropped; }
rcvdrops() { ip netns exec "$1" awk '/^Udp:/ {if (h) {print $6; exit} h=1}' /proc/net/snmp; }
cpu0=$(cpu_ticks); fwd0=$(fwd || echo 0); td0=$(tapdrops); rd0=$(rcvdrops "$(ns b)")
vpp_runs=(); br_runs=()
for r in $(seq "$REPS"); do
  v=$(pps "$(ns a)" "$(ns b)" 10.1.2.2); b=$(pps "$(ns c)" "$(ns d)" 10.9.0.2)
  echo "run $r: contiv-vpp $v pps, linux bridge $b pps" >&2
  vpp_runs+=("$v"); br_runs+=("$b")
done
cpu1=$(cpu_ticks); fwd1=$(fwd || echo 0); td1=$(tapdrops); rd1=$(rcvdrops "$(ns b)")
echo "contiv-vpp losses over the runs: $((td1 - td0)) dropped in pod A's TAP queue (not read in time), $((rd1 - rd0)) in pod B's socket (receiver too slow); bridge receiver socket drops $(rcvdrops "$(ns d)")" >&2
echo "contiv-vpp CPU: $(awk -v c=$((cpu1 - cpu0)) -v n=$((fwd1 - fwd0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {if (n > 0) printf "%.2f", c / hz * 1e6 / n; else print "n/a"}') µs per forwarded packet ($((fwd1 - fwd0)) packets), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
vm=$(printf '%s\n' "${vpp_runs[@]}" | median); bm=$(printf '%s\n' "${br_runs[@]}" | median)
echo "RESULT dataplane-pps $vm pps baseline $bm ratio $(awk -v a="$vm" -v b="$bm" 'BEGIN {printf "%.2f", a/b}')"
