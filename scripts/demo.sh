#!/usr/bin/env bash
# The README's main job: a two-node Contiv cluster on this machine, with workloads and a
# connectivity check, left running for you to explore.
#   scripts/demo.sh        build if needed, start the lab, run pods, print the connectivity matrix
#   scripts/demo.sh down   remove the lab (every namespace, process and file it created)
#   scripts/demo.sh --no-build   use artifacts/bin as it is
# Needs root (network namespaces) and the .NET 10 SDK; installs etcd, python3, iproute2 … with apt-get
# when missing (scripts/lib/prereqs.sh). kubectl is optional.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="$root/artifacts/bin"
lab="$bin/contiv-lab"

if [[ $(id -u) -ne 0 ]]; then
  echo "scripts/demo.sh needs root: the lab creates network namespaces and TAP devices" >&2
  exit 1
fi

build=auto
case "${1:-}" in
  down)
    if [[ -x $lab ]]; then exec "$lab" down; fi
    echo "contiv-lab is not built; nothing to tear down" >&2
    exit 0 ;;
  --no-build) build=no ;;
  "") ;;
  *) echo "usage: scripts/demo.sh [down|--no-build]" >&2; exit 2 ;;
esac

source "$root/scripts/lib/prereqs.sh"
install_missing "${LAB_PREREQS[@]}" npm=npm
command -v dotnet >/dev/null 2>&1 || { echo "the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
command -v kubectl >/dev/null 2>&1 || echo "note: kubectl is not installed; the lab works without it (contiv-lab status/apply/check), the kubectl examples below need it"

# 1. Build when an executable is missing or a source file is newer than the last build.
need_build=0
for exe in contiv-lab contiv-apiserver contiv-ksr contiv-vpp contiv-vppctl contiv-agent contiv-cni contiv-ui; do
  [[ -x $bin/$exe ]] || need_build=1
done
if [[ $build == no ]]; then
  ((need_build == 0)) || { echo "artifacts/bin is incomplete; run without --no-build" >&2; exit 1; }
elif [[ $need_build -eq 0 ]] && [[ -n "$(find src -newer "$lab" \( -name '*.cs' -o -name '*.csproj' -o -name '*.proto' \) -print -quit)" ]]; then
  need_build=1
fi
if [[ $build != no && $need_build -eq 1 ]]; then
  echo "building (scripts/build.sh)…"
  "$root/scripts/build.sh"
fi

start=$SECONDS
# 2. The lab: control plane on 127.0.0.1, two node namespaces with contiv-vpp, contiv-agent,
#    contiv-cni and a kubelet stand-in each.
if "$lab" status >/dev/null 2>&1; then
  echo "a lab is already running; replacing it"
  "$lab" down >/dev/null
fi
"$lab" up --nodes 2 | grep -v '^  \|^Use it:\|^$' || { echo "contiv-lab up failed" >&2; exit 1; }

# 3. Workloads: small servers and clients on both nodes, a ClusterIP and a NodePort Service over the servers,
#    and a small app isolated by NetworkPolicies.
echo
"$lab" apply -f examples/demo.yaml --wait --timeout 90
# Deployments, a Service and a DaemonSet: the controller-manager creates their pods.
# --wait: until the Deployments and the DaemonSet have rolled out (every replica Ready); the check below
# reports whatever did not.
"$lab" apply -f examples/workloads.yaml --wait --timeout 90 || echo "some workloads are not ready yet (contiv-lab status shows them)"
# NetworkPolicies (docs/policies.md): a shop in two namespaces; check shows the pairs they block.
"$lab" apply -f examples/policies.yaml --wait --timeout 90

# 4. The connectivity matrix, then the service matrix (paths and NAT44 mappings can take a moment to
#    converge after the pods start).
echo
for attempt in 1 2 3 4 5; do
  if "$lab" check >/tmp/contiv-lab-check.$$ 2>&1; then ok=1; else ok=0; fi
  [[ $ok -eq 1 || $attempt -eq 5 ]] && break
  sleep 3
done
cat /tmp/contiv-lab-check.$$
rm -f /tmp/contiv-lab-check.$$

# 5. Next steps.
node1="$(sed -n 's/.*"dir": "\(.*node1\)".*/\1/p' /run/contiv-lab/default/state.json | head -1)"
rest1="$(grep -o '"restPort": [0-9]*' /run/contiv-lab/default/state.json | head -1 | grep -o '[0-9]*$')"
ui="$(grep -o '"uiPort": [0-9]*' /run/contiv-lab/default/state.json | head -1 | grep -o '[0-9]*$')"
cat <<MSG

The lab is running ($((SECONDS - start))s).
Web UI: http://127.0.0.1:${ui:-?}/   (topology, IPAM, Kubernetes objects, Services, vSwitch CLI; docs/ui.md)
Try:
  export PATH=$bin:\$PATH
  eval "\$(contiv-lab env)"                      # KUBECONFIG, ETCDCTL_API, ETCDCTL_ENDPOINTS
  kubectl get nodes,pods -o wide
  etcdctl get --prefix /vnf-agent/contiv-ksr/k8s/pod --keys-only
  contiv-vppctl -s $node1/vpp-cli.sock show interface
  contiv-vppctl -s $node1/vpp-cli.sock show ip fib
  kubectl get svc,endpoints -o wide                      # web (ClusterIP) and web-nodeport (NodePort 30800)
  kubectl get deploy,rs,ds,pods -o wide                  # examples/workloads.yaml: hello, hello-client, node-probe
  kubectl scale deployment hello --replicas=5; kubectl rollout status deployment/hello
  kubectl logs deploy/hello-client;  kubectl exec deploy/hello-client -- ip -4 addr show eth0
  kubectl exec deploy/hello-client -- curl -s http://hello | head -3   # by name: kube-dns (10.96.0.10), docs/lab.md "Cluster DNS"
  kubectl exec deploy/hello-client -- cat /etc/resolv.conf; kubectl -n kube-system get deploy,svc,ep kube-dns
  ip netns exec cl-node1 curl -s http://\$(kubectl get svc web -o jsonpath='{.spec.clusterIP}')/ | head -3
  contiv-vppctl -s $node1/vpp-cli.sock show nat44 static mappings
  contiv-vppctl -s $node1/vpp-cli.sock show nat44 sessions
  kubectl get networkpolicy -A; curl -s http://127.0.0.1:$rest1/contiv/v1/policies   # docs/policies.md
  contiv-vppctl -s $node1/vpp-cli.sock show acl-plugin acl
  kubectl expose pod web-1 --name web1-direct --port 8081 --target-port 8080; contiv-lab check
  curl -s http://127.0.0.1:$rest1/contiv/v1/ipam             # node1's agent REST API
  ip netns exec cl-node1 ping -c1 \$(kubectl get pod web-2 -o jsonpath='{.status.podIP}')
  contiv-lab status;  contiv-lab logs agent-node1;  contiv-lab check
  contiv-lab node add;  contiv-lab node delete node3;  contiv-lab node restart node2
See docs/lab.md for what runs where.
Tear it down with: scripts/demo.sh down
MSG
[[ $ok -eq 1 ]]
