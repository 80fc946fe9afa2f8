#!/usr/bin/env bash
# Builds a tiny busybox initramfs for xvio's end-to-end tests with real QEMU guests.
#
# usage: scripts/guest-initramfs.sh OUT.cpio.gz
#
# Writes OUT.cpio.gz and, beside it, OUT.kernel (OUT minus .cpio.gz; one line: the vmlinuz that
# matches the modules packed in the initramfs). Environment:
#   XVIO_GUEST_KVER  kernel version to use (default: the running kernel if its modules and
#                    vmlinuz are installed, else the newest one under /lib/modules)
#
# The guest has busybox and ethtool (with its libraries). The guest's /init reads its parameters from the kernel command line (all optional):
#   xvio.ip=10.0.0.1/24      address for eth0           xvio.mtu=9000    MTU of eth0
#   xvio.peer=10.0.0.2       peer to ping               xvio.peermac=MAC static ARP entry for peer
#   xvio.mode=serve|ping|cmd (default: cmd if a command is given, else serve)
#   xvio.count=5 xvio.interval=0.2 xvio.size=56 xvio.pingwait=2 xvio.quiet=1   (ping job)
#   xvio.waitpeer=SECONDS    before the ping job, wait until one ping to the peer succeeds
#   xvio.cmd=WORD | xvio.cmd="a b c" | xvio.cmd64=BASE64   command for the cmd job (sh -c)
#   xvio.then=poweroff|serve what to do after a ping/cmd job (default poweroff)
# Console markers (each on its own line):
#   XVIO-BOOT, XVIO-INFO ..., XVIO-QUEUES rx=N tx=N, XVIO-READY,
#   XVIO-PEER-UP / XVIO-PEER-TIMEOUT, XVIO-PING sent=N received=M, XVIO-CMD-BEGIN,
#   XVIO-CMD-END rc=N, XVIO-SERVE, XVIO-ERROR <what>, XVIO-DONE rc=N (then poweroff -f).
# In serve mode the guest reads shell lines from the serial console and evals them.
set -euo pipefail

OUT=${1:?usage: $0 OUT.cpio.gz}
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac

# ---------------------------------------------------------------- own needs
need_pkgs=()
have_static_busybox() {
  [ -x /bin/busybox ] && [ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" = "install ok installed" ]
}
have_static_busybox || need_pkgs+=(busybox-static)
command -v cpio >/dev/null 2>&1 || need_pkgs+=(cpio)
command -v gzip >/dev/null 2>&1 || need_pkgs+=(gzip)
command -v modprobe >/dev/null 2>&1 || need_pkgs+=(kmod)
command -v xz >/dev/null 2>&1 || need_pkgs+=(xz-utils)
ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || need_pkgs+=(linux-image-amd64)
apt_updated=""
apt_install() {
  echo "guest-initramfs: installing $*" >&2
  export DEBIAN_FRONTEND=noninteractive
  [ -n "$apt_updated" ] || { apt-get update -qq >&2; apt_updated=1; }
  apt-get install -y -qq --no-install-recommends "$@" >&2
}
if [ ${#need_pkgs[@]} -gt 0 ]; then apt_install "${need_pkgs[@]}"; fi

# ---------------------------------------------------------------- kernel version
pick_kver() {
  if [ -n "${XVIO_GUEST_KVER:-}" ]; then echo "$XVIO_GUEST_KVER"; return; fi
  local r; r=$(uname -r)
  if [ -e "/boot/vmlinuz-$r" ] && [ -d "/lib/modules/$r/kernel/drivers/net" ]; then echo "$r"; return; fi
  local v best=""
  for v in $(ls /lib/modules 2>/dev/null | sort -V); do
    [ -e "/boot/vmlinuz-$v" ] && ls /lib/modules/"$v"/kernel/drivers/net/virtio_net.ko* >/dev/null 2>&1 && best=$v
  done
  [ -n "$best" ] || { echo "guest-initramfs: no kernel with virtio_net under /lib/modules" >&2; exit 1; }
  echo "$best"
}
KVER=$(pick_kver)
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || { echo "guest-initramfs: $KERNEL missing" >&2; exit 1; }
[ -e "/lib/modules/$KVER/modules.dep" ] || depmod "$KVER"

# Module chain in dependency order. Note: -a is needed, without it modprobe takes the
# second name as a module parameter of the first and skips virtio_pci's dependencies.
mapfile -t MODS < <(modprobe -a -S "$KVER" --show-depends virtio_net virtio_pci \
  | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
[ ${#MODS[@]} -gt 0 ] || { echo "guest-initramfs: modprobe found no modules for $KVER" >&2; exit 1; }

# ---------------------------------------------------------------- tree
mkdir -p "$(dirname "$OUT")"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xvio-initramfs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,lib/xvio}
cp /bin/busybox "$ROOT/bin/busybox"
ln -s busybox "$ROOT/bin/sh"   # for /init's #!; the other applets are linked at boot

: > "$ROOT/lib/xvio/modules"
for m in "${MODS[@]}"; do
  base=$(basename "$m")
  case "$base" in
    *.ko.xz)  name=${base%.xz};  xz -dc "$m" > "$ROOT/lib/xvio/$name" ;;
    *.ko.zst) name=${base%.zst}; command -v zstd >/dev/null || apt_install zstd
              zstd -qdc "$m" > "$ROOT/lib/xvio/$name" ;;
    *.ko.gz)  name=${base%.gz};  gzip -dc "$m" > "$ROOT/lib/xvio/$name" ;;
    *.ko)     name=$base;        cp "$m" "$ROOT/lib/xvio/$name" ;;
    *) echo "guest-initramfs: unexpected module file $m" >&2; exit 1 ;;
  esac
  echo "$name" >> "$ROOT/lib/xvio/modules"
done
echo "$KVER" > "$ROOT/lib/xvio/kver"

# Dynamic tools, each with the libraries ldd names (at the same paths): ethtool (GuestOffloadsIT switches the
# guest's offloads at run time with it).
add_dynamic() {
  local bin=$1 lib
  install -D -m 0755 "$bin" "$ROOT$bin"
  for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    [ -e "$ROOT$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$ROOT$lib"
  done
}
ETHTOOL=$(PATH=/usr/sbin:/sbin:$PATH command -v ethtool || true)
if [ -z "$ETHTOOL" ]; then apt_install ethtool; ETHTOOL=$(PATH=/usr/sbin:/sbin:$PATH command -v ethtool); fi
add_dynamic "$ETHTOOL"

cat > "$ROOT/init" <<'INIT'
#!/bin/sh
# xvio e2e guest init (generated by scripts/guest-initramfs.sh)
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
echo 1 > /proc/sys/kernel/printk 2>/dev/null   # keep kernel messages off our marker lines
echo "XVIO-BOOT uptime=$(cut -d' ' -f1 /proc/uptime)"

die() {
  echo "XVIO-ERROR $*"
  dmesg | tail -n 30
  echo "XVIO-DONE rc=99"
  sync; poweroff -f; sleep 5; exit 1
}

# --- parameters: xvio.KEY=VALUE from /proc/cmdline become P_KEY
CMDLINE=$(cat /proc/cmdline)
for w in $CMDLINE; do
  case "$w" in
    xvio.*=*)
      k=${w%%=*}; k=${k#xvio.}; v=${w#*=}
      case "$k" in ''|*[!a-z0-9_]*) continue ;; esac
      eval "P_$k=\$v" ;;
  esac
done
case "$CMDLINE" in
  *'xvio.cmd="'*) P_cmd=$(echo "$CMDLINE" | sed -n 's/.*xvio\.cmd="\([^"]*\)".*/\1/p') ;;
esac
if [ -n "${P_cmd64:-}" ]; then P_cmd=$(echo "$P_cmd64" | base64 -d) || die "bad xvio.cmd64"; fi
MODE=${P_mode:-}
if [ -z "$MODE" ]; then if [ -n "${P_cmd:-}" ]; then MODE=cmd; else MODE=serve; fi; fi

# --- drivers
while read -r m; do
  insmod "/lib/xvio/$m" || die "insmod $m failed"
done < /lib/xvio/modules

i=0
while [ ! -e /sys/class/net/eth0 ]; do
  i=$((i + 1)); [ $i -gt 300 ] && die "no eth0 after 30s"
  sleep 0.1
done

# --- eth0
ip link set lo up
[ -n "${P_mtu:-}" ] && { ip link set eth0 mtu "$P_mtu" || die "mtu $P_mtu"; }
[ -n "${P_ip:-}" ] && { ip addr add "$P_ip" dev eth0 || die "ip addr $P_ip"; }
ip link set eth0 up || die "link up"
if [ -n "${P_peermac:-}" ] && [ -n "${P_peer:-}" ]; then
  ip neigh replace "$P_peer" lladdr "$P_peermac" dev eth0 nud permanent || die "neigh"
fi
i=0
while [ "$(cat /sys/class/net/eth0/operstate 2>/dev/null)" != up ]; do
  i=$((i + 1)); [ $i -gt 100 ] && { echo "XVIO-WARN eth0 operstate $(cat /sys/class/net/eth0/operstate) after 10s"; break; }
  sleep 0.1
done
RXQ=$(ls -d /sys/class/net/eth0/queues/rx-* 2>/dev/null | wc -l)
TXQ=$(ls -d /sys/class/net/eth0/queues/tx-* 2>/dev/null | wc -l)
echo "XVIO-INFO kver=$(uname -r) cpus=$(nproc) mac=$(cat /sys/class/net/eth0/address) mtu=$(cat /sys/class/net/eth0/mtu) ip=${P_ip:-none} mode=$MODE"
echo "XVIO-QUEUES rx=$RXQ tx=$TXQ"
echo "XVIO-READY uptime=$(cut -d' ' -f1 /proc/uptime)"

serve() {
  # stay up answering pings; eval shell lines that arrive on the serial console
  stty -echo 2>/dev/null
  echo "XVIO-SERVE"
  while :; do
    if IFS= read -r line; then eval "$line"; else sleep 1; fi
  done
}

finish() {
  echo "XVIO-DONE rc=$1"
  if [ "${P_then:-poweroff}" = serve ]; then serve; fi
  sync; poweroff -f; sleep 5; exit "$1"
}

case "$MODE" in
  serve) serve ;;
  ping)
    [ -n "${P_peer:-}" ] || die "ping needs xvio.peer"
    if [ -n "${P_waitpeer:-}" ]; then
      end=$(( $(cut -d. -f1 /proc/uptime) + P_waitpeer ))
      while :; do
        if ping -c 1 -W 1 "$P_peer" >/dev/null 2>&1; then echo "XVIO-PEER-UP"; break; fi
        if [ "$(cut -d. -f1 /proc/uptime)" -ge "$end" ]; then echo "XVIO-PEER-TIMEOUT"; break; fi
      done
    fi
    q=""; [ "${P_quiet:-0}" = 1 ] && q=-q
    ping $q -c "${P_count:-5}" -i "${P_interval:-0.2}" -s "${P_size:-56}" -W "${P_pingwait:-2}" \
      "$P_peer" > /tmp/ping.out 2>&1
    rc=$?
    cat /tmp/ping.out
    set -- $(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\1 \2/p' /tmp/ping.out)
    echo "XVIO-PING sent=${1:-0} received=${2:-0}"
    finish $rc ;;
  cmd)
    echo "XVIO-CMD-BEGIN"
    sh -c "$P_cmd"
    rc=$?
    echo "XVIO-CMD-END rc=$rc"
    finish $rc ;;
  *) die "unknown xvio.mode=$MODE" ;;
esac
INIT
chmod 755 "$ROOT/init"

# ---------------------------------------------------------------- archive (atomic)
TMPOUT="$OUT.tmp.$$"
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) \
  | gzip -6n > "$TMPOUT"
mv -f "$TMPOUT" "$OUT"
echo "$KERNEL" > "${OUT%.cpio.gz}.kernel.tmp.$$"
mv -f "${OUT%.cpio.gz}.kernel.tmp.$$" "${OUT%.cpio.gz}.kernel"
echo "guest-initramfs: $OUT ($(stat -c %s "$OUT") bytes) kernel=$KERNEL modules=${MODS[*]##*/}" >&2
