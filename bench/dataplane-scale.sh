#!/usr/bin/env bash
# Memory (RSS) of contiv-vpp with 1 000 TAP interfaces and 100 000 routes, and how long creating them
# takes. The TAPs are opened in a node namespace (--netns) and brought up there; the routes are /32s
# in VRF 0 via a next hop on tap0 (one adjacency, 100 000 FIB entries). The baseline is the same
# process idle (no interfaces, no routes) measured in the same run.
# Env: TAPS (1000), ROUTES (100000), VPP_ARGS.
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
TAPS="${TAPS:-1000}"; ROUTES="${ROUTES:-100000}"
ip netns add "$(ns node)"
# shellcheck disable=SC2086
start_vpp --netns "$(ns node)" ${VPP_ARGS:-}
rss() { awk '/VmRSS/ {print $2}' "/proc/$vpp_pid/status"; }
sleep 1
idle=$(rss)
t0=$(date +%s.%N)
for i in $(seq 0 $((TAPS - 1))); do echo "create tap id $i host-if-name t$i"; done | "$VPPCTL" -s "$tmp/cli.sock" >/dev/null
t1=$(date +%s.%N)
n=$(vppctl show interface | grep -c '^tap')
[ "$n" -eq "$TAPS" ] || { echo "expected $TAPS taps, got $n" >&2; exit 1; }
after_taps=$(rss)
vppctl set interface ip address tap0 10.0.0.1/24
vppctl set ip neighbor tap0 10.0.0.2 02:fe:00:00:00:02 static
t2=$(date +%s.%N)
vppctl ip route add count "$ROUTES" 100.64.0.0/32 via 10.0.0.2 tap0 >/dev/null
t3=$(date +%s.%N)
n=$(vppctl show ip fib summary | awk '$1 == 32 {print $2}')
[ "$n" -ge "$ROUTES" ] || { echo "expected >= $ROUTES /32 entries, got $n" >&2; exit 1; }
sleep 1
after_routes=$(rss)
echo "idle RSS $((idle / 1024)) MB; +$TAPS TAPs $((after_taps / 1024)) MB ($(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b-a}') s);" \
  "+$ROUTES routes $((after_routes / 1024)) MB ($(awk -v a="$t2" -v b="$t3" 'BEGIN {printf "%.1f", b-a}') s)" >&2
echo "RESULT dataplane-rss $((after_routes / 1024)) MB baseline $((idle / 1024)) ratio $(awk -v a="$after_routes" -v b="$idle" 'BEGIN {printf "%.2f", a/b}')"
