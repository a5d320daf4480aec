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
  echo "== whole machine, by thread name (samples %) =="
  { perf report -i "$1" --no-children --stdio -g none --sort comm 2>/dev/null || true; } | grep -v '^#' | grep -v '^$' | head -12 || true
  # perf's --comms with --sort sym files a function shared by several threads under the first thread that hit
  # it, so sort by comm,sym and sum contiv-vpp's threads (vpp_main, vpp_wk_*) here, relative to their samples.
  echo "== contiv-vpp's threads, self time by function (% of their samples) =="
  { perf report -i "$1" --no-children --stdio -g none --sort comm,sym 2>/dev/null || true; } | awk '
    $2 ~ /^vpp_/ {p = $1; sub("%", "", p); $1 = ""; $2 = ""; k = $0; sub(/^ +/, "", k); a[k] += p; t += p
                  if (k ~ /^\[k\]/) kern += p; if (k ~ /Contiv_Vpp/) own += p}
    END {if (t > 0) {for (k in a) printf "%6.2f%% %s\n", 100 * a[k] / t, k
         printf "100.00%% ~total: %.1f%% of the machine, kernel %.1f%%, contiv-vpp code %.1f%%\n", t, 100 * kern / t, 100 * own / t}}' \
    | sort -rn | head -"$TOP" || true
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
