#!/usr/bin/env python3
"""ADD+DEL cycles through a CNI plugin, invoked exactly as a runtime does (CNI_* environment,
configuration on stdin, result on stdout), timed per invocation. Helper of bench/cni-add.sh.

Each cycle uses its own pod network namespace (created beforehand by the caller, named
<prefix><i>); the plugin runs inside --node-netns (the node's host network) when given.
Prints one JSON object: {"add_ms": [...], "del_ms": [...], "failures": N, "first_error": "..."}.
"""
import argparse
import resource
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def invoke(plugin, command, conf, container_id, netns_path, node_netns, cni_path, args):
    env = {
        "PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
        "CNI_COMMAND": command,
        "CNI_CONTAINERID": container_id,
        "CNI_NETNS": netns_path,
        "CNI_IFNAME": "eth0",
        "CNI_PATH": cni_path,
        "CNI_ARGS": args,
    }
    # nsenter only enters the namespace (no sysfs remount like `ip netns exec`): cheap and equal for all plugins.
    argv = [plugin] if not node_netns else ["nsenter", f"--net=/run/netns/{node_netns}", plugin]
    start = time.perf_counter()
    p = subprocess.run(argv, input=conf.encode(), env=env, capture_output=True, timeout=120)
    elapsed = (time.perf_counter() - start) * 1000.0
    return elapsed, p.returncode, p.stdout.decode(errors="replace")


def cycle(opts, conf, i):
    ns = f"{opts.netns_prefix}{i}"
    cid = f"{opts.container_prefix}{i:04d}"
    path = f"/run/netns/{ns}"
    args = f"IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME={cid};K8S_POD_INFRA_CONTAINER_ID={cid}"
    add_ms, rc, out = invoke(opts.plugin, "ADD", conf, cid, path, opts.node_netns, opts.cni_path, args)
    error = None if rc == 0 else f"ADD {cid}: exit {rc}: {out.strip()[:300]}"
    prev = out if rc == 0 else None
    del_conf = conf
    if prev:
        c = json.loads(conf)
        c["prevResult"] = json.loads(prev)
        del_conf = json.dumps(c)
    del_ms, rc2, out2 = invoke(opts.plugin, "DEL", del_conf, cid, path, opts.node_netns, opts.cni_path, args)
    if rc2 != 0 and error is None:
        error = f"DEL {cid}: exit {rc2}: {out2.strip()[:300]}"
    return add_ms, del_ms, error


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--plugin", required=True)
    ap.add_argument("--conf", required=True, help="network configuration file (one plugin object)")
    ap.add_argument("--netns-prefix", required=True)
    ap.add_argument("--container-prefix", required=True)
    ap.add_argument("--first", type=int, default=0, help="index of the first pod namespace")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--node-netns", default="")
    ap.add_argument("--cni-path", default="/usr/lib/cni")
    opts = ap.parse_args()
    with open(opts.conf, encoding="utf-8") as f:
        conf = f.read()
    indexes = range(opts.first, opts.first + opts.count)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if opts.parallel <= 1:
        results = [cycle(opts, conf, i) for i in indexes]
    else:
        with ThreadPoolExecutor(max_workers=opts.parallel) as pool:
            results = list(pool.map(lambda i: cycle(opts, conf, i), indexes))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU of the plugin processes (and nsenter) of this phase, per ADD+DEL cycle.
    cpu_ms = ((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)) * 1000.0 / max(1, opts.count)
    errors = [e for _, _, e in results if e]
    json.dump({
        "add_ms": [a for a, _, e in results if e is None],
        "del_ms": [d for _, d, e in results if e is None],
        "failures": len(errors),
        "plugin_cpu_ms_per_cycle": cpu_ms,
        "first_error": errors[0] if errors else "",
    }, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
