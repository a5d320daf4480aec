#!/usr/bin/env bash
# The README's test command. On a fresh Debian 12 machine, as root: installs what is missing,
# builds, runs every test project and ends with "N passed, N failed[, N skipped]".
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# 1. Prerequisites: only what is absent is installed.
source "$root/scripts/lib/prereqs.sh"
install_missing "${LAB_PREREQS[@]}" etcdctl=etcd-client iperf3=iperf3 tshark=tshark nc=netcat-openbsd \
  tcpdump=tcpdump curl=curl /usr/lib/cni/tuning=containernetworking-plugins \
  npm=npm chromium=chromium kubectl=kubectl podman=podman buildah=buildah jq=jq || exit 1
command -v dotnet >/dev/null || { echo "the .NET 10 SDK (dotnet) is required" >&2; exit 1; }

# 2. Build.
echo "building…"
"$root/scripts/build.sh" || exit 1

# 3. Tests, one project at a time (they share namespaces, ports and the two cores).
results="$root/artifacts/test-results"
rm -rf "$results"; mkdir -p "$results"
total_pass=0 total_fail=0 total_skip=0 status=0
printf '%-28s %7s %7s %7s %8s\n' project passed failed skipped seconds
for proj in tests/*.Tests/*.Tests.csproj; do
  name="$(basename "$proj" .csproj)"
  start=$SECONDS
  dotnet test "$proj" -c Release --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=minimal" \
    --results-directory "$results/$name" --blame-hang-timeout 10m \
    >"$results/$name.log" 2>&1
  rc=$?
  trx="$results/$name/$name.trx"
  p=0 f=0 s=0
  if [[ -f $trx ]]; then
    counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
    get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
    p=$(get passed); f=$(get failed); total=$(get total); executed=$(get executed)
    p=${p:-0}; f=${f:-0}; s=$(( ${total:-0} - ${executed:-0} ))
  fi
  if [[ $rc -ne 0 && $f -eq 0 ]]; then
    if grep -q 'No test is available' "$results/$name.log"; then rc=0; else f=$((f + 1)); fi
  fi
  printf '%-28s %7d %7d %7d %8d\n' "$name" "$p" "$f" "$s" $((SECONDS - start))
  if [[ $f -gt 0 ]]; then
    status=1
    if [[ -f $trx ]]; then python3 "$root/scripts/lib/trx-failures.py" "$trx" | sed 's/^/    /'
    else tail -40 "$results/$name.log" | sed 's/^/    /'; fi
  fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
done

echo "logs and TRX files: $results"
if [[ $total_skip -gt 0 ]]; then
  echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
  echo "$total_pass passed, $total_fail failed"
fi
exit $status
