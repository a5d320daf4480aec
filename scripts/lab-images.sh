#!/usr/bin/env bash
# Builds the images a `contiv-lab up --runtime containerd` lab runs, from Debian's busybox-static
# (apt-get download + dpkg-deb -x, as scripts/images.sh does; nothing from a container registry):
#
#   artifacts/bin/lab-images/busybox.tar   docker.io/contiv-lab/busybox:latest  /bin/sh + every busybox applet
#                                          (httpd, wget, nc, ping, ip, …) and /www/index.html; CMD sh
#   artifacts/bin/lab-images/pause.tar     docker.io/contiv-lab/pause:latest    the sandbox image: busybox sleep,
#                                          killed by the runtime with SIGKILL when the sandbox stops
#
# Docker archives, imported by `contiv-lab up` with `ctr -n k8s.io images import` into each node's
# containerd (which also tags busybox as docker.io/library/busybox:latest). Called by scripts/build.sh;
# skipped with a message when buildah is not installed (the process runner needs no images).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
out="$root/artifacts/bin/lab-images"
work="$root/artifacts/images/lab-work"
debs="$root/artifacts/images/debs"
store=(--root "$root/artifacts/images/store" --runroot "$root/artifacts/images/run" --storage-driver vfs)
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"

command -v buildah >/dev/null || { echo "lab-images.sh: buildah is not installed: no images for --runtime containerd (apt-get install buildah)" >&2; exit 0; }
[[ $EUID -eq 0 ]] || { echo "lab-images.sh: run as root (buildah store)" >&2; exit 1; }
mkdir -p "$out" "$work" "$debs"

deb="$(compgen -G "$debs/busybox-static_*.deb" | head -1 || true)"
if [[ -z $deb ]]; then
  (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null) || {
    apt-get update -q >/dev/null && (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null)
  }
  deb="$(compgen -G "$debs/busybox-static_*.deb" | head -1)"
fi
# Rebuild only when the package or this script changed.
stamp="$(sha256sum "$deb" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)"
if [[ -f $out/busybox.tar && -f $out/pause.tar && "$(cat "$out/.stamp" 2>/dev/null)" == "$stamp" ]]; then
  exit 0
fi

rootfs() { # dir: busybox-static's files, /etc basics
  local dir="$1"
  rm -rf "$dir"; mkdir -p "$dir"/{etc,tmp,proc,sys,dev,root,var/run,run}
  chmod 1777 "$dir/tmp"
  dpkg-deb -x "$deb" "$dir"
  rm -rf "$dir/usr/share"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  printf 'hosts: files dns\n' >"$dir/etc/nsswitch.conf"
}

commit() { # name dir cmd-json entrypoint-json
  local name="$1" dir="$2" cmd="$3" entrypoint="$4" ctr
  ctr="$(buildah "${store[@]}" from scratch)"
  buildah "${store[@]}" copy --quiet "$ctr" "$dir" / >/dev/null
  buildah "${store[@]}" config --workingdir / --env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    --label org.opencontainers.image.title="contiv-lab/$name" --label org.opencontainers.image.source="contiv-vpp (this repository), Debian busybox-static" \
    --entrypoint "$entrypoint" --cmd "$cmd" "$ctr"
  buildah "${store[@]}" commit --quiet --format docker --timestamp "$SOURCE_DATE_EPOCH" --rm "$ctr" "docker.io/contiv-lab/$name:latest" >/dev/null
  rm -f "$out/$name.tar"
  buildah "${store[@]}" push --quiet "docker.io/contiv-lab/$name:latest" "docker-archive:$out/$name.tar:docker.io/contiv-lab/$name:latest" >/dev/null
}

# busybox: every applet as a symlink in /bin, a page for httpd.
rootfs "$work/busybox"
for applet in $("$work/busybox/bin/busybox" --list); do
  [[ -e $work/busybox/bin/$applet ]] || ln -s busybox "$work/busybox/bin/$applet"
done
mkdir -p "$work/busybox/www"
printf 'hello from the contiv-lab busybox image\n' >"$work/busybox/www/index.html"
commit busybox "$work/busybox" '["sh"]' '[]'

# pause: only busybox, sleeping; the runtime stops it with SIGKILL.
rm -rf "$work/pause"; mkdir -p "$work/pause/bin"
cp "$work/busybox/bin/busybox" "$work/pause/bin/busybox"
commit pause "$work/pause" '[]' '["/bin/busybox","sleep","2147483647"]'

echo "$stamp" >"$out/.stamp"
