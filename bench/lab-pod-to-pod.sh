#!/usr/bin/env bash
# TCP throughput between two pods (iperf3, one stream) in the lab: through the product
# (contiv-lab --network contiv: contiv-cni + contiv-agent + contiv-vpp) versus the Linux kernel
# doing the same job in the same topology (--network bridge: CNI bridge plugin + kernel routing),
# measured in the same run.
#   bench/lab-pod-to-pod.sh              both pods on node1 (TAP ↔ data plane ↔ TAP)
#   CROSS=1 bench/lab-pod-to-pod.sh      server pod on node2 (VXLAN overlay vs kernel routing)
#   SECS=10 …                            seconds per measurement (default 5)
# Needs root and a build (scripts/build.sh). Ends with one RESULT line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lab="$root/artifacts/bin/contiv-lab"
secs="${SECS:-5}"
cross="${CROSS:-0}"
server_node=node1; nodes=1; name=lab-pod-to-pod-same-node
if [[ $cross == 1 ]]; then server_node=node2; nodes=2; name=lab-pod-to-pod-cross-node; fi

cleanup() { "$lab" down --instance benchc >/dev/null 2>&1 || true; "$lab" down --instance benchb >/dev/null 2>&1 || true; }
trap cleanup EXIT

measure() { # instance network → Gbit/s on stdout
  local inst=$1 net=$2 manifest
  "$lab" down --instance "$inst" >/dev/null
  "$lab" up --instance "$inst" --network "$net" --nodes "$nodes" >/dev/null
  manifest="$(mktemp)"
  cat >"$manifest" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: iperf-server, namespace: default}
spec:
  nodeName: $server_node
  containers:
    - {name: iperf3, image: none, command: ["iperf3", "-s"], ports: [{containerPort: 5201}]}
---
apiVersion: v1
kind: Pod
metadata: {name: iperf-client, namespace: default}
spec:
  nodeName: node1
  containers:
    - {name: sleep, image: none, command: ["sleep", "infinity"]}
YAML
  "$lab" apply --instance "$inst" -f "$manifest" --wait >/dev/null
  rm -f "$manifest"
  local ip ns
  ip="$(KUBECONFIG=/run/contiv-lab/$inst/kubeconfig kubectl get pod iperf-server -o jsonpath='{.status.podIP}')"
  ns="$(ip netns list | awk '{print $1}' | grep "^cl${inst}-pod-iperf-client-" | head -1)"
  # Wait until the path carries TCP (the first packets resolve ARP).
  for _ in $(seq 1 20); do ip netns exec "$ns" iperf3 -c "$ip" -t 1 >/dev/null 2>&1 && break; sleep 1; done
  ip netns exec "$ns" iperf3 -c "$ip" -t "$secs" -J \
    | python3 -c 'import json,sys; print("%.3f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'
  "$lab" down --instance "$inst" >/dev/null
}

kernel="$(measure benchb bridge)"
echo "kernel (bridge + routing): $kernel Gbit/s" >&2
contiv="$(measure benchc contiv)"
echo "contiv-vpp: $contiv Gbit/s" >&2
ratio="$(python3 -c "print('%.3f' % ($contiv / $kernel))")"
echo "RESULT $name $contiv Gbit/s baseline $kernel ratio $ratio"
