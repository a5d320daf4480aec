#!/usr/bin/env bash
# Cross-node pod-to-pod TCP over VXLAN: two contiv-vpp instances in two node namespaces joined by a
# veth underlay (AF_PACKET), configured like SPEC §2.6 (BD 10, BVI, VNI 10, static ARP + L2 FIB),
# vs. the Linux kernel doing the same job flannel-style (vxlan device + bridge per node, onlink
# routes, static neighbour/FDB entries), same run. iperf3 single stream, median of REPS.
# Env: REPS (5), DURATION (5), VPP_ARGS, SHOW_RUNTIME=1 (print both data planes' `show runtime`
# and `show errors` after the runs, to see where the time goes).
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
REPS="${REPS:-5}"; DURATION="${DURATION:-5}"
pids=()
cleanup_overlay() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; cleanup; }
trap cleanup_overlay EXIT INT TERM

for x in n1 n2 p1 p2 k1 k2 q1 q2; do ip netns add "$(ns $x)"; ip -n "$(ns $x)" link set lo up; done
for x in p1 p2 q1 q2; do ip netns exec "$(ns $x)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done

# --- contiv-vpp overlay
ip -n "$(ns n1)" link add und1 type veth peer name und2 netns "$(ns n2)"
ip -n "$(ns n1)" link set und1 up; ip -n "$(ns n2)" link set und2 up
for n in 1 2; do
  m=$((3 - n)); sock="$tmp/cli$n.sock"
  # shellcheck disable=SC2086
  "$VPP" --cli-socket "$sock" --api-socket "$tmp/api$n.sock" --netns "$(ns n$n)" --log-level Warning ${VPP_ARGS:-} >"$tmp/vpp$n.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S "$sock" ] && "$VPPCTL" -s "$sock" show version >/dev/null 2>&1 && break; sleep 0.1; done
  c() { "$VPPCTL" -s "$sock" "$@" >/dev/null; }
  c ip table add 1
  c create loopback interface; c set interface ip table loop0 1; c set interface ip address loop0 10.1.$n.1/24; c set interface state loop0 up
  c create host-interface name und$n; c set interface ip address host-und$n 192.168.16.$n/24; c set interface state host-und$n up
  c create bridge-domain 10 learn 0 forward 1 flood 0 uu-flood 0
  c create loopback interface mac 12:2b:00:00:00:0$n; c set interface ip table loop1 1
  c set interface ip address loop1 192.168.30.$n/24; c set interface state loop1 up; c set interface l2 bridge loop1 10 bvi 1
  c create vxlan tunnel src 192.168.16.$n dst 192.168.16.$m vni 10; c set interface l2 bridge vxlan_tunnel0 10 1
  c set ip neighbor loop1 192.168.30.$m 12:2b:00:00:00:0$m static
  c l2fib add 12:2b:00:00:00:0$m 10 vxlan_tunnel0 static
  c ip route add 10.1.$m.0/24 table 1 via 192.168.30.$m loop1
  c create tap id 0 host-if-name eth0 host-ns "$(ns p$n)" host-mtu-size 1450
  c set interface mtu 1450 tap0; c set interface ip table tap0 1; c set interface unnumbered tap0 use loop0; c set interface state tap0 up
  c ip route add 10.1.$n.2/32 table 1 via 10.1.$n.2 tap0
  ip -n "$(ns p$n)" addr add 10.1.$n.2/32 dev eth0
  ip -n "$(ns p$n)" route add 10.1.$n.1/32 dev eth0 scope link
  ip -n "$(ns p$n)" route add default via 10.1.$n.1 dev eth0
done
ip netns exec "$(ns p1)" ping -c 2 -W 2 10.1.2.2 >/dev/null

# --- kernel overlay (flannel's vxlan backend)
ip -n "$(ns k1)" link add und1 type veth peer name und2 netns "$(ns k2)"
for n in 1 2; do
  k="$(ns k$n)"; q="$(ns q$n)"; und=und$n
  ip -n "$k" addr add 192.168.17.$n/24 dev $und; ip -n "$k" link set $und up
  ip netns exec "$k" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$k" link add vxlan10 type vxlan id 10 local 192.168.17.$n dev $und dstport 4789 nolearning
  ip -n "$k" link set vxlan10 address 12:2c:00:00:00:0$n mtu 1450 up
  ip -n "$k" addr add 10.2.$n.0/32 dev vxlan10
  ip -n "$k" link add cni0 type bridge; ip -n "$k" addr add 10.2.$n.1/24 dev cni0; ip -n "$k" link set cni0 mtu 1450 up
  ip -n "$k" link add vp type veth peer name eth0 netns "$q"; ip -n "$k" link set vp master cni0 mtu 1450 up
  ip -n "$q" link set eth0 mtu 1450 up; ip -n "$q" addr add 10.2.$n.2/24 dev eth0; ip -n "$q" route add default via 10.2.$n.1
done
for n in 1 2; do
  m=$((3 - n)); k="$(ns k$n)"
  ip -n "$k" route add 10.2.$m.0/24 via 10.2.$m.0 dev vxlan10 onlink
  ip -n "$k" neigh add 10.2.$m.0 lladdr 12:2c:00:00:00:0$m dev vxlan10 nud permanent
  bridge -n "$k" fdb append 12:2c:00:00:00:0$m dev vxlan10 dst 192.168.17.$m
done
ip netns exec "$(ns q1)" ping -c 2 -W 2 10.2.2.2 >/dev/null

iperf() {
  ip netns exec "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  ip netns exec "$1" iperf3 -c "$3" -p 5201 -t "$DURATION" -J | python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))'
  wait "$srv" 2>/dev/null || true
}
vpp_runs=(); k_runs=()
for r in $(seq "$REPS"); do
  v=$(iperf "$(ns p1)" "$(ns p2)" 10.1.2.2); b=$(iperf "$(ns q1)" "$(ns q2)" 10.2.2.2)
  echo "run $r: contiv-vpp $v Gbit/s, kernel vxlan $b Gbit/s" >&2
  vpp_runs+=("$v"); k_runs+=("$b")
done
if [[ -n "${SHOW_RUNTIME:-}" ]]; then
  for n in 1 2; do
    echo "--- node$n show runtime / show errors" >&2
    "$VPPCTL" -s "$tmp/cli$n.sock" show runtime >&2; "$VPPCTL" -s "$tmp/cli$n.sock" show errors >&2
  done
fi
vm=$(printf '%s\n' "${vpp_runs[@]}" | median); km=$(printf '%s\n' "${k_runs[@]}" | median)
echo "RESULT overlay-tcp $vm Gbit/s baseline $km ratio $(awk -v a="$vm" -v b="$km" 'BEGIN {printf "%.2f", a/b}')"
