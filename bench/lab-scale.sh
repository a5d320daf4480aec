#!/usr/bin/env bash
# The lab at scale: `contiv-lab up --nodes NODES`, then a Deployment of PODS pods (sleep, spread over the
# nodes by the lab scheduler); measures
#   - up time (seconds until `up` returned: every node Ready, every agent ready),
#   - time until every pod is Ready (from the apply until the last pod's Ready condition),
#   - RSS of each node's vSwitch (contiv-vpp + contiv-agent, /proc/<pid>/status VmRSS), median and max,
#   - CPU of the idle lab over IDLE_SECS seconds after the pods are Ready and SETTLE seconds of rest:
#     utime+stime (/proc/<pid>/stat) of every process of the lab (marker CONTIV_LAB_INSTANCE, pods included),
#     in % of one core, with the per-component breakdown on stderr. SETTLE is 60 s: in the first 30–60 s after
#     `up` the .NET processes still tier up (JIT) — start-up work, not idle cost (until 2026-12-07 19:30: 20 s).
#   NODES=12 PODS=300 IDLE_SECS=30 SETTLE=60 bench/lab-scale.sh      (defaults)
#   NODES=4 PODS=40 bench/lab-scale.sh                               (what fits a small machine)
#   LAB_BIN=/path/to/other/artifacts/bin bench/lab-scale.sh          (the same bench with another build)
#   PODS=0 bench/lab-scale.sh                                        (the idle lab without pods: no Deployment)
#   THREADS=15 bench/lab-scale.sh                                    (also the 15 busiest threads of the idle
#                                                                     window: process, thread name (comm), %)
# Needs root and a build (scripts/build.sh). Instance `scale`; `down` on exit.
# Ends with RESULT lines. Baselines are the issue's limits (issue 21): a node's idle vSwitch ≤ 150 MB,
# the idle lab < 3 % of one core; up and pods-Ready times have no limit, their baseline is per node/pod
# budget (10 s per node for up, 1 s per pod for Ready) so the ratio says how far from that budget a run is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lab="${LAB_BIN:-$root/artifacts/bin}/contiv-lab"   # LAB_BIN: another build's published binaries (before/after pairs)
nodes="${NODES:-12}"
pods="${PODS:-300}"
idle_secs="${IDLE_SECS:-30}"
settle="${SETTLE:-60}"
inst=scale
kubeconfig="/run/contiv-lab/$inst/kubeconfig"
kc() { KUBECONFIG="$kubeconfig" kubectl "$@"; }

cleanup() { "$lab" down --instance "$inst" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$lab" down --instance "$inst" >/dev/null

now() { date +%s.%N; }
t0="$(now)"
"$lab" up --instance "$inst" --nodes "$nodes" >/dev/null
t1="$(now)"
up_secs="$(python3 -c "print('%.1f' % ($t1 - $t0))")"
echo "up: $nodes nodes in $up_secs s" >&2

ready_secs=0
if (( pods > 0 )); then
  manifest="$(mktemp)"
  cat >"$manifest" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: scale, namespace: default}
spec:
  replicas: $pods
  selector: {matchLabels: {app: scale}}
  template:
    metadata: {labels: {app: scale}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - {name: sleep, image: none, command: ["sleep", "infinity"]}
YAML
  t2="$(now)"
  "$lab" apply --instance "$inst" -f "$manifest" >/dev/null
  rm -f "$manifest"
  ready=0
  deadline=$(( $(date +%s) + 60 + 10 * pods ))
  while :; do
    ready="$(kc get pods -l app=scale -o jsonpath='{range .items[*]}{range .status.conditions[?(@.type=="Ready")]}{.status}{"\n"}{end}{end}' 2>/dev/null | grep -c True || true)"
    [[ $ready -ge $pods ]] && break
    if (( $(date +%s) > deadline )); then echo "only $ready of $pods pods Ready before the deadline" >&2; exit 1; fi
    sleep 1
  done
  t3="$(now)"
  ready_secs="$(python3 -c "print('%.1f' % ($t3 - $t2))")"
  echo "pods: $pods Ready in $ready_secs s ($(kc get pods -l app=scale -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort | uniq -c | awk '{printf "%s:%s ", $2, $1}'))" >&2
else
  echo "pods: none (PODS=0)" >&2
fi

sleep "$settle"
# Every process of the lab: the instance marker in its environment.
lab_pids() {
  for e in /proc/[0-9]*/environ; do
    if { tr '\0' '\n' <"$e" | grep -qx "CONTIV_LAB_INSTANCE=$inst"; } 2>/dev/null; then
      p="${e#/proc/}"; echo "${p%/environ}"
    fi
  done
}
mapfile -t pids < <(lab_pids)
snapshot() { # pid → "pid ticks name" lines (name: the executable + node when it has --netns/--node)
  for p in "${pids[@]}"; do
    [[ -r /proc/$p/stat ]] || continue
    local stat ticks name args
    stat="$(cat "/proc/$p/stat" 2>/dev/null)" || continue
    ticks="$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' <<<"$stat")"
    args="$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
    name="$(basename "$(awk '{print $1}' <<<"$args")")"
    case "$args" in
      *" supervise "*) name="supervise" ;;
      *" kubelet "*) name="kubelet" ;;
      *" scheduler "*) name="scheduler" ;;
      *" controller-manager "*) name="controller-manager" ;;
    esac
    echo "$p $ticks $name"
  done
}
threads="${THREADS:-0}"
tsnapshot() { # "pid/tid ticks name:comm" of every thread of the lab's processes (THREADS > 0 only)
  (( threads > 0 )) || return 0
  python3 - "${pids[@]}" <<'PY'
import os, sys
for p in sys.argv[1:]:
    try:
        name = os.path.basename(open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")[0].decode())
        tids = os.listdir(f"/proc/{p}/task")
    except OSError:
        continue
    for t in tids:
        try:
            st = open(f"/proc/{p}/task/{t}/stat").read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")].replace(" ", "_")
        f = st[st.rindex(")") + 2:].split()
        print(f"{p}/{t} {int(f[11]) + int(f[12])} {name}:{comm}")
PY
}
before="$(snapshot)"
tbefore="$(tsnapshot)"
sleep "$idle_secs"
after="$(snapshot)"
tafter="$(tsnapshot)"
hz="$(getconf CLK_TCK)"
cpu_report="$(python3 - "$hz" "$idle_secs" <<PY
import sys
hz, secs = int(sys.argv[1]), float(sys.argv[2])
def parse(text):
    return {l.split()[0]: (int(l.split()[1]), l.split()[2]) for l in text.strip().splitlines() if l.strip()}
b, a = parse("""$before"""), parse("""$after""")
per = {}
for pid, (t, name) in a.items():
    if pid in b:
        per[name] = per.get(name, 0) + t - b[pid][0]
total = sum(per.values())
for name, t in sorted(per.items(), key=lambda kv: -kv[1]):
    if t:
        print("  %-20s %6.2f %%" % (name, 100.0 * t / hz / secs), file=sys.stderr)
print("%.2f" % (100.0 * total / hz / secs))
PY
)"
if (( threads > 0 )); then
  python3 - "$(getconf CLK_TCK)" "$idle_secs" "$threads" <<PY >&2
import sys
hz, secs, top = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
def parse(text):
    return {l.split()[0]: (int(l.split()[1]), l.split()[2]) for l in text.strip().splitlines() if l.strip()}
b, a = parse("""$tbefore"""), parse("""$tafter"""),
per = {}
for tid, (t, name) in a.items():
    if tid in b and t > b[tid][0]:
        per[name] = per.get(name, 0) + t - b[tid][0]
print("busiest threads (process:comm, summed over processes of that name):")
for name, t in sorted(per.items(), key=lambda kv: -kv[1])[:top]:
    print("  %-40s %6.2f %%" % (name, 100.0 * t / hz / secs))
PY
fi
echo "idle CPU over $idle_secs s (${#pids[@]} lab processes, load $(cut -d' ' -f1-3 /proc/loadavg)): $cpu_report % of one core" >&2

# vSwitch RSS per node: contiv-vpp + contiv-agent of that node (--netns cl${inst}-nodeN).
rss_list=()
for n in $(seq 1 "$nodes"); do
  kb=0
  for p in "${pids[@]}"; do
    [[ -r /proc/$p/cmdline ]] || continue
    args="$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
    case "$args" in
      *contiv-vpp*"cl${inst}-node$n "*|*contiv-agent*"cl${inst}-node$n "*|*contiv-vpp*"cl${inst}-node$n"|*contiv-agent*"cl${inst}-node$n")
        [[ $args == *" supervise "* ]] && continue
        kb=$(( kb + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status") )) ;;
    esac
  done
  rss_list+=("$kb")
done
rss="$(python3 -c "
import statistics, sys
v = [int(x) / 1024 for x in sys.argv[1:]]
print('%.1f %.1f' % (statistics.median(v), max(v)))" "${rss_list[@]}")"
echo "vSwitch RSS per node (MB): $(printf '%s ' "${rss_list[@]}" | awk '{for (i = 1; i <= NF; i++) printf "%.0f ", $i / 1024}')" >&2

ratio() { python3 -c "print('%.3f' % ($1 / $2))"; }
read -r rss_median rss_max <<<"$rss"
up_base="$(( 10 * nodes ))"
echo "RESULT lab-scale-up-$nodes $up_secs s baseline $up_base ratio $(ratio "$up_secs" "$up_base")"
(( pods > 0 )) && echo "RESULT lab-scale-pods-ready-$pods $ready_secs s baseline $pods ratio $(ratio "$ready_secs" "$pods")"
echo "RESULT lab-scale-vswitch-rss $rss_median MB baseline 150 ratio $(ratio "$rss_median" 150)"
echo "RESULT lab-scale-vswitch-rss-max $rss_max MB baseline 150 ratio $(ratio "$rss_max" 150)"
echo "RESULT lab-scale-idle-cpu $cpu_report % baseline 3 ratio $(ratio "$cpu_report" 3)"
