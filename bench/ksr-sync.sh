#!/usr/bin/env bash
# bench/ksr-sync.sh — time from a burst of N pod creations (through the lab Kubernetes API server)
# to the last pod key KSR writes into etcd, for N = 1000 and 5000, against a baseline measured in
# the same run: a plain etcd client writing the same N records (same JSON) directly, one put each,
# with the same parallelism. Everything runs on 127.0.0.1 (a private etcd on /dev/shm, the lab API
# server, contiv-ksr); no namespaces or packets are involved.
#
# Usage: bench/ksr-sync.sh [N ...]        (default: 1000 5000; PARALLEL=16 creators/putters;
#        CLIENT=http (default) or CLIENT=kubernetes: how the pods are created, see below; BIN=dir: run the
#        contiv-apiserver and contiv-ksr of another published tree, e.g. a "before" build)
#
# What is measured. The issue's question is what KSR's path (API server → KSR's informer → KSR's etcd writes) costs
# against a plain client writing the same records with one put per object. Both halves use the same parallelism and
# pay the same per-object client work: the direct client formats its N values before the clock starts and sends one
# etcd put each (dotnet-etcd, gRPC); the creating client (CLIENT=http) serialises its N pod bodies to JSON before the
# clock starts and POSTs them with one HttpClient (SocketsHttpHandler: a pool of PARALLEL HTTP/1.1 keep-alive
# connections; the lab API server speaks no h2c), looking only at the status code. CLIENT=kubernetes creates the pods
# with KubernetesClient instead (as until 2026-12-07: a V1Pod serialised per create and every answer deserialised
# into a V1Pod), whose own CPU (1.0–1.4 CPU-s for 5 000 pods, more than the whole direct path on a 2-core machine)
# decided that ratio; it is kept so older numbers stay comparable.
# Output: one line per N, then "RESULT ksr-sync <seconds for the largest N> s baseline <seconds> ratio <x>"
# (ratio = KSR path / direct puts; 1.0 would mean KSR adds nothing over writing etcd directly), and
# (also the CPU seconds each process used during each burst: the bench client, etcd, contiv-apiserver, contiv-ksr), and
# "RESULT ksr-resync-burst <s> s baseline <s> ratio <x>": KSR restarted with every pod in place and its pod
# prefix emptied, from process start to the last key (its own listing + write path, no API creates).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
sizes=("${@:-1000 5000}")
read -r -a sizes <<<"${sizes[*]}"
parallel="${PARALLEL:-16}"
client="${CLIENT:-http}"
case "$client" in http|kubernetes) ;; *) echo "ksr-sync: CLIENT must be http or kubernetes" >&2; exit 2 ;; esac
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Build what is missing (the bench helper always; the executables when not yet published).
dotnet build bench/KsrSync -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
helper="$root/bench/KsrSync/bin/Release/net10.0/ksr-sync-bench"
bin="${BIN:-$root/artifacts/bin}"  # BIN=…: another published tree (e.g. a "before" build)
for exe in contiv-ksr contiv-apiserver; do
  proj=$([ "$exe" = contiv-ksr ] && echo src/Contiv.Ksr || echo src/Contiv.ApiServer)
  [ -x "$bin/$exe" ] || dotnet publish "$proj" -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
work="$(mktemp -d /dev/shm/ksr-sync-bench.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port); ksr_port=$(free_port)
etcd_url="http://127.0.0.1:$etcd_port"
/usr/bin/etcd --name bench --data-dir "$work/etcd" \
  --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
  --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-cluster "bench=http://127.0.0.1:$peer_port" --log-level warn >"$work/etcd.log" 2>&1 &
pids+=($!)
"$bin/contiv-apiserver" --listen "127.0.0.1:$api_port" --no-graceful-pod-deletion --log-level Warning >"$work/apiserver.log" 2>&1 &
pids+=($!)

wait_http() { # url what
  for _ in $(seq 1 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "ksr-sync: $2 did not come up ($1)" >&2; tail -20 "$work"/*.log >&2; exit 1
}
wait_http "$etcd_url/health" etcd
wait_http "http://127.0.0.1:$api_port/version" contiv-apiserver
"$bin/contiv-ksr" --master "http://127.0.0.1:$api_port" --etcd "$etcd_url" --election false \
  --http-address "127.0.0.1:$ksr_port" --log-level Warning >"$work/ksr.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$ksr_port/readiness" contiv-ksr

value() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p"; }
# CPU seconds (user+system) a process has used so far, from /proc (clock ticks of 1/100 s).
cpu_of() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat"; }
cpu_diff() { python3 -c "print(f'{$2-$1:.2f}')"; }
# Warm-up (JIT, connections, etcd's first compaction of small writes): not counted.
"$helper" direct --etcd "$etcd_url" -n 200 -p "$parallel" --prefix "/bench-direct/pod/" --name-prefix "warm-" >/dev/null
"$helper" ksr --etcd "$etcd_url" --api "http://127.0.0.1:$api_port" -n 200 -p "$parallel" --name-prefix "warm-" --client "$client" >/dev/null
last_ksr=""; last_direct=""
for n in "${sizes[@]}"; do
  e0=$(cpu_of "${pids[0]}")
  direct=$("$helper" direct --etcd "$etcd_url" -n "$n" -p "$parallel" --prefix "/bench-direct/pod/" --name-prefix "b$n-")
  e1=$(cpu_of "${pids[0]}"); a1=$(cpu_of "${pids[1]}"); s1=$(cpu_of "${pids[2]}")
  ksr=$("$helper" ksr --etcd "$etcd_url" --api "http://127.0.0.1:$api_port" -n "$n" -p "$parallel" --name-prefix "b$n-" --client "$client")
  e2=$(cpu_of "${pids[0]}"); a2=$(cpu_of "${pids[1]}"); s2=$(cpu_of "${pids[2]}")
  d=$(echo "$direct" | value seconds); k=$(echo "$ksr" | value seconds); c=$(echo "$ksr" | value created)
  ratio=$(python3 -c "print(f'{$k/$d:.2f}')")
  echo "ksr-sync n=$n (CLIENT=$client): KSR path ${k} s (API creates done at ${c} s), direct etcd puts ${d} s, ratio ${ratio}"
  echo "ksr-sync n=$n CPU s: direct: client $(echo "$direct" | value client_cpu) etcd $(cpu_diff "$e0" "$e1");" \
    "KSR path: client $(echo "$ksr" | value client_cpu) apiserver $(cpu_diff "$a1" "$a2") contiv-ksr $(cpu_diff "$s1" "$s2") etcd $(cpu_diff "$e1" "$e2")"
  last_ksr=$k; last_direct=$d
done
stats=$(curl -fs "http://127.0.0.1:$ksr_port/stats" | grep -E '^(adds|addErrors)\{reflectorType="Pod"\}' | tr '\n' ' ')
echo "contiv-ksr /stats: $stats"

# KSR's own write path, without the API server's create rate in the way: every pod exists, KSR restarts
# with its pod prefix emptied and writes them all in its startup resync. Timed from the process start
# (runtime start, informer listing, resync, writes) to the last pod key, against the direct puts of the
# largest N above (which wrote fewer records: the warm-up and smaller runs' pods are in this burst too).
pods=$(ETCDCTL_API=3 etcdctl --endpoints "$etcd_url" get --prefix --keys-only --limit 1 -w json /vnf-agent/contiv-ksr/k8s/pod/ | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
ETCDCTL_API=3 etcdctl --endpoints "$etcd_url" del --prefix /vnf-agent/contiv-ksr/k8s/pod/ >/dev/null
t0=$(date +%s%N)
"$bin/contiv-ksr" --master "http://127.0.0.1:$api_port" --etcd "$etcd_url" --election false \
  --http-address "127.0.0.1:$ksr_port" --log-level Warning >>"$work/ksr.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 6000); do
  got=$(ETCDCTL_API=3 etcdctl --endpoints "$etcd_url" get --prefix --keys-only --limit 1 -w json /vnf-agent/contiv-ksr/k8s/pod/ | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
  [ "${got:-0}" -ge "$pods" ] && break
  sleep 0.05
done
burst=$(python3 -c "print(f'{($(date +%s%N) - $t0) / 1e9:.3f}')")
[ "${got:-0}" -ge "$pods" ] || { echo "ksr-sync: KSR wrote only ${got:-0} of $pods pod keys after its restart" >&2; exit 1; }
echo "ksr-sync resync burst: KSR restarted with an empty pod prefix wrote $pods pod keys in ${burst} s (from process start)"

ratio=$(python3 -c "print(f'{$last_ksr/$last_direct:.2f}')")
echo "RESULT ksr-sync ${last_ksr} s baseline ${last_direct} ratio ${ratio}"
echo "RESULT ksr-resync-burst ${burst} s baseline ${last_direct} ratio $(python3 -c "print(f'{$burst/$last_direct:.2f}')")"
