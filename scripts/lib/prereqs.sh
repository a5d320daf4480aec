# Sourced by scripts/test.sh and scripts/demo.sh: `install_missing KEY=PACKAGE …` installs with
# apt-get (Debian) only the packages whose command (or, for a KEY starting with /, file) is absent.
install_missing() {
  local missing=() pair key pkg
  for pair in "$@"; do
    key="${pair%%=*}"; pkg="${pair#*=}"
    if [[ $key == /* ]]; then [[ -e $key ]] && continue
    else command -v "$key" >/dev/null 2>&1 && continue; fi
    [[ " ${missing[*]} " == *" $pkg "* ]] || missing+=("$pkg")
  done
  ((${#missing[@]})) || return 0
  echo "installing: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then echo "need root to install ${missing[*]}" >&2; return 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "apt-get install ${missing[*]} failed" >&2; return 1; }
}

# What the lab needs at run time (etcd, workloads, namespaces, the CNI chain's portmap and iptables).
LAB_PREREQS=(etcd=etcd-server python3=python3 nsenter=util-linux setpriv=util-linux ip=iproute2 ping=iputils-ping
  iptables=iptables /usr/lib/cni/portmap=containernetworking-plugins
  containerd=containerd runc=runc buildah=buildah)
