#!/usr/bin/env bash
# Services at scale: TCP connect latency (p50/p99 of many short connections) and one bulk TCP stream
# through a ClusterIP with 10, 1 000 and 10 000 Services installed (each with 2 backends), through
#   - contiv-vpp's NAT44 (load-balancing static mappings, out2in-only + self-twice-NAT, as the agent
#     renders a ClusterIP), programmed over its CLI socket with contiv-vppctl (one batch on stdin);
#   - kube-proxy's iptables mode: KUBE-SERVICES in the nat table's PREROUTING, one jump per
#     Service to a KUBE-SVC chain that picks one of two KUBE-SEP chains with `statistic` (random,
#     probability 0.5) and DNATs (iptables-restore of the whole table, as kube-proxy syncs);
#   - kube-proxy's nftables mode: a verdict map (VIP . proto . port → goto service chain), the
#     service chain picks an endpoint chain with `numgen random mod 2`, which DNATs;
# all in the same run, all inside namespaces this script creates (iptables and nft run only through
# `ip netns exec`; nothing is added to the root namespace).
#
# Kernel topology per mode: client ns ──veth── node ns (rules, ip_forward) ──veth── backend ns.
# Ours: client ns ──TAP── contiv-vpp (VRF 0) ──TAP── backend ns. The backend namespace has two
# addresses (the two backends of every Service) and listens on :8080 (connects) and :5201 (iperf3).
# The probed Service sits in the middle of the list (kube-proxy's order is random: on average half
# the KUBE-SERVICES rules are traversed before the match).
#
# Lines:
#   RESULT service-connect-p99-10k <ours ms> ms baseline <iptables ms> ratio <x>
#   RESULT service-connect-p99-10k-nft <ours ms> ms baseline <nftables ms> ratio <x>
#   RESULT service-flatness <ours p99 at 10k> ms baseline <ours p99 at 10> ratio <x>
#   RESULT service-stream-vip <ours via VIP> Gbit/s baseline <ours direct pod-to-pod> ratio <x>
# plus, on stderr, every mode's p50/p99 per scale, the kernel's own VIP/direct stream ratio, the time
# to program 10 000 Services (ours: CLI batch; iptables-restore; nft -f) and the data plane's RSS
# growth per 1 000 NAT sessions (next to the kernel's conntrack object size).
# The kernel modes run first; our side needs the data plane's NAT44 CLI and stops with a clear
# message when `nat44` is unknown there.
# Env: SCALES ("10 1000 10000"), CONNS (2000 per measurement), WARMUP (200), DURATION (3 s per
# stream), SESSIONS (20000 connections for the memory figure), VPP_ARGS (extra contiv-vpp options).
# Needs root, iperf3, python3, iptables, nft and a published contiv-vpp + contiv-vppctl.
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
SCALES="${SCALES:-10 1000 10000}"; CONNS="${CONNS:-2000}"; WARMUP="${WARMUP:-200}"
DURATION="${DURATION:-3}"; SESSIONS="${SESSIONS:-20000}"
for tool in iperf3 python3 iptables-restore nft; do
  command -v "$tool" >/dev/null || { echo "service-scale: $tool is required (Debian: apt-get install $(case $tool in nft) echo nftables ;; iptables*) echo iptables ;; *) echo "$tool" ;; esac))" >&2; exit 1; }
done
max_scale=0; for s in $SCALES; do ((s > max_scale)) && max_scale=$s; done
((max_scale <= 65000)) || { echo "service-scale: at most 65000 Services (VIPs 10.96.0.0/16)" >&2; exit 1; }

# Service i (0-based) has VIP 10.96.(i/256).(i%256) port 80 → backends 10.9.2.2:8080, 10.9.2.3:8080
# (ours: 10.1.2.2, 10.1.2.3). The stream Service is 10.96.255.250:5201 → both backends :5201.
vip() { echo "10.96.$(($1 / 256)).$(($1 % 256))"; }
STREAM_VIP=10.96.255.250

# connect-latency client: sequential connects, RST on close (no TIME_WAIT pile-up), prints p50 p99 ms
# and the number of failed connections (more than 1 % stops the run).
cat >"$tmp/connect.py" <<'PY'
import socket, struct, sys, time
ip, port, n, warm = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
linger = struct.pack("ii", 1, 0)
lat, fails = [], 0
for i in range(warm + n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
    s.settimeout(2)
    t = time.perf_counter()
    try:
        s.connect((ip, port))
        d = time.perf_counter() - t
        if i >= warm:
            lat.append(d)
    except OSError:
        fails += 1
    s.close()
if fails > n // 100 or not lat:
    sys.exit(f"connect {ip}:{port}: {fails} of {warm + n} connections failed")
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
print(f"{q(0.50):.4f} {q(0.99):.4f} {fails}")
PY
# backend: accepts and closes, as fast as it can.
cat >"$tmp/accept.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(4096)
while True:
    c, _ = s.accept(); c.close()
PY

bg_pids=()
cleanup_services() {
  for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  cleanup
}
trap cleanup_services EXIT INT TERM

start_backends() { # <backend ns>
  ip netns exec "$1" python3 "$tmp/accept.py" >/dev/null 2>&1 &
  bg_pids+=($!)
  ip netns exec "$1" iperf3 -s -p 5201 >/dev/null 2>&1 &
  bg_pids+=($!)
  sleep 0.5
}
connect() { ip netns exec "$1" python3 "$tmp/connect.py" "$2" "$3" "$CONNS" "$WARMUP"; }
stream() { # <client ns> <ip> → Gbit/s
  local out
  out="$(ip netns exec "$1" iperf3 -c "$2" -p 5201 -t "$DURATION" -J)" || { echo "iperf3 to $2 failed: $out" >&2; return 1; }
  python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9))' <<<"$out"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }

# ---------------------------------------------------------------- kernel (kube-proxy) topologies
kernel_topology() { # <mode>: namespaces <mode>c, <mode>n, <mode>s
  local c n s
  c="$(ns "${1}c")"; n="$(ns "${1}n")"; s="$(ns "${1}s")"
  for x in "$c" "$n" "$s"; do ip netns add "$x"; ip -n "$x" link set lo up; done
  ip -n "$n" link add vc type veth peer name eth0 netns "$c"
  ip -n "$n" link add vs type veth peer name eth0 netns "$s"
  ip -n "$n" addr add 10.9.1.1/24 dev vc; ip -n "$n" addr add 10.9.2.1/24 dev vs
  ip -n "$n" link set vc up; ip -n "$n" link set vs up
  ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$c" addr add 10.9.1.2/24 dev eth0; ip -n "$c" link set eth0 up; ip -n "$c" route add default via 10.9.1.1
  ip -n "$s" addr add 10.9.2.2/24 dev eth0; ip -n "$s" addr add 10.9.2.3/24 dev eth0
  ip -n "$s" link set eth0 up; ip -n "$s" route add default via 10.9.2.1
  ip netns exec "$c" ping -c 1 -W 2 10.9.2.3 >/dev/null
  start_backends "$s"
}

iptables_rules() { # <count>: the nat table as kube-proxy's iptables mode writes it
  local i v
  echo "*nat"
  echo ":PREROUTING ACCEPT [0:0]"; echo ":INPUT ACCEPT [0:0]"; echo ":OUTPUT ACCEPT [0:0]"; echo ":POSTROUTING ACCEPT [0:0]"
  echo ":KUBE-SERVICES - [0:0]"
  for ((i = 0; i < $1; i++)); do echo ":KUBE-SVC-$i - [0:0]"; echo ":KUBE-SEP-${i}A - [0:0]"; echo ":KUBE-SEP-${i}B - [0:0]"; done
  echo ":KUBE-SVC-STREAM - [0:0]"; echo ":KUBE-SEP-STREAMA - [0:0]"; echo ":KUBE-SEP-STREAMB - [0:0]"
  echo "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES"
  for ((i = 0; i < $1; i++)); do
    v="$(vip "$i")"
    echo "-A KUBE-SERVICES -d $v/32 -p tcp -m comment --comment \"bench/svc-$i:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-$i"
    echo "-A KUBE-SVC-$i -m comment --comment \"bench/svc-$i:http -> 10.9.2.2:8080\" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-${i}A"
    echo "-A KUBE-SVC-$i -m comment --comment \"bench/svc-$i:http -> 10.9.2.3:8080\" -j KUBE-SEP-${i}B"
    echo "-A KUBE-SEP-${i}A -p tcp -m comment --comment \"bench/svc-$i:http\" -m tcp -j DNAT --to-destination 10.9.2.2:8080"
    echo "-A KUBE-SEP-${i}B -p tcp -m comment --comment \"bench/svc-$i:http\" -m tcp -j DNAT --to-destination 10.9.2.3:8080"
    if ((i == $1 / 2)); then # the stream Service among them, next to the probed one
      echo "-A KUBE-SERVICES -d $STREAM_VIP/32 -p tcp -m tcp --dport 5201 -j KUBE-SVC-STREAM"
    fi
  done
  echo "-A KUBE-SVC-STREAM -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-STREAMA"
  echo "-A KUBE-SVC-STREAM -j KUBE-SEP-STREAMB"
  echo "-A KUBE-SEP-STREAMA -p tcp -m tcp -j DNAT --to-destination 10.9.2.2:5201"
  echo "-A KUBE-SEP-STREAMB -p tcp -m tcp -j DNAT --to-destination 10.9.2.3:5201"
  echo "COMMIT"
}

nft_rules() { # <count>: table ip kube-proxy as kube-proxy's nftables mode writes it (the parts on this path)
  local i v
  echo "flush ruleset"
  echo "table ip kube-proxy {"
  echo "  chain endpoint-stream-a { meta l4proto tcp dnat to 10.9.2.2:5201; }"
  echo "  chain endpoint-stream-b { meta l4proto tcp dnat to 10.9.2.3:5201; }"
  echo "  chain service-stream { numgen random mod 2 vmap { 0 : goto endpoint-stream-a, 1 : goto endpoint-stream-b }; }"
  for ((i = 0; i < $1; i++)); do
    echo "  chain endpoint-$i-a { meta l4proto tcp dnat to 10.9.2.2:8080; }"
    echo "  chain endpoint-$i-b { meta l4proto tcp dnat to 10.9.2.3:8080; }"
    echo "  chain service-$i { numgen random mod 2 vmap { 0 : goto endpoint-$i-a, 1 : goto endpoint-$i-b }; }"
  done
  echo "  map service-ips { type ipv4_addr . inet_proto . inet_service : verdict; elements = {"
  echo "    $STREAM_VIP . tcp . 5201 : goto service-stream,"
  for ((i = 0; i < $1; i++)); do
    v="$(vip "$i")"
    if ((i + 1 < $1)); then echo "    $v . tcp . 80 : goto service-$i,"; else echo "    $v . tcp . 80 : goto service-$i"; fi
  done
  echo "  }; }"
  echo "  chain services { ip daddr . meta l4proto . th dport vmap @service-ips; }"
  echo "  chain nat-prerouting { type nat hook prerouting priority dstnat; policy accept; jump services; }"
  echo "}"
}

declare -A p50 p99 vipbw directbw progtime
run_kernel() { # <mode: ipt|nft>
  local mode=$1 c n scale out t0 t1 rules
  kernel_topology "$mode"
  c="$(ns "${mode}c")"; n="$(ns "${mode}n")"
  for scale in $SCALES; do
    if [[ $mode == ipt ]]; then
      iptables_rules "$scale" >"$tmp/rules"
      t0=$(now); ip netns exec "$n" iptables-restore <"$tmp/rules"; t1=$(now)
      rules=$(ip netns exec "$n" iptables -t nat -S KUBE-SERVICES | grep -c -- '-j KUBE-SVC-')
      ((rules == scale + 1)) || { echo "service-scale: KUBE-SERVICES has $rules service rules, expected $((scale + 1))" >&2; exit 1; }
    else
      nft_rules "$scale" >"$tmp/rules"
      t0=$(now); ip netns exec "$n" nft -f "$tmp/rules"; t1=$(now)
    fi
    progtime[$mode,$scale]=$(elapsed "$t0" "$t1")
    ip netns exec "$n" conntrack -F >/dev/null 2>&1 || true
    out="$(connect "$c" "$(vip $((scale / 2)))" 80)"
    read -r p50[$mode,$scale] p99[$mode,$scale] fails <<<"$out"
    vipbw[$mode,$scale]=$(stream "$c" "$STREAM_VIP")
    echo "$mode $scale services: program ${progtime[$mode,$scale]} s, connect p50 ${p50[$mode,$scale]} ms p99 ${p99[$mode,$scale]} ms ($fails of $((CONNS + WARMUP)) failed), stream via VIP ${vipbw[$mode,$scale]} Gbit/s" >&2
  done
  directbw[$mode]=$(stream "$c" 10.9.2.2)
  echo "$mode direct pod-to-pod stream ${directbw[$mode]} Gbit/s; via VIP at $max_scale Services / direct = $(div "${vipbw[$mode,$max_scale]}" "${directbw[$mode]}")" >&2
}

run_kernel ipt
run_kernel nft
objsize="$(awk '$1 == "nf_conntrack" {print $4}' /proc/slabinfo 2>/dev/null || true)"
[[ -n $objsize ]] && echo "kernel conntrack: $objsize bytes per entry (slab object) = $((objsize * 1000 / 1024)) KiB per 1 000 sessions" >&2

# ---------------------------------------------------------------- ours: contiv-vpp NAT44
ip netns add "$(ns vppc)"; ip netns add "$(ns vpps)"
ip -n "$(ns vppc)" link set lo up; ip -n "$(ns vpps)" link set lo up
# shellcheck disable=SC2086
start_vpp ${VPP_ARGS:-}
if ! out="$(vppctl show nat44 summary 2>&1)" || grep -q "unknown input" <<<"$out"; then
  echo "service-scale: contiv-vpp has no NAT44 CLI yet (\`show nat44 summary\` answered: ${out//$'\n'/ })." >&2
  echo "service-scale: the kernel baselines above are complete; our side needs the data plane's nat44 commands (issue 13)." >&2
  exit 1
fi
vppctl create tap id 0 host-if-name eth0 host-ns "$(ns vppc)" host-ip4-addr 10.1.1.2/24 host-ip4-gw 10.1.1.1 >/dev/null
vppctl create tap id 1 host-if-name eth0 host-ns "$(ns vpps)" host-ip4-addr 10.1.2.2/24 host-ip4-gw 10.1.2.1 >/dev/null
vppctl set interface ip address tap0 10.1.1.1/24; vppctl set interface ip address tap1 10.1.2.1/24
vppctl set interface state tap0 up; vppctl set interface state tap1 up
ip -n "$(ns vpps)" addr add 10.1.2.3/24 dev eth0
# The client's TAP is a frontend (outside: DNAT of new connections to a VIP), the backends' TAP
# inside (their replies get the VIP back), as the agent sets pod TAPs for this direction.
vppctl set interface nat44 in tap1 out tap0 >/dev/null
ip netns exec "$(ns vppc)" ping -c 1 -W 2 10.1.2.3 >/dev/null
start_backends "$(ns vpps)"

mapping() { # <vip> <port> <backend port>: a ClusterIP as the agent renders it (out2in-only, self-twice-NAT)
  echo "nat44 add load-balancing static mapping protocol tcp external $1:$2 local 10.1.2.2:$3 probability 1 local 10.1.2.3:$3 probability 1 self-twice-nat out2in-only"
}
mapping "$STREAM_VIP" 5201 5201 | "$VPPCTL" -s "$tmp/cli.sock" >/dev/null
installed=0; ours_prog_total=0
rss() { awk '/VmRSS/ {print $2}' "/proc/$vpp_pid/status"; }
for scale in $SCALES; do
  : >"$tmp/cli-batch"
  for ((i = installed; i < scale; i++)); do mapping "$(vip "$i")" 80 8080 >>"$tmp/cli-batch"; done
  t0=$(now); "$VPPCTL" -s "$tmp/cli.sock" <"$tmp/cli-batch" >"$tmp/cli-out" 2>&1; t1=$(now)
  if grep -qiE "unknown|error|invalid" "$tmp/cli-out"; then
    echo "service-scale: programming $((scale - installed)) mappings failed:" >&2; grep -iE "unknown|error|invalid" "$tmp/cli-out" | head -5 >&2; exit 1
  fi
  progtime[vpp,$scale]=$(elapsed "$t0" "$t1")
  ours_prog_total=$(awk -v a="$ours_prog_total" -v b="${progtime[vpp,$scale]}" 'BEGIN {print a + b}')
  installed=$scale
  n_maps="$(vppctl show nat44 summary | grep -oE '^static mappings: [0-9]+' | grep -oE '[0-9]+$' || echo '?')"
  [[ $n_maps == "?" || $n_maps -ge $((scale + 1)) ]] || { echo "service-scale: the data plane holds $n_maps mappings, expected $((scale + 1))" >&2; exit 1; }
  out="$(connect "$(ns vppc)" "$(vip $((scale / 2)))" 80)"
  read -r p50[vpp,$scale] p99[vpp,$scale] fails <<<"$out"
  vipbw[vpp,$scale]=$(stream "$(ns vppc)" "$STREAM_VIP")
  echo "contiv-vpp $scale services ($n_maps mappings shown): program +$((scale - ${prev_scale:-0})) in ${progtime[vpp,$scale]} s, connect p50 ${p50[vpp,$scale]} ms p99 ${p99[vpp,$scale]} ms ($fails of $((CONNS + WARMUP)) failed), stream via VIP ${vipbw[vpp,$scale]} Gbit/s" >&2
  prev_scale=$scale
done
directbw[vpp]=$(stream "$(ns vppc)" 10.1.2.2)
echo "contiv-vpp direct pod-to-pod stream ${directbw[vpp]} Gbit/s" >&2
# The same connects straight to a backend (no mapping, no session): what the data plane's I/O path costs
# without NAT, so the VIP figures above split into NAT's share and the path's.
out="$(connect "$(ns vppc)" 10.1.2.2 8080)"; read -r d50 d99 fails <<<"$out"
echo "contiv-vpp direct pod-to-pod connect p50 $d50 ms p99 $d99 ms ($fails failed); via VIP at $max_scale Services / direct: p50 $(div "${p50[vpp,$max_scale]}" "$d50") p99 $(div "${p99[vpp,$max_scale]}" "$d99")" >&2
echo "time to program $max_scale Services: contiv-vpp CLI ${ours_prog_total} s (cumulative batches), iptables-restore ${progtime[ipt,$max_scale]} s, nft -f ${progtime[nft,$max_scale]} s" >&2

# Data plane memory per 1 000 sessions: RSS growth over SESSIONS short connections (the session
# table is preallocated, so this shows what sessions cost beyond the start-up allocation).
before=$(rss); sessions_before="$(vppctl show nat44 summary | tr -s ' ' | grep -oiE 'total sessions:? [0-9]+' | grep -oE '[0-9]+$' || echo '?')"
ip netns exec "$(ns vppc)" python3 "$tmp/connect.py" "$(vip $((max_scale / 2)))" 80 "$SESSIONS" 0 >/dev/null
after=$(rss); sessions_after="$(vppctl show nat44 summary | tr -s ' ' | grep -oiE 'total sessions:? [0-9]+' | grep -oE '[0-9]+$' || echo '?')"
capacity="$(vppctl show nat44 summary | grep -oE 'max translations per thread: [0-9]+' | grep -oE '[0-9]+$' || echo '?')"
echo "contiv-vpp session table capacity $capacity (preallocated at start);" \
  "RSS $((before / 1024)) MB → $((after / 1024)) MB over $SESSIONS connections (sessions $sessions_before → $sessions_after):" \
  "$(awk -v a="$after" -v b="$before" -v n="$SESSIONS" 'BEGIN {printf "%.1f", (a - b) * 1000 / n}') KiB per 1 000 sessions" >&2

first=${SCALES%% *}
# Medians are far less sensitive to a loaded machine than p99: shown next to the RESULT lines.
echo "connect p50 at $max_scale Services: contiv-vpp ${p50[vpp,$max_scale]} ms, iptables ${p50[ipt,$max_scale]} ms (ratio $(div "${p50[vpp,$max_scale]}" "${p50[ipt,$max_scale]}")), nftables ${p50[nft,$max_scale]} ms (ratio $(div "${p50[vpp,$max_scale]}" "${p50[nft,$max_scale]}")); contiv-vpp p50 at $max_scale / at $first Services: $(div "${p50[vpp,$max_scale]}" "${p50[vpp,$first]}")" >&2
echo "RESULT service-connect-p99-10k ${p99[vpp,$max_scale]} ms baseline ${p99[ipt,$max_scale]} ms ratio $(div "${p99[vpp,$max_scale]}" "${p99[ipt,$max_scale]}")"
echo "RESULT service-connect-p99-10k-nft ${p99[vpp,$max_scale]} ms baseline ${p99[nft,$max_scale]} ms ratio $(div "${p99[vpp,$max_scale]}" "${p99[nft,$max_scale]}")"
echo "RESULT service-flatness ${p99[vpp,$max_scale]} ms baseline ${p99[vpp,$first]} ms ratio $(div "${p99[vpp,$max_scale]}" "${p99[vpp,$first]}")"
echo "RESULT service-stream-vip ${vipbw[vpp,$max_scale]} Gbit/s baseline ${directbw[vpp]} Gbit/s ratio $(div "${vipbw[vpp,$max_scale]}" "${directbw[vpp]}")"
