#!/usr/bin/env bash
# The README's main job: a two-node Contiv cluster on this machine, with workloads and a
# connectivity check. Until the lab (contiv-lab) lands this script only says what it will do.
set -euo pipefail
cat <<'MSG'
scripts/demo.sh will:
  1. build the project if needed (scripts/build.sh);
  2. start the lab: `contiv-lab up --nodes 2` — etcd, the lab Kubernetes API server and contiv-ksr
     in a control-plane namespace, and two node namespaces each running contiv-vpp + contiv-agent
     with contiv-cni installed and a kubelet stand-in;
  3. apply examples/demo.yaml (small servers in pods on both nodes) and wait for them;
  4. run `contiv-lab check` and print the pod-to-pod / node-to-pod connectivity matrix;
  5. print how to use kubectl, contiv-vppctl and the agents' REST API against the running lab.
`scripts/demo.sh down` will tear it all down.

The lab is not built yet (see issue "The lab"); nothing was started.
MSG
exit 1
