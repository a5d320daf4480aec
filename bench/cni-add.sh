#!/usr/bin/env bash
# CNI ADD latency as kubelet sees it: 100 sequential and 100 10-way parallel ADD+DEL cycles through
# the published contiv-cni against a real contiv-agent + contiv-vpp (+ etcd) node, and the same
# cycles through Debian's bridge + host-local plugins in the same run (the kernel-bridge baseline).
# Every plugin is started by nsenter into the node's namespace, exactly like a runtime on that node.
# Usage: bench/cni-add.sh [cycles] [parallelism]   (default 100 10; needs root and scripts/build.sh)
# Ends with: RESULT cni-add-p99 <ms> ms baseline <ms> ratio <contiv/baseline>   (lower is better)
set -euo pipefail
if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
cycles="${1:-100}"
parallel="${2:-10}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/artifacts/bin"
[[ $EUID -eq 0 ]] || { echo "cni-add.sh needs root (network namespaces)" >&2; exit 1; }
for f in "$bin/contiv-cni" "$bin/contiv-agent" "$bin/contiv-vpp" /usr/lib/cni/bridge /usr/lib/cni/host-local /usr/bin/etcd; do
  [[ -x $f ]] || { echo "cni-add.sh: $f missing (run scripts/build.sh; apt-get install containernetworking-plugins etcd-server)" >&2; exit 1; }
done

# ct<4 hex>-<name>: the test fixtures' naming, so NetnsScope.SweepStale() removes leftovers.
tag="$(printf '%04x' $((RANDOM % 0xefff + 0x1000)))"
node="ct${tag}-node"       # contiv node: contiv-vpp + agent configure it
bnode="ct${tag}-bnode"     # baseline node: the bridge plugin creates its bridge here
total=$((2 * cycles))
work="$(mktemp -d /tmp/cni-add-bench.XXXXXX)"
pids=()
cleanup() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[$i]}" 2>/dev/null || true; done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do wait "${pids[$i]}" 2>/dev/null || true; done
  for ((i = 0; i < total; i++)); do ip netns del "ct${tag}-p$i" 2>/dev/null || true; done
  ip netns del "$node" 2>/dev/null || true
  ip netns del "$bnode" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # what, seconds, command...
  local what="$1" limit="$2"; shift 2
  for ((t = 0; t < limit * 10; t++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "cni-add.sh: $what not ready after ${limit}s" >&2
  tail -n 30 "$work"/*.log >&2 || true
  exit 1
}

# --- the contiv node: etcd, contiv-vpp, contiv-agent -------------------------------------------
ip netns add "$node"; ip -n "$node" link set lo up
ip netns add "$bnode"; ip -n "$bnode" link set lo up
for ((i = 0; i < total; i++)); do ip netns add "ct${tag}-p$i"; done

cport="$(free_port)"; pport="$(free_port)"; rport="$(free_port)"
/usr/bin/etcd --name bench --data-dir "$work/etcd" \
  --listen-client-urls "http://127.0.0.1:$cport" --advertise-client-urls "http://127.0.0.1:$cport" \
  --listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport" \
  --initial-cluster "bench=http://127.0.0.1:$pport" >"$work/etcd.log" 2>&1 &
pids+=($!)
wait_for etcd 20 curl -fsS "http://127.0.0.1:$cport/health"

cat >"$work/contiv.conf" <<CONF
ipamConfig:
  podSubnetCIDR: 10.1.0.0/16
  podSubnetOneNodePrefixLen: 24
CONF
"$bin/contiv-vpp" --api-socket "$work/vpp-api.sock" --cli-socket "$work/vpp-cli.sock" --netns "$node" --workers 1 \
  >"$work/vpp.log" 2>&1 &
pids+=($!)
wait_for contiv-vpp 30 test -S "$work/vpp-api.sock"
"$bin/contiv-agent" --config "$work/contiv.conf" --node-name bench1 --etcd "127.0.0.1:$cport" --netns "$node" \
  --vpp-api-socket "$work/vpp-api.sock" --cni-socket "$work/cni.sock" --rest-port "$rport" --rest-address 127.0.0.1 \
  --state-dir "$work/agent-state" >"$work/agent.log" 2>&1 &
pids+=($!)
wait_for contiv-agent 60 curl -fsS "http://127.0.0.1:$rport/readiness"

cat >"$work/contiv.json" <<JSON
{"cniVersion":"1.0.0","name":"k8s-pod-network","type":"contiv-cni","grpcServer":"$work/cni.sock","logFile":"$work/cni.log","dataDir":"$work/cni-state"}
JSON
cat >"$work/bridge.json" <<JSON
{"cniVersion":"1.0.0","name":"bench-bridge","type":"bridge","bridge":"cnibr0","isGateway":true,
 "ipam":{"type":"host-local","subnet":"10.250.0.0/16","dataDir":"$work/host-local"}}
JSON

run() { # label plugin conf node-netns first parallel
  python3 "$root/bench/cni_cycles.py" --plugin "$2" --conf "$3" --node-netns "$4" --netns-prefix "ct${tag}-p" \
    --container-prefix "${1}${tag}" --first "$5" --count "$cycles" --parallel "$6" >"$work/$1.json"
}
# CPU (ms) a daemon has used so far: utime + stime of all its threads.
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) * 1000 / hz }' "/proc/$1/stat"; }
daemon_cpu() { # label: CPU of etcd, contiv-vpp and contiv-agent per cycle since the last call
  local now=() i
  for i in 0 1 2; do now+=("$(cpu_ms "${pids[$i]}")"); done
  if [[ -n "${1:-}" ]]; then
    awk -v l="$1" -v c="$cycles" -v e="$((${now[0]%.*} - ${last[0]%.*}))" -v v="$((${now[1]%.*} - ${last[1]%.*}))" \
      -v a="$((${now[2]%.*} - ${last[2]%.*}))" \
      'BEGIN { printf "%s daemon CPU per ADD+DEL cycle: etcd %.1f ms, contiv-vpp %.1f ms, contiv-agent %.1f ms\n", l, e / c, v / c, a / c }' \
      >>"$work/daemon-cpu.txt"
  fi
  last=("${now[@]}")
}
echo "cni-add: $cycles sequential + $cycles ${parallel}-way parallel ADD+DEL cycles each; node namespaces $node / $bnode"
run bseq /usr/lib/cni/bridge "$work/bridge.json" "$bnode" 0 1
daemon_cpu
run cseq "$bin/contiv-cni" "$work/contiv.json" "$node" 0 1
daemon_cpu "contiv-cni  sequential:"
run bpar /usr/lib/cni/bridge "$work/bridge.json" "$bnode" "$cycles" "$parallel"
daemon_cpu
run cpar "$bin/contiv-cni" "$work/contiv.json" "$node" "$cycles" "$parallel"
daemon_cpu "contiv-cni  ${parallel}-parallel:"
cat "$work/daemon-cpu.txt"

# The agent's own account of each pod transaction: per scheduler operation kind and whole transaction.
curl -fsS "http://127.0.0.1:$rport/scheduler/txn-history" >"$work/txn.json" 2>/dev/null || echo '[]' >"$work/txn.json"
curl -fsS "http://127.0.0.1:$rport/controller/event-history" >"$work/events.json" 2>/dev/null || echo '[]' >"$work/events.json"

python3 - "$work" "$cycles" "$parallel" <<'PY'
import json, sys
from datetime import datetime
work, cycles, par = sys.argv[1], sys.argv[2], sys.argv[3]
def load(n):
    with open(f"{work}/{n}.json") as f:
        return json.load(f)
def pct(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]
rows = []
fail = 0
for label, name in (("contiv-cni  sequential", "cseq"), ("bridge      sequential", "bseq"),
                    (f"contiv-cni  {par}-parallel", "cpar"), (f"bridge      {par}-parallel", "bpar")):
    d = load(name)
    fail += d["failures"]
    if d["failures"]:
        print(f"{label}: {d['failures']} failed cycles, first: {d['first_error']}", file=sys.stderr)
    rows.append((label, d))
    print(f"{label}: ADD p50 {pct(d['add_ms'],50):7.1f} ms  p99 {pct(d['add_ms'],99):7.1f} ms   "
          f"DEL p50 {pct(d['del_ms'],50):7.1f} ms  p99 {pct(d['del_ms'],99):7.1f} ms   ({len(d['add_ms'])} ok, "
          f"plugin CPU {d.get('plugin_cpu_ms_per_cycle', float('nan')):.1f} ms/cycle)")
# Where contiv-cni's ADD time goes: its own log says how long the whole invocation (after process
# start) and the agent's Add call took; the rest of the external time is process start and exit.
import re
inside, agent = [], []
with open(f"{work}/cni.log") as f:
    for line in f:
        m = re.search(r" ADD \S+ eth0: ok in (\d+) ms", line)
        if m:
            inside.append(float(m.group(1)))
        m = re.search(r"agent Add answered in ([\d.]+) ms", line)
        if m:
            agent.append(float(m.group(1)))
n = int(cycles)
for phase, a, i, ext in (("sequential", agent[:n], inside[:n], load("cseq")["add_ms"]),
                         (f"{par}-parallel", agent[n:], inside[n:], load("cpar")["add_ms"])):
    print(f"contiv-cni ADD breakdown {phase} (median): agent Add call {pct(a,50):.1f} ms, whole invocation after start "
          f"{pct(i,50):.1f} ms, external (incl. process start) {pct(ext,50):.1f} ms")
# Agent side, from the scheduler's transaction history: time of each pod transaction and of its operations.
with open(f"{work}/txn.json") as f:
    txns = json.load(f)
def seconds(t):
    return datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
ops, adds, dels = {}, [], []
for t in txns:
    if not t["operations"] or t["kind"] != "Update":
        continue
    dur = (seconds(t["end"]) - seconds(t["start"])) * 1000.0
    creating = any(o["operation"] == "Create" for o in t["operations"])
    (adds if creating else dels).append(dur)
    for o in t["operations"]:
        kind = o["key"].split("/")[0] + "/" + o["key"].split("/")[1]
        ops.setdefault((o["operation"], kind), []).append(o["durationMs"])
with open(f"{work}/events.json") as f:
    events = json.load(f)
ev = {}
for e in events:
    if e.get("name") in ("Add Pod", "Delete Pod") and e.get("processingEnd"):
        ev.setdefault(e["name"], []).append((seconds(e["processingEnd"]) - seconds(e["processingStart"])) * 1000.0)
if ev:
    print("agent events (median): " + ", ".join(f"{k} {pct(v,50):.1f} ms (p99 {pct(v,99):.1f})" for k, v in sorted(ev.items())))
if adds:
    print(f"agent pod transactions (median): add {pct(adds,50):.1f} ms (p99 {pct(adds,99):.1f}), delete {pct(dels,50):.1f} ms (p99 {pct(dels,99):.1f}); per operation:")
    for (op, kind), v in sorted(ops.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {op:6} {kind:18} n={len(v):4}  median {pct(v,50):6.2f} ms  p99 {pct(v,99):6.2f} ms")
ours = load("cseq")["add_ms"] + load("cpar")["add_ms"]
base = load("bseq")["add_ms"] + load("bpar")["add_ms"]
o, b = pct(ours, 99), pct(base, 99)
print(f"RESULT cni-add-p99 {o:.1f} ms baseline {b:.1f} ms ratio {o / b:.2f}")
sys.exit(1 if fail else 0)
PY
