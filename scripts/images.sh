#!/usr/bin/env bash
# Builds one OCI image per Contiv component with Debian's buildah, from a root file system made here
# out of Debian packages (apt-get download + dpkg-deb -x): nothing is pulled from a container
# registry. Each image is exported as an OCI archive artifacts/images/<component>.tar and tagged
# contiv/<component>:$CONTIV_VERSION in a private buildah store (artifacts/images/store).
#
#   contiv-vswitch  contiv-init + contiv-vpp + contiv-agent + contiv-vppctl + contiv-cni and its installer
#   contiv-ksr      contiv-ksr                                  (user 65532)
#   contiv-crd      contiv-crd + contiv-netctl                  (user 65532)
#   contiv-ui       contiv-ui + its web assets                  (user 65532)
#   contiv-stn      contiv-stn
#   contiv-etcd     Debian's etcd-server
#
# .NET components are self-contained publishes (no .NET install in the image) in invariant
# globalization mode (no ICU: -35 MB per image); contiv-cni is NativeAOT. Components whose source is
# not in this tree are skipped with a message. Needs root (buildah's store, chroot checks).
# Usage: scripts/images.sh [component…]   (default: all). Not part of scripts/test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
version="${CONTIV_VERSION:-0.1.0}"
rid="linux-x64"
out="$root/artifacts/images"
work="$out/work"
debs="$out/debs"
store=(--root "$out/store" --runroot "$out/run" --storage-driver vfs)
# Reproducible: fixed timestamps in the image layers and configuration.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"

[[ $EUID -eq 0 ]] || { echo "images.sh: run as root (buildah store, chroot checks)" >&2; exit 1; }
source "$root/scripts/lib/prereqs.sh"
install_missing buildah=buildah dpkg-deb=dpkg || exit 1
command -v dotnet >/dev/null || { echo "images.sh: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
mkdir -p "$out" "$work" "$debs"

# Debian packages per root file system. The .NET runtime needs libc, libgcc, libstdc++, zlib and
# OpenSSL (TLS to the API server and etcd); the vSwitch's CNI installer needs bash, coreutils and sed,
# and ships portmap and loopback from containernetworking-plugins.
base_pkgs=(libc6 libgcc-s1 libstdc++6 zlib1g libssl3)
vswitch_pkgs=(bash libtinfo6 coreutils libacl1 libattr1 libselinux1 libpcre2-8-0 libgmp10 sed containernetworking-plugins)
etcd_pkgs=(libc6 etcd-server)

download() { # pkgs… → .deb files in $debs (apt's own cache and mirror; no registry)
  local missing=() p
  for p in "$@"; do
    compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p")
  done
  if ((${#missing[@]})); then
    (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null) || {
      apt-get update -q >/dev/null && (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >/dev/null)
    }
  fi
}

rootfs() { # dir pkgs… : a fresh root file system with the packages' files (no maintainer scripts)
  local dir="$1" p deb; shift
  rm -rf "$dir"; mkdir -p "$dir"/{etc,tmp,var/run,run}
  chmod 1777 "$dir/tmp"
  download "$@"
  for p in "$@"; do
    deb="$(ls "$debs/${p}"_*.deb | head -1)"
    dpkg-deb -x "$deb" "$dir"
  done
  # What a container runtime and the .NET runtime look up; user 65532 for the non-root images.
  printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/home/nonroot:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$dir/etc/group"
  printf 'hosts: files dns\n' >"$dir/etc/nsswitch.conf"
  mkdir -p "$dir/home/nonroot" && chown 65532:65532 "$dir/home/nonroot"
  rm -rf "$dir/usr/share/doc" "$dir/usr/share/man" "$dir/usr/share/info" "$dir/usr/share/lintian" "$dir/usr/share/locale"
}

publish() { # project dir → self-contained publish of src/<project> into dir
  # No other global properties than the RID ones (which the SDK keeps from RID-agnostic libraries): the libraries stay
  # exactly as scripts/build.sh compiled them, so only the executable itself is compiled here. (-p:DebugType=none
  # made every library compile again, and then contiv-cni's NativeAOT compile too.) Invariant globalization comes from
  # Directory.Build.props; .pdb and .xml files are removed below.
  local project="$1" dest="$2" log="$work/publish-$1.log"
  if ! dotnet publish "src/$project/$project.csproj" -c Release -r "$rid" --self-contained \
      -o "$dest" -nologo -v q -clp:ErrorsOnly >"$log" 2>&1; then
    cat "$log" >&2; echo "images.sh: publishing $project failed" >&2; exit 1
  fi
  rm -f "$dest"/*.pdb "$dest"/*.xml
}

commit() { # component rootfs user entrypoint… : buildah image + OCI archive
  local name="$1" dir="$2" user="$3"; shift 3
  local ctr
  ctr="$(buildah "${store[@]}" from scratch)"
  buildah "${store[@]}" copy --quiet "$ctr" "$dir" / >/dev/null
  buildah "${store[@]}" config \
    --user "$user" --workingdir / \
    --env PATH=/opt/contiv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 \
    --label org.opencontainers.image.title="$name" \
    --label org.opencontainers.image.version="$version" \
    --label org.opencontainers.image.source="contiv-vpp (this repository)" \
    --entrypoint "$(printf '%s\n' "$@" | jq -R . | jq -s -c .)" --cmd '[]' "$ctr"
  buildah "${store[@]}" commit --quiet --format oci --timestamp "$SOURCE_DATE_EPOCH" --rm "$ctr" "contiv/$name:$version" >/dev/null
  rm -f "$out/$name.tar"
  buildah "${store[@]}" push --quiet "contiv/$name:$version" "oci-archive:$out/$name.tar:contiv/$name:$version" >/dev/null
  sizes+=("$(printf '%-16s %8s MB (archive %s MB, rootfs %s)' "$name" \
    "$(( $(du -sb "$dir" | cut -f1) / 1000000 ))" "$(( $(stat -c %s "$out/$name.tar") / 1000000 ))" "$(du -sh "$dir" | cut -f1)")")
}

check() { # dir command… : the command runs inside the root file system (catches a missing library)
  local dir="$1"; shift
  mkdir -p "$dir/proc" "$dir/dev"
  # A private mount namespace: /proc and /dev (which the .NET runtime needs) vanish with the process.
  if ! unshare --mount --propagation private --pid --fork sh -c \
      'd="$1"; shift; mount -t proc proc "$d/proc" && mount --rbind /dev "$d/dev" && exec chroot "$d" "$@"' _ "$dir" "$@" \
      >"$work/check.log" 2>&1; then
    cat "$work/check.log" >&2; echo "images.sh: '$*' fails inside $dir" >&2; exit 1
  fi
}

have() { # project… : all in this tree, else say which component is skipped
  local p
  for p in "$@"; do
    [[ -f src/$p/$p.csproj ]] || { echo "images.sh: src/$p is not in this tree: $component skipped" >&2; return 1; }
  done
}

build_image() { # component
  local component="$1" dir="$work/$1"
  case "$component" in
    contiv-vswitch)
      have Contiv.Init Contiv.Vpp.Daemon Contiv.Agent Contiv.Vpp.Ctl Contiv.Cni.Plugin || return 0
      rootfs "$dir" "${base_pkgs[@]}" "${vswitch_pkgs[@]}"
      # contiv-cni first: NativeAOT, one file (runs in the host's CNI directory, not in the image). The project pins
      # its RID and options, and this is scripts/build.sh's publish but for the directory: when build.sh's is current,
      # MSBuild has nothing to compile and only copies the binary (the NativeAOT compile takes minutes). First,
      # because the self-contained publishes below compile some of its libraries again, and then it would recompile.
      if ! dotnet publish src/Contiv.Cni.Plugin/Contiv.Cni.Plugin.csproj -c Release -o "$work/pub-cni" \
          -nologo -v q -clp:ErrorsOnly >"$work/publish-cni.log" 2>&1; then
        cat "$work/publish-cni.log" >&2; exit 1
      fi
      install -D -m 0755 "$work/pub-cni/contiv-cni" "$dir/opt/contiv/bin/contiv-cni"
      local p
      for p in Contiv.Init Contiv.Vpp.Daemon Contiv.Agent Contiv.Vpp.Ctl; do
        publish "$p" "$work/pub-$p"
        mkdir -p "$dir/opt/contiv/bin" && cp -an "$work/pub-$p/." "$dir/opt/contiv/bin/"
      done
      mkdir -p "$dir/opt/contiv/cni"
      install -m 0755 deploy/cni/install.sh "$dir/opt/contiv/cni/install.sh"
      install -m 0644 deploy/cni/10-contiv-vpp.conflist "$dir/opt/contiv/cni/10-contiv-vpp.conflist"
      check "$dir" /opt/contiv/bin/contiv-agent --help
      check "$dir" /bin/bash /opt/contiv/cni/install.sh --help
      commit contiv-vswitch "$dir" 0:0 /opt/contiv/bin/contiv-init ;;
    contiv-ksr)
      have Contiv.Ksr || return 0
      rootfs "$dir" "${base_pkgs[@]}"
      publish Contiv.Ksr "$dir/opt/contiv/bin"
      check "$dir" /opt/contiv/bin/contiv-ksr --help
      commit contiv-ksr "$dir" 65532:65532 /opt/contiv/bin/contiv-ksr ;;
    contiv-crd)
      have Contiv.Crd Contiv.Netctl || return 0
      rootfs "$dir" "${base_pkgs[@]}"
      publish Contiv.Crd "$dir/opt/contiv/bin"
      publish Contiv.Netctl "$work/pub-netctl"
      cp -an "$work/pub-netctl/." "$dir/opt/contiv/bin/"
      check "$dir" /opt/contiv/bin/contiv-crd --help
      commit contiv-crd "$dir" 65532:65532 /opt/contiv/bin/contiv-crd ;;
    contiv-ui)
      have Contiv.Ui || return 0
      rootfs "$dir" "${base_pkgs[@]}"
      publish Contiv.Ui "$dir/opt/contiv/bin"
      if [[ -d artifacts/bin/contiv-ui-www ]]; then
        cp -a artifacts/bin/contiv-ui-www "$dir/opt/contiv/bin/"
      else
        echo "images.sh: artifacts/bin/contiv-ui-www missing (scripts/build.sh builds it): contiv-ui serves its API only" >&2
      fi
      check "$dir" /opt/contiv/bin/contiv-ui --help
      commit contiv-ui "$dir" 65532:65532 /opt/contiv/bin/contiv-ui ;;
    contiv-stn)
      have Contiv.Stn || return 0
      rootfs "$dir" "${base_pkgs[@]}"
      publish Contiv.Stn "$dir/opt/contiv/bin"
      check "$dir" /opt/contiv/bin/contiv-stn --help
      commit contiv-stn "$dir" 0:0 /opt/contiv/bin/contiv-stn ;;
    *) echo "images.sh: unknown component $component" >&2; exit 2 ;;
  esac
}

build_etcd() { # component
  local dir="$work/$1"
  rootfs "$dir" "${etcd_pkgs[@]}"
  check "$dir" /usr/bin/etcd --version
  # Root: its data directory is a hostPath created by the kubelet as root (the pod drops every capability).
  commit "$1" "$dir" 0:0 /usr/bin/etcd
}

install_missing jq=jq || exit 1
sizes=()
wanted=("$@")
((${#wanted[@]})) || wanted=(contiv-vswitch contiv-ksr contiv-crd contiv-ui contiv-stn contiv-etcd)
for component in "${wanted[@]}"; do
  echo "building $component…"
  case "$component" in
    contiv-etcd) build_etcd contiv-etcd ;;
    *) build_image "$component" ;;
  esac
done
# The lines the tests read (ImageTests): every component this script builds.
: <<'COMPONENTS'
build_image contiv-vswitch
build_image contiv-ksr
build_image contiv-crd
build_image contiv-ui
build_image contiv-stn
build_etcd contiv-etcd
COMPONENTS
echo "images (unpacked size, OCI archive size) in $out:"
printf '  %s\n' "${sizes[@]}"
