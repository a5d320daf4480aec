#!/usr/bin/env bash
# Restores and builds the whole solution, then publishes every executable into artifacts/bin/
# (contiv-cni as a NativeAOT binary). Idempotent; prints nothing but errors on success.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log="$root/artifacts/build.log"
mkdir -p "$root/artifacts/bin"
run() {
  if ! "$@" >"$log" 2>&1; then
    grep -E 'error|Error' "$log" | sort -u | head -50 >&2 || cat "$log" >&2
    echo "build failed: $* (full log: $log)" >&2
    exit 1
  fi
}
run dotnet build Contiv.sln -c Release -nologo -v q -clp:ErrorsOnly
# Publishing one project at a time keeps copies into the shared artifacts/bin from racing. The ReadyToRun
# projects (contiv-apiserver, contiv-ksr, contiv-crd, contiv-lab) go last, so their precompiled copies of the libraries they share with other
# executables (KubernetesClient.dll, Contiv.*.dll, …) are the ones kept; the other executables load them as usual.
exes=$(grep -l '<OutputType>Exe</OutputType>' src/*/*.csproj)
# shellcheck disable=SC2086
for proj in $(grep -L '<PublishReadyToRun>true' $exes) $(grep -l '<PublishReadyToRun>true' $exes); do
  run dotnet publish "$proj" -c Release -nologo -v q -clp:ErrorsOnly
done
# contiv-ui's page: TypeScript + cytoscape.js bundled by esbuild (src/Contiv.Ui/web, versions pinned by its
# package-lock.json) into artifacts/bin/contiv-ui-www, next to the contiv-ui executable. Nothing is fetched at run time.
command -v npm >/dev/null || { echo "npm is required to build contiv-ui's page (apt-get install npm)" >&2; exit 1; }
(cd src/Contiv.Ui/web && run npm ci --no-audit --no-fund --loglevel=error && run node build.mjs "$root/artifacts/bin/contiv-ui-www")
# The images of `contiv-lab up --runtime containerd` (busybox, pause) from Debian's busybox-static, into
# artifacts/bin/lab-images; rebuilt only when the package or the script changed.
run "$root/scripts/lab-images.sh"
