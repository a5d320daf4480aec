#!/usr/bin/env bash
# Where the cycles of `dataplane-pps` (or, with MODE=tcp, `dataplane-tcp`) go: one iperf3 run pod A → pod B
# through contiv-vpp under `perf record -g`, then the top functions by self time, for contiv-vpp alone
# and for the whole machine by command (the senders, receivers and the data plane share 2 cores).
# NativeAOT symbols come from contiv-vpp.dbg next to the binary (.gnu_debuglink), so perf needs no perf map.
# Env: VPP_BIN, VPP_ARGS, DURATION (6), MODE (pps|tcp), FREQ (1999), TOP (25), OUT (perf data dir).
source "$(dirname "${BASH_SOURCE[0]}")/dataplane-lib.sh"
DURATION="${DURATION:-6}"; MODE="${MODE:-pps}"; FREQ="${FREQ:-1999}"; TOP="${TOP:-25}"
OUT="${OUT:-$tmp}"; mkdir -p "$OUT"
# report <perf.data>: also usable on its own (`source` this file's function or rerun with REPORT_ONLY=<perf.data>).
report() {
  local r=(perf report -i "$1" --no-children --percentage relative --stdio -g none)
  echo "== whole machine, by thread name (samples %) =="
  { "${r[@]}" --sort comm 2>/dev/null || true; } | grep -v '^#' | grep -v '^$' | head -12 || true
  echo "== contiv-vpp (its threads: vpp_main, vpp_wk_*), self time by function =="
  { "${r[@]}" --sort sym --comms "$(perf report -i "$1" --no-children --stdio -g none --sort comm 2>/dev/null | awk '$2 ~ /^(vpp_|contiv-vpp)/ {printf "%s%s", s, $2; s=","}')" 2>/dev/null || true; } \
    | grep -v '^#' | grep -v '^$' | head -"$TOP" || true
}
if [ -n "${REPORT_ONLY:-}" ]; then report "$REPORT_ONLY"; exit 0; fi
# shellcheck disable=SC2086
start_vpp ${VPP_ARGS:-}
setup_vpp_pods
ip netns exec "$(ns b)" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
srv=$!
sleep 0.3
if [ "$MODE" = tcp ]; then args=(-t "$((DURATION + 2))"); else args=(-u -b 0 -l 18 -t "$((DURATION + 2))"); fi
ip netns exec "$(ns a)" iperf3 -c 10.1.2.2 -p 5201 "${args[@]}" -J >"$tmp/iperf.json" &
cli=$!
sleep 1
perf record -q -g -F "$FREQ" -a -o "$OUT/perf.data" -- sleep "$DURATION" 2>/dev/null
wait "$cli"; wait "$srv" 2>/dev/null || true
python3 - "$tmp/iperf.json" "$MODE" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["end"]
if sys.argv[2] == "tcp":
    print("iperf3: %.3f Gbit/s" % (e["sum_received"]["bits_per_second"] / 1e9))
else:
    s = e.get("sum_received") or e["sum"]
    print("iperf3: %.0f pps received" % ((s.get("packets", 0) - s.get("lost_packets", 0)) / s["seconds"]))
PY
report "$OUT/perf.data"
echo "perf data: $OUT/perf.data (load $(cut -d' ' -f1-3 /proc/loadavg))"
