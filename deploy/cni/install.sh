#!/usr/bin/env bash
# Installs contiv-cni on a node: the binary (plus portmap and loopback when they are missing)
# into the CNI binary directory and 10-contiv-vpp.conflist into the CNI configuration directory.
# Binaries are replaced atomically (copy, then rename): a runtime may be executing the old one.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin_dir="${CNI_BIN_DIR:-/opt/cni/bin}"
conf_dir="${CNI_CONF_DIR:-/etc/cni/net.d}"
binary="${CONTIV_CNI_BINARY:-$root/artifacts/bin/contiv-cni}"
conflist="${CONTIV_CNI_CONFLIST:-$here/10-contiv-vpp.conflist}"
plugins_dir="${CNI_PLUGINS_DIR:-/usr/lib/cni}"
grpc_server=""
log_file=""

usage() {
  cat <<USAGE
usage: $(basename "$0") [options]
  --bin-dir DIR       CNI binary directory (default \$CNI_BIN_DIR or /opt/cni/bin)
  --conf-dir DIR      CNI configuration directory (default \$CNI_CONF_DIR or /etc/cni/net.d)
  --binary FILE       contiv-cni to install (default \$CONTIV_CNI_BINARY or artifacts/bin/contiv-cni)
  --conflist FILE     conflist to install (default deploy/cni/10-contiv-vpp.conflist)
  --plugins-dir DIR   where portmap and loopback come from when missing (default /usr/lib/cni)
  --grpc-server ADDR  override grpcServer (agent socket path or host:port) in the installed conflist
  --log-file FILE     override logFile in the installed conflist
  -h, --help          this text
USAGE
}

while (($#)); do
  case "$1" in
    --bin-dir) bin_dir="$2"; shift 2 ;;
    --conf-dir) conf_dir="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --conflist) conflist="$2"; shift 2 ;;
    --plugins-dir) plugins_dir="$2"; shift 2 ;;
    --grpc-server) grpc_server="$2"; shift 2 ;;
    --log-file) log_file="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

[[ -x $binary ]] || { echo "install.sh: contiv-cni binary $binary not found (run scripts/build.sh)" >&2; exit 1; }
[[ -f $conflist ]] || { echo "install.sh: conflist $conflist not found" >&2; exit 1; }
mkdir -p "$bin_dir" "$conf_dir"

install_atomic() { # src dst mode
  local tmp
  tmp="$(mktemp "$2.XXXXXX")"
  cp "$1" "$tmp" && chmod "$3" "$tmp" && mv -f "$tmp" "$2"
}

install_atomic "$binary" "$bin_dir/contiv-cni" 0755
for p in portmap loopback; do
  if [[ ! -e $bin_dir/$p && -x $plugins_dir/$p ]]; then
    install_atomic "$plugins_dir/$p" "$bin_dir/$p" 0755
  elif [[ ! -e $bin_dir/$p ]]; then
    echo "install.sh: warning: $p is not in $bin_dir nor $plugins_dir (hostPort needs portmap)" >&2
  fi
done

content="$(cat "$conflist")"
if [[ -n $grpc_server ]]; then
  content="$(printf '%s' "$content" | sed -E "s#(\"grpcServer\"[[:space:]]*:[[:space:]]*)\"[^\"]*\"#\\1\"$grpc_server\"#")"
fi
if [[ -n $log_file ]]; then
  content="$(printf '%s' "$content" | sed -E "s#(\"logFile\"[[:space:]]*:[[:space:]]*)\"[^\"]*\"#\\1\"$log_file\"#")"
fi
tmp="$(mktemp "$conf_dir/.10-contiv-vpp.conflist.XXXXXX")"
printf '%s\n' "$content" >"$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$conf_dir/10-contiv-vpp.conflist"
echo "installed contiv-cni into $bin_dir and 10-contiv-vpp.conflist into $conf_dir"
