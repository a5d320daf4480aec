# Shared helpers for bench/dataplane-*.sh (sourced). Creates namespaces with a per-run tag and removes
# everything on exit, also on failure or Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VPP="${VPP_BIN:-$root/artifacts/bin/contiv-vpp}"
VPPCTL="$root/artifacts/bin/contiv-vppctl"
[ -x "$VPP" ] || { echo "missing $VPP: run 'dotnet publish src/Contiv.Vpp.Daemon -c Release' or scripts/build.sh" >&2; exit 1; }
tag="cb$(printf '%04x' $((RANDOM % 65536)))"
tmp="$(mktemp -d /tmp/contiv-bench.XXXXXX)"
vpp_pid=""
cleanup() {
  [ -n "$vpp_pid" ] && kill "$vpp_pid" 2>/dev/null && wait "$vpp_pid" 2>/dev/null || true
  for ns in $(ip netns list | awk '{print $1}' | grep "^$tag-" || true); do
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ns() { echo "$tag-$1"; }

# start_vpp <extra args...>: starts contiv-vpp with sockets in $tmp and waits for the CLI.
start_vpp() {
  "$VPP" --cli-socket "$tmp/cli.sock" --api-socket "$tmp/api.sock" --log-level Warning "$@" >"$tmp/vpp.log" 2>&1 &
  vpp_pid=$!
  for _ in $(seq 100); do
    [ -S "$tmp/cli.sock" ] && "$VPPCTL" -s "$tmp/cli.sock" show version >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "contiv-vpp did not start:" >&2; cat "$tmp/vpp.log" >&2; exit 1
}

vppctl() { "$VPPCTL" -s "$tmp/cli.sock" "$@"; }

# Two pod namespaces A and B on TAPs in VRF 1 (pod style: /32 addresses, gateway routes, static ARP in VPP).
setup_vpp_pods() {
  ip netns add "$(ns a)"; ip netns add "$(ns b)"
  ip -n "$(ns a)" link set lo up; ip -n "$(ns b)" link set lo up
  vppctl ip table add 1 >/dev/null
  vppctl create tap id 0 host-if-name eth0 host-ns "$(ns a)" host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1 >/dev/null
  vppctl create tap id 1 host-if-name eth0 host-ns "$(ns b)" host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1 >/dev/null
  for i in 0 1; do vppctl set interface ip table tap$i 1; done
  vppctl set interface ip address tap0 10.1.1.1/24
  vppctl set interface ip address tap1 10.1.2.1/24
  vppctl set interface state tap0 up; vppctl set interface state tap1 up
  ip netns exec "$(ns a)" ping -c 1 -W 2 10.1.2.2 >/dev/null
}

# The same two namespaces (C, D) joined by a Linux bridge in a third namespace, kernel defaults.
setup_bridge_pods() {
  ip netns add "$(ns br)"; ip netns add "$(ns c)"; ip netns add "$(ns d)"
  ip -n "$(ns br)" link add br0 type bridge; ip -n "$(ns br)" link set br0 up
  for x in c d; do
    ip -n "$(ns br)" link add "v$x" type veth peer name eth0 netns "$(ns $x)"
    ip -n "$(ns br)" link set "v$x" master br0 up
    ip -n "$(ns $x)" link set eth0 up; ip -n "$(ns $x)" link set lo up
  done
  ip -n "$(ns c)" addr add 10.9.0.1/24 dev eth0; ip -n "$(ns d)" addr add 10.9.0.2/24 dev eth0
  ip netns exec "$(ns c)" ping -c 1 -W 2 10.9.0.2 >/dev/null
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
