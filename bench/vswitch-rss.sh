#!/usr/bin/env bash
# A node's idle vSwitch memory (issue 21: contiv-vpp + contiv-agent ≤ 150 MB, goal ≤ 100 MB):
# `contiv-lab up --nodes NODES` (no pods), SETTLE seconds of rest, then per node the VmRSS of contiv-vpp and
# contiv-agent and their smaps_rollup split (file-backed / anonymous / shmem), on stderr.
#   NODES=1 SETTLE=20 bench/vswitch-rss.sh          (defaults)
#   BIN=/path/to/other/artifacts/bin bench/vswitch-rss.sh   (measure another published tree)
#   SMAPS=1 bench/vswitch-rss.sh                             (also each process's largest mappings)
# Extra environment for the lab's processes can be given as usual (e.g. DOTNET_GCgen0size=...): every lab
# process inherits it. Needs root and a build (scripts/build.sh). Instance `rss`; `down` on exit.
# Ends with `RESULT vswitch-rss <median MB> MB baseline 150 ratio <x>` (baseline: the issue's limit).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${BIN:-$root/artifacts/bin}"
lab="$bin/contiv-lab"
nodes="${NODES:-1}"
settle="${SETTLE:-20}"
inst=rss
cleanup() { "$lab" down --instance "$inst" >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$lab" down --instance "$inst" >/dev/null
"$lab" up --instance "$inst" --nodes "$nodes" >/dev/null
sleep "$settle"
kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/$3"; }
totals=()
for n in $(seq 1 "$nodes"); do
  sum=0
  for exe in contiv-vpp contiv-agent; do
    pid=""
    for p in $(pgrep -x "$exe" || true); do
      args="$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null || true)"
      [[ "$args " == *"cl${inst}-node$n "* ]] && pid=$p
    done
    [[ -n $pid ]] || { echo "no $exe for node$n" >&2; exit 1; }
    rss=$(kb "$pid" VmRSS status)
    sum=$(( sum + rss ))
    printf 'node%s %-13s RSS %6.1f MB  file %6.1f  anon %6.1f  shmem %6.1f  (Pss_File %5.1f)\n' "$n" "$exe" \
      "$(bc -l <<<"$rss/1024")" "$(bc -l <<<"$(kb "$pid" RssFile status)/1024")" \
      "$(bc -l <<<"$(kb "$pid" RssAnon status)/1024")" "$(bc -l <<<"$(kb "$pid" RssShmem status)/1024")" \
      "$(bc -l <<<"$(kb "$pid" Pss_File smaps_rollup)/1024")" >&2
    if [[ ${SMAPS:-0} == 1 ]]; then # the largest mappings by Rss (kB)
      awk '/^[0-9a-f]+-[0-9a-f]+ / {name = ($6 == "" ? "[anon]" : $6)} /^Rss:/ {rss[name] += $2} END {for (n in rss) print rss[n], n}' \
        "/proc/$pid/smaps" | sort -rn | head -12 | sed 's/^/    /' >&2
    fi
  done
  totals+=("$sum")
  printf 'node%s vSwitch %.1f MB\n' "$n" "$(bc -l <<<"$sum/1024")" >&2
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
median="$(python3 -c "import statistics, sys; print('%.1f' % (statistics.median(int(x) for x in sys.argv[1:]) / 1024))" "${totals[@]}")"
echo "RESULT vswitch-rss $median MB baseline 150 ratio $(python3 -c "print('%.3f' % ($median / 150))")"
