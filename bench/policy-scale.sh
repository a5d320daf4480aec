#!/usr/bin/env bash
# Network policy at scale: TCP connection rate (sequential short connections for DURATION seconds) and
# one bulk TCP stream (iperf3) between two pods, with 1, 1 000 and 10 000 rules in the ACLs that apply
# to the server pod (rules that do not match the flow, then the permit that lets it through), through
#   - contiv-vpp's ACL plugin, programmed over its CLI socket with contiv-vppctl, as the agent renders
#     a policy: the client TAP's input has a permit+reflect ACL, its output a deny-all (the replies pass
#     only through the reflective sessions); the server TAP's output (traffic to the pod) has the rule
#     ACLs in order: N non-matching rules in ACLs of RULES_PER_ACL (the CLI line limit), then an ACL
#     permitting the client. Per packet the ACL node checks sessions, then one tuple-space classifier
#     over all the ACLs of the interface;
#   - the kernel with iptables (linear): FORWARD policy DROP, conntrack ESTABLISHED,RELATED accepted
#     first (as Kubernetes policy implementations do), packets to the server jump to a chain of N
#     non-matching ACCEPT rules, then the client's ACCEPT, then DROP: every new connection walks N rules;
#   - the kernel with nftables: the same, the N rules as one concatenated interval set
#     (ip saddr . tcp dport @peers accept): one set lookup per new connection;
# all in the same run, all inside namespaces this script creates (iptables and nft run only through
# `ip netns exec`; nothing is added to the root namespace). The N rules are host /32 peers with ports
# 80, 443, 5432 and the range 9000-9100 (four masks), like a policy's per-pod rules.
#
# Kernel path: client ns ──veth── node ns (rules, ip_forward) ──veth── server ns (routed, as our data plane).
# Ours: client ns ──TAP── contiv-vpp (VRF 0) ──TAP── server ns.
#
# Lines:
#   RESULT policy-connect-10k <ours conn/s> conn/s baseline <iptables conn/s> ratio <x>
#   RESULT policy-connect-10k-nft <ours conn/s> conn/s baseline <nftables conn/s> ratio <x>
#   RESULT policy-stream-10k <ours, 10 000 rules> Gbit/s baseline <ours, no ACL> Gbit/s ratio <x>
# (connection rates: median of REPS runs, round robin over the three modes at each scale; the stream:
# median of STREAM_REPS runs alternating with a second contiv-vpp that has no ACL),
# plus, on stderr, each mode's connection rate and stream per scale and the time to program the rules.
# Env: SCALES ("1 1000 10000"), DURATION (5 s per connection-rate measurement), STREAM (5 s per
# stream), REPS (3), STREAM_REPS (8), RULES_PER_ACL (50), VPP_ARGS (extra contiv-vpp options).
# Needs root, iperf3, python3, iptables, nft and a published contiv-vpp + contiv-vppctl.
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
SCALES="${SCALES:-1 1000 10000}"; DURATION="${DURATION:-5}"; STREAM="${STREAM:-5}"; REPS="${REPS:-3}"; STREAM_REPS="${STREAM_REPS:-8}"
RULES_PER_ACL="${RULES_PER_ACL:-50}"
for tool in iperf3 python3 iptables-restore nft; do
  command -v "$tool" >/dev/null || { echo "policy-scale: $tool is required (Debian: apt-get install $(case $tool in nft) echo nftables ;; iptables*) echo iptables ;; *) echo "$tool" ;; esac))" >&2; exit 1; }
done
max_scale=0; for s in $SCALES; do ((s > max_scale)) && max_scale=$s; done
((max_scale <= 60000)) || { echo "policy-scale: at most 60000 rules (peers 10.200.0.0/16)" >&2; exit 1; }
label=$( ((max_scale == 10000)) && echo 10k || echo "$max_scale")

# Rule i: peer 10.200.(i/250).(i%250), port by i%4 (the last one a range).
peer() { echo "10.200.$(($1 / 250)).$(($1 % 250))"; }
port_of() { case $(($1 % 4)) in 0) echo 80 ;; 1) echo 443 ;; 2) echo 5432 ;; 3) echo 9000-9100 ;; esac; }

# connection-rate client: sequential connects for <seconds>, RST on close (no TIME_WAIT pile-up).
cat >"$tmp/rate.py" <<'PY'
import socket, struct, sys, time
ip, port, dur = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
linger = struct.pack("ii", 1, 0)
def once():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    s.settimeout(2)
    try:
        s.connect((ip, port)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(100):
    once()
ok = fails = 0
t0 = time.perf_counter(); end = t0 + dur
while time.perf_counter() < end:
    if once(): ok += 1
    else: fails += 1
el = time.perf_counter() - t0
if fails > max(3, ok // 100):
    sys.exit(f"connect {ip}:{port}: {fails} of {ok + fails} connections failed")
print(f"{ok / el:.0f}")
PY
cat >"$tmp/accept.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(4096)
while True:
    c, _ = s.accept(); c.close()
PY

bg_pids=()
cleanup_policy() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  cleanup
}
trap cleanup_policy EXIT INT TERM

start_servers() { # <server ns>
  ip netns exec "$1" python3 "$tmp/accept.py" >/dev/null 2>&1 &
  bg_pids+=($!)
  ip netns exec "$1" iperf3 -s -p 5201 >/dev/null 2>&1 &
  bg_pids+=($!)
  sleep 0.5
}
rate() { ip netns exec "$1" python3 "$tmp/rate.py" "$2" 8080 "$DURATION"; }
stream() { # <client ns> <ip> → Gbit/s
  local out
  out="$(ip netns exec "$1" iperf3 -c "$2" -p 5201 -t "$STREAM" -J)" || { echo "iperf3 to $2 failed: $out" >&2; return 1; }
  python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' <<<"$out"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

# ---------------------------------------------------------------- kernel
kernel_topology() { # <mode>: namespaces <mode>c (10.9.1.2), <mode>n (router), <mode>s (10.9.2.2)
  local c n s
  c="$(ns "${1}c")"; n="$(ns "${1}n")"; s="$(ns "${1}s")"
  for x in "$c" "$n" "$s"; do ip netns add "$x"; ip -n "$x" link set lo up; done
  ip -n "$n" link add vc type veth peer name eth0 netns "$c"
  ip -n "$n" link add vs type veth peer name eth0 netns "$s"
  ip -n "$n" addr add 10.9.1.1/24 dev vc; ip -n "$n" addr add 10.9.2.1/24 dev vs
  ip -n "$n" link set vc up; ip -n "$n" link set vs up
  ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$c" addr add 10.9.1.2/24 dev eth0; ip -n "$c" link set eth0 up; ip -n "$c" route add default via 10.9.1.1
  ip -n "$s" addr add 10.9.2.2/24 dev eth0; ip -n "$s" link set eth0 up; ip -n "$s" route add default via 10.9.2.1
  ip netns exec "$c" ping -c 1 -W 2 10.9.2.2 >/dev/null
  start_servers "$s"
}

iptables_rules() { # <count>
  local i p
  echo "*filter"
  echo ":INPUT ACCEPT [0:0]"; echo ":FORWARD DROP [0:0]"; echo ":OUTPUT ACCEPT [0:0]"; echo ":POD-B-INGRESS - [0:0]"
  echo "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
  echo "-A FORWARD -d 10.9.2.2/32 -j POD-B-INGRESS"
  echo "-A FORWARD -s 10.9.2.0/24 -j ACCEPT"
  for ((i = 0; i < $1; i++)); do
    p="$(port_of "$i")"
    echo "-A POD-B-INGRESS -s $(peer "$i")/32 -p tcp -m tcp --dport ${p/-/:} -j ACCEPT"
  done
  echo "-A POD-B-INGRESS -s 10.9.1.2/32 -p tcp -j ACCEPT"
  echo "-A POD-B-INGRESS -j DROP"
  echo "COMMIT"
}

nft_rules() { # <count>
  local i sep
  echo "flush ruleset"
  echo "table inet podpolicy {"
  echo "  set peers { type ipv4_addr . inet_service; flags interval; elements = {"
  for ((i = 0; i < $1; i++)); do
    sep=","; ((i + 1 == $1)) && sep=""
    echo "    $(peer "$i") . $(port_of "$i")$sep"
  done
  echo "  } }"
  echo "  chain pod-b-ingress { ip saddr . tcp dport @peers accept; ip saddr 10.9.1.2 meta l4proto tcp accept; drop; }"
  echo "  chain forward { type filter hook forward priority filter; policy drop;"
  echo "    ct state established,related accept; ip daddr 10.9.2.2 jump pod-b-ingress; ip saddr 10.9.2.0/24 accept; }"
  echo "}"
}

declare -A conn bw progtime
program_kernel() { # <mode: ipt|nft> <count>
  local mode=$1 scale=$2 n t0 t1 rules
  n="$(ns "${mode}n")"
  if [[ $mode == ipt ]]; then
    iptables_rules "$scale" >"$tmp/rules"
    t0=$(now); ip netns exec "$n" iptables-restore <"$tmp/rules"; t1=$(now)
    rules=$(ip netns exec "$n" iptables -S POD-B-INGRESS | grep -c -- '-j ACCEPT')
    ((rules == scale + 1)) || { echo "policy-scale: POD-B-INGRESS has $rules rules, expected $((scale + 1))" >&2; exit 1; }
  else
    nft_rules "$scale" >"$tmp/rules"
    t0=$(now); ip netns exec "$n" nft -f "$tmp/rules"; t1=$(now)
  fi
  progtime[$mode,$scale]=$(elapsed "$t0" "$t1")
}

kernel_topology ipt
kernel_topology nft
# ---------------------------------------------------------------- ours: contiv-vpp ACL plugin
ip netns add "$(ns vppc)"; ip netns add "$(ns vpps)"
ip -n "$(ns vppc)" link set lo up; ip -n "$(ns vpps)" link set lo up
# shellcheck disable=SC2086
start_vpp ${VPP_ARGS:-}
if ! out="$(vppctl show acl-plugin acl 2>&1)" || grep -q "unknown input" <<<"$out"; then
  echo "policy-scale: contiv-vpp has no acl-plugin CLI (\`show acl-plugin acl\` answered: ${out//$'\n'/ })" >&2
  exit 1
fi
vppctl create tap id 0 host-if-name eth0 host-ns "$(ns vppc)" host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1 >/dev/null
vppctl create tap id 1 host-if-name eth0 host-ns "$(ns vpps)" host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1 >/dev/null
vppctl set interface ip address tap0 10.1.1.1/24; vppctl set interface ip address tap1 10.1.2.1/24
vppctl set interface state tap0 up; vppctl set interface state tap1 up
ip netns exec "$(ns vppc)" ping -c 1 -W 2 10.1.2.2 >/dev/null
start_servers "$(ns vpps)"

batch() { "$VPPCTL" -s "$tmp/cli.sock" <"$1" >"$tmp/cli-out" 2>&1; ! grep -qiE "unknown|error|expected|does not" "$tmp/cli-out" || { echo "policy-scale: CLI batch failed:" >&2; grep -iE "unknown|error|expected|does not" "$tmp/cli-out" | head -5 >&2; exit 1; }; }
attached=()   # ACL indices on tap1 output, in order
client_acls=()
attach() { # <index list...>: appends to tap1 output
  : >"$tmp/attach"
  for a in "$@"; do echo "set acl-plugin interface tap1 output acl $a" >>"$tmp/attach"; done
  batch "$tmp/attach"
}
detach_all() {
  : >"$tmp/detach"
  for a in "${attached[@]}"; do echo "set acl-plugin interface tap1 output acl $a del" >>"$tmp/detach"; done
  for a in "${client_acls[@]}"; do echo "set acl-plugin interface tap0 $a del" >>"$tmp/detach"; done
  batch "$tmp/detach"
}
attach_client() {
  : >"$tmp/client"
  for a in "${client_acls[@]}"; do echo "set acl-plugin interface tap0 $a" >>"$tmp/client"; done
  batch "$tmp/client"
}
program() { # <count>: deletes the previous ACLs, creates the new ones, attaches them; sets $attached
  local n=$1 i line k
  if ((${#attached[@]} > 0)); then
    detach_all
    : >"$tmp/delete"
    for a in "${attached[@]}"; do echo "delete acl-plugin acl index $a" >>"$tmp/delete"; done
    batch "$tmp/delete"
  fi
  : >"$tmp/create"
  for ((i = 0; i < n; i += RULES_PER_ACL)); do
    line="set acl-plugin acl"
    for ((k = i; k < i + RULES_PER_ACL && k < n; k++)); do
      ((k > i)) && line+=","
      line+=" permit src $(peer "$k")/32 dst 10.1.2.2/32 proto 6 dport $(port_of "$k")"
    done
    echo "$line tag pod-b-ingress-$((i / RULES_PER_ACL))" >>"$tmp/create"
  done
  echo "set acl-plugin acl permit src 10.1.1.2/32 dst 10.1.2.2/32 proto 6 tag pod-b-ingress-client" >>"$tmp/create"
  batch "$tmp/create"
  mapfile -t attached < <(grep -oE 'ACL index:[0-9]+' "$tmp/cli-out" | cut -d: -f2)
  ((${#attached[@]} == (n + RULES_PER_ACL - 1) / RULES_PER_ACL + 1)) || { echo "policy-scale: created ${#attached[@]} ACLs" >&2; exit 1; }
  attach "${attached[@]}"
  attach_client
}

# The client's ACLs, created once: reflect on its input, deny-all on its output.
printf '%s\n' "set acl-plugin acl permit+reflect src 10.1.1.2/32 dst 0.0.0.0/0 tag pod-a-reflect" \
  "set acl-plugin acl deny src 0.0.0.0/0 dst 0.0.0.0/0 tag pod-a-ingress" >"$tmp/client-create"
batch "$tmp/client-create"
mapfile -t idx < <(grep -oE 'ACL index:[0-9]+' "$tmp/cli-out" | cut -d: -f2)
client_acls=("input acl ${idx[0]}" "output acl ${idx[1]}")

conn[vpp,0]=$(rate "$(ns vppc)" 10.1.2.2)
echo "contiv-vpp no ACL: ${conn[vpp,0]} conn/s" >&2
client() { case $1 in ipt) ns iptc ;; nft) ns nftc ;; vpp) ns vppc ;; esac; }
server_ip() { case $1 in vpp) echo 10.1.2.2 ;; *) echo 10.9.2.2 ;; esac; }
for scale in $SCALES; do
  program_kernel ipt "$scale"
  program_kernel nft "$scale"
  t0=$(now); program "$scale"; t1=$(now)
  progtime[vpp,$scale]=$(elapsed "$t0" "$t1")
  shown=$(vppctl show acl-plugin interface sw_if_index 2 | grep -oE 'output acl\(s\): .*' | tr ',' '\n' | grep -c '[0-9]' || true)
  ((shown == ${#attached[@]})) || { echo "policy-scale: tap1 output lists $shown ACLs, expected ${#attached[@]}" >&2; exit 1; }
  # Round robin over the three, REPS times, median of each (the machine's load drifts).
  declare -A runs=()
  for r in $(seq "$REPS"); do
    for mode in ipt nft vpp; do runs[$mode]+="$(rate "$(client $mode)" "$(server_ip $mode)") "; done
  done
  for mode in ipt nft vpp; do
    conn[$mode,$scale]=$(tr ' ' '\n' <<<"${runs[$mode]}" | grep . | median)
    bw[$mode,$scale]=$(stream "$(client $mode)" "$(server_ip $mode)")
  done
  unset runs
  echo "$scale rules: program iptables ${progtime[ipt,$scale]} s, nft ${progtime[nft,$scale]} s, contiv-vpp ${progtime[vpp,$scale]} s (${#attached[@]} ACLs on tap1 output);" \
    "conn/s iptables ${conn[ipt,$scale]}, nftables ${conn[nft,$scale]}, contiv-vpp ${conn[vpp,$scale]};" \
    "stream iptables ${bw[ipt,$scale]}, nftables ${bw[nft,$scale]}, contiv-vpp ${bw[vpp,$scale]} Gbit/s" >&2
done
denied=$(vppctl show errors | awk '/acl-plugin-out-ip4-fa/ && /ACL deny packets/ {print $1}' | head -1)
sessions=$(vppctl show acl-plugin sessions | head -1)
echo "contiv-vpp: ${sessions}; packets denied on tap1 output: ${denied:-0}" >&2

# The stream at the largest scale against no ACL: a second contiv-vpp with the same two pods and no ACL
# (re-attaching 10 000 rules between runs would take longer than the runs), the runs alternating between
# the two in pairs, order swapped every pair (the machine's load drifts).
ip netns add "$(ns vppc2)"; ip netns add "$(ns vpps2)"
ip -n "$(ns vppc2)" link set lo up; ip -n "$(ns vpps2)" link set lo up
# shellcheck disable=SC2086
"$VPP" --cli-socket "$tmp/cli2.sock" --api-socket "$tmp/api2.sock" --log-level Warning ${VPP_ARGS:-} >"$tmp/vpp2.log" 2>&1 &
vpp2_pid=$!; bg_pids+=("$vpp2_pid")
for _ in $(seq 100); do [ -S "$tmp/cli2.sock" ] && "$VPPCTL" -s "$tmp/cli2.sock" show version >/dev/null 2>&1 && break; sleep 0.1; done
vppctl2() { "$VPPCTL" -s "$tmp/cli2.sock" "$@"; }
vppctl2 create tap id 0 host-if-name eth0 host-ns "$(ns vppc2)" host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1 >/dev/null
vppctl2 create tap id 1 host-if-name eth0 host-ns "$(ns vpps2)" host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1 >/dev/null
vppctl2 set interface ip address tap0 10.1.1.1/24; vppctl2 set interface ip address tap1 10.1.2.1/24
vppctl2 set interface state tap0 up; vppctl2 set interface state tap1 up
ip netns exec "$(ns vppc2)" ping -c 1 -W 2 10.1.2.2 >/dev/null
start_servers "$(ns vpps2)"
with=(); without=()
for r in $(seq "$STREAM_REPS"); do
  if ((r % 2)); then
    with+=("$(stream "$(ns vppc)" 10.1.2.2)"); without+=("$(stream "$(ns vppc2)" 10.1.2.2)")
  else
    without+=("$(stream "$(ns vppc2)" 10.1.2.2)"); with+=("$(stream "$(ns vppc)" 10.1.2.2)")
  fi
  echo "stream run $r: $max_scale rules ${with[-1]} Gbit/s, no ACL ${without[-1]} Gbit/s" >&2
done
wm=$(printf '%s\n' "${with[@]}" | median); wo=$(printf '%s\n' "${without[@]}" | median)
echo "time to program $max_scale rules: contiv-vpp CLI ${progtime[vpp,$max_scale]} s ($(( (max_scale + RULES_PER_ACL - 1) / RULES_PER_ACL + 1 )) ACLs), iptables-restore ${progtime[ipt,$max_scale]} s, nft -f ${progtime[nft,$max_scale]} s" >&2

echo "RESULT policy-connect-$label ${conn[vpp,$max_scale]} conn/s baseline ${conn[ipt,$max_scale]} conn/s ratio $(div "${conn[vpp,$max_scale]}" "${conn[ipt,$max_scale]}")"
echo "RESULT policy-connect-$label-nft ${conn[vpp,$max_scale]} conn/s baseline ${conn[nft,$max_scale]} conn/s ratio $(div "${conn[vpp,$max_scale]}" "${conn[nft,$max_scale]}")"
echo "RESULT policy-stream-$label $wm Gbit/s baseline $wo Gbit/s ratio $(div "$wm" "$wo")"
