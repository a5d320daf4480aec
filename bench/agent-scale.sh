#!/usr/bin/env bash
# The agent at scale: one node (contiv-vpp + contiv-agent + a private etcd) holding LOCAL pods (default 250,
# added through the published contiv-cni) while etcd holds REMOTE cluster pods (default 5 000) as KSR writes
# them. Measures the latency of one pod ADD at that size against the same node with no other pods (same run),
# the agent's full startup resync (restart with everything in place) and the daemons' RSS.
# Usage: bench/agent-scale.sh [local pods] [cluster pods] [ADD cycles per phase]   (default 250 5000 20;
#        needs root and scripts/build.sh; PERF_OUT=file records the agent with perf during the ADDs at scale)
# Ends with: RESULT agent-add-at-scale <ms> ms baseline <ms> ms ratio <x>   (median ADD; lower is better)
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
locals="${1:-250}"
remotes="${2:-5000}"
cycles="${3:-20}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BIN:-$root/artifacts/bin}"  # BIN=…: another published tree (e.g. a "before" build)
[[ $EUID -eq 0 ]] || { echo "agent-scale.sh needs root (network namespaces)" >&2; exit 1; }
for f in "$bin/contiv-cni" "$bin/contiv-agent" "$bin/contiv-vpp" /usr/bin/etcd; do
  [[ -x $f ]] || { echo "agent-scale.sh: $f missing (run scripts/build.sh; apt-get install etcd-server)" >&2; exit 1; }
done

# ct<4 hex>-<name>: the test fixtures' naming, so NetnsScope.SweepStale() removes leftovers.
tag="$(printf '%04x' $((RANDOM % 0xefff + 0x1000)))"
node="ct${tag}-node"
total=$((2 * cycles + locals))  # pod namespaces: baseline cycles, local pods, cycles at scale
work="$(mktemp -d /tmp/agent-scale-bench.XXXXXX)"
pids=()
agent_pid=""
cleanup() {
  [[ -n $agent_pid ]] && { kill "$agent_pid" 2>/dev/null || true; wait "$agent_pid" 2>/dev/null || true; }
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do wait "${pids[$i]}" 2>/dev/null || true; done
  for ((i = 0; i < total; i++)); do ip netns del "ct${tag}-p$i" 2>/dev/null || true; done
  ip netns del "$node" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # what, seconds, command...
  local what="$1" limit="$2"; shift 2
  for ((t = 0; t < limit * 10; t++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "agent-scale.sh: $what not ready after ${limit}s" >&2
  tail -n 30 "$work"/*.log >&2 || true
  exit 1
}
# Waits until the agent's event loop has been idle for 3 s (its last event's number stops changing); prints ms waited.
settle() {
  local t0 last="" same=0 seq
  t0=$(now_ms)
  while ((same < 3)); do
    sleep 1
    seq=$(curl -fsS "http://127.0.0.1:$rport/controller/event-history?last=1" | sed -n 's/.*"seqNum":\([0-9]*\).*/\1/p' | tail -1)
    if [[ -n $seq && $seq == "$last" ]]; then same=$((same + 1)); else same=0; last=$seq; fi
  done
  echo $(( $(now_ms) - t0 - 3000 ))
}
rss_mb() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
now_ms() { date +%s%3N; }

ip netns add "$node"; ip -n "$node" link set lo up
for ((i = 0; i < total; i++)); do ip netns add "ct${tag}-p$i"; done

cport="$(free_port)"; pport="$(free_port)"; rport="$(free_port)"
etcd_url="http://127.0.0.1:$cport"
/usr/bin/etcd --name bench --data-dir "$work/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
  --initial-cluster "bench=http://127.0.0.1:$pport" --log-level warn >"$work/etcd.log" 2>&1 &
pids+=($!)
wait_for etcd 20 curl -fsS "$etcd_url/health"

cat >"$work/contiv.conf" <<CONF
ipamConfig:
  podSubnetCIDR: 10.1.0.0/16
  podSubnetOneNodePrefixLen: 24
CONF
"$bin/contiv-vpp" --api-socket "$work/vpp-api.sock" --cli-socket "$work/vpp-cli.sock" --netns "$node" --workers 1 \
  >"$work/vpp.log" 2>&1 &
pids+=($!)
vpp_pid=$!
wait_for contiv-vpp 30 test -S "$work/vpp-api.sock"

start_agent() {
  "$bin/contiv-agent" --config "$work/contiv.conf" --node-name bench1 --etcd "127.0.0.1:$cport" --netns "$node" \
    --vpp-api-socket "$work/vpp-api.sock" --cni-socket "$work/cni.sock" --rest-port "$rport" --rest-address 127.0.0.1 \
    --state-dir "$work/agent-state" >>"$work/agent.log" 2>&1 &
  agent_pid=$!
}
resynced() { curl -fsS "http://127.0.0.1:$rport/readiness" | grep -q '"startupResyncDone":true'; }
start_agent
wait_for contiv-agent 120 resynced

cat >"$work/contiv.json" <<JSON
{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"contiv-cni","grpcServer":"$work/cni.sock","logFile":"$work/cni.log","dataDir":"$work/cni-state"}
JSON
last_event() { curl -fsS "http://127.0.0.1:$rport/controller/event-history?last=1" | sed -n 's/.*"seqNum":\([0-9]*\).*/\1/p' | tail -1; }
agent_add_ms() { # first event number -> median time the agent's event loop spent on each "Add Pod" since then,
  # and the median of those events' scheduler transactions (the rest is the handlers' own work)
  curl -fsS "http://127.0.0.1:$rport/scheduler/txn-history" >"$work/txn-add.json" 2>/dev/null || echo '[]' >"$work/txn-add.json"
  curl -fsS "http://127.0.0.1:$rport/controller/event-history?from=$1" | python3 -c '
import json, statistics, sys
from datetime import datetime
s = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
txns = {t["seqNum"]: (s(t["end"]) - s(t["start"])) * 1000 for t in json.load(open(sys.argv[1])) if t.get("end")}
ev = [e for e in json.load(sys.stdin) if e["name"] == "Add Pod" and e.get("processingEnd")]
v = [(s(e["processingEnd"]) - s(e["processingStart"])) * 1000 for e in ev]
t = [txns[e["txnSeqNum"]] for e in ev if e.get("txnSeqNum") in txns]
print((f"{statistics.median(v):.1f}" if v else "n/a") + (f", its scheduler transaction {statistics.median(t):.1f}" if t else ""))' "$work/txn-add.json"
}
cycles_median() { # label first -> median ADD ms of $cycles sequential ADD+DEL cycles
  python3 "$root/bench/cni_cycles.py" --plugin "$bin/contiv-cni" --conf "$work/contiv.json" --node-netns "$node" \
    --netns-prefix "ct${tag}-p" --container-prefix "${1}${tag}" --first "$2" --count "$cycles" --parallel 1 >"$work/$1.json"
  python3 - "$work/$1.json" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
if d["failures"]:
    sys.exit(f"agent-scale.sh: {d['failures']} failed cycles, first: {d['first_error']}")
print(f"{statistics.median(d['add_ms']):.1f} {max(d['add_ms']):.1f}")
PY
}

echo "agent-scale: $locals local pods, $remotes cluster pods, $cycles ADD+DEL cycles per phase; node namespace $node; load $(cut -d' ' -f1-3 /proc/loadavg)"
ev0=$(last_event)
read -r base_ms base_max <<<"$(cycles_median base 0)"
echo "no other pods:   ADD median ${base_ms} ms (max ${base_max} ms; agent's Add Pod event $(agent_add_ms $((ev0 + 1))) ms); RSS contiv-vpp $(rss_mb "$vpp_pid") MB, contiv-agent $(rss_mb "$agent_pid") MB"

# The cluster's pods, as KSR writes them (protobuf JSON under the pod prefix), on 20 other nodes; 128 puts per
# etcd transaction through the JSON gateway.
t0=$(now_ms)
python3 - "$etcd_url" "$remotes" <<'PY'
import base64, json, sys, urllib.request
url, n = sys.argv[1], int(sys.argv[2])
b64 = lambda s: base64.b64encode(s.encode()).decode()
ops = []
def flush():
    global ops
    if ops:
        req = urllib.request.Request(url + "/v3/kv/txn", data=json.dumps({"success": ops}).encode(), method="POST")
        urllib.request.urlopen(req).read()
        ops = []
for i in range(n):
    node, idx = i % 20 + 2, i // 20
    name, ns = f"remote-{i:05d}", f"team-{i % 50}"
    pod = {"name": name, "namespace": ns, "labels": {"app": f"app-{i % 100}", "tier": "web" if i % 2 else "db"},
           "label": [{"key": "app", "value": f"app-{i % 100}"}, {"key": "tier", "value": "web" if i % 2 else "db"}],
           "ip_address": f"10.1.{node}.{idx % 250 + 2}", "host_ip_address": f"192.168.16.{node}"}
    ops.append({"requestPut": {"key": b64(f"/vnf-agent/contiv-ksr/k8s/pod/{name}/namespace/{ns}"), "value": b64(json.dumps(pod))}})
    if len(ops) == 128:
        flush()
flush()
PY
written_ms=$(( $(now_ms) - t0 ))
settled_ms=$(settle)
echo "cluster pods written to etcd in ${written_ms} ms; the agent had processed them ${settled_ms} ms later (±1 s)"

# The node's own pods, 10 ADDs in flight (ADD only: they stay).
t0=$(now_ms)
python3 - "$bin/contiv-cni" "$work/contiv.json" "$node" "ct${tag}-p" "$cycles" "$locals" "l${tag}" <<'PY'
import os, subprocess, sys
from concurrent.futures import ThreadPoolExecutor
plugin, conf_file, node, prefix, first, count, cprefix = sys.argv[1:8]
conf = open(conf_file).read().encode()
def add(i):
    cid = f"{cprefix}{i:04d}"
    env = {"PATH": os.environ["PATH"], "CNI_COMMAND": "ADD", "CNI_CONTAINERID": cid, "CNI_NETNS": f"/run/netns/{prefix}{i}",
           "CNI_IFNAME": "eth0", "CNI_PATH": "/usr/lib/cni",
           "CNI_ARGS": f"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={cid};K8S_POD_INFRA_CONTAINER_ID={cid}"}
    p = subprocess.run(["nsenter", f"--net=/run/netns/{node}", plugin], input=conf, env=env, capture_output=True, timeout=300)
    return None if p.returncode == 0 else f"ADD {cid}: exit {p.returncode}: {p.stdout.decode()[:300]}"
with ThreadPoolExecutor(max_workers=10) as pool:
    errors = [e for e in pool.map(add, range(int(first), int(first) + int(count))) if e]
if errors:
    sys.exit(f"agent-scale.sh: {len(errors)} local pod ADDs failed, first: {errors[0]}")
PY
echo "$locals local pods added (10 in flight) in $(( $(now_ms) - t0 )) ms"
settle >/dev/null

ev0=$(last_event)
perf_pid=""
if [[ -n "${PERF_OUT:-}" ]]; then  # PERF_OUT=file: perf record -g of the agent during the ADD cycles at scale
  perf record -q -g -F 1999 -p "$agent_pid" -o "$PERF_OUT" >/dev/null 2>&1 &
  perf_pid=$!
  sleep 0.5
fi
read -r scale_ms scale_max <<<"$(cycles_median scale $((cycles + locals)))"
if [[ -n "$perf_pid" ]]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
echo "at scale:        ADD median ${scale_ms} ms (max ${scale_max} ms; agent's Add Pod event $(agent_add_ms $((ev0 + 1))) ms); RSS contiv-vpp $(rss_mb "$vpp_pid") MB, contiv-agent $(rss_mb "$agent_pid") MB"

# Startup resync at scale: restart the agent with everything in place (its state dir, the data plane's
# pods, etcd's keys) and time it until /readiness reports the startup resync done.
kill "$agent_pid"; wait "$agent_pid" 2>/dev/null || true
t0=$(now_ms)
start_agent
wait_for "contiv-agent (restart)" 300 resynced
resync_ms=$(( $(now_ms) - t0 ))
curl -fsS "http://127.0.0.1:$rport/scheduler/txn-history" >"$work/txn.json" 2>/dev/null || echo '[]' >"$work/txn.json"
txn=$(python3 - "$work/txn.json" <<'PY'
import json, sys
from datetime import datetime
s = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
t = [x for x in json.load(open(sys.argv[1])) if x["kind"] == "FullResync"]
print(f"{(s(t[0]['end']) - s(t[0]['start'])) * 1000:.0f} ms, {len(t[0]['operations'])} operations" if t else "n/a")
PY
)
echo "startup resync at scale: ready after ${resync_ms} ms (scheduler's full resync transaction ${txn}); RSS contiv-agent $(rss_mb "$agent_pid") MB"
python3 -c "print(f'RESULT agent-add-at-scale $scale_ms ms baseline $base_ms ms ratio {$scale_ms / $base_ms:.2f}')"
