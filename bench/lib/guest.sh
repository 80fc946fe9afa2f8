# QEMU TCG guests for the benchmark rigs, as the test suite boots them (src/test/java/io/xvio/e2e/QemuGuest.java,
# ../shared/docs/LAB.md): Debian kernel, busybox initramfs from scripts/guest-initramfs.sh in serve mode (its /init
# evals lines that arrive on the serial console), one virtio-net-pci NIC on a vhost-user socket, memfd share=on
# memory, vectors=0 (QEMU 7.2 + TCG + MSI-X + vhost-user segfaults). QEMU is the vhost-user server
# (server=on,wait=off), so a switch can be stopped and another started under a running guest; QEMU still waits
# for the first connection before it runs the guest, so the guest's driver negotiates with the switch it boots on.
# Needs: $work, $here, an array pids (cleanup kills them). Each guest has: a console log, a fifo for its console
# input and an HMP monitor socket.
declare -A guest_pid guest_fd guest_log guest_mon

# guest_image DIR: DIR/guest.cpio.gz (the test suite's initramfs plus a second cpio with iperf3 and the libraries
# ldd names; the kernel unpacks concatenated archives in order) and DIR/guest.kernel; prints nothing
guest_image() {
  local d=$1 extra="$1/extra"
  command -v iperf3 >/dev/null || {
    echo "bench: installing iperf3" >&2
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends iperf3 >/dev/null
  }
  bash "$here/scripts/guest-initramfs.sh" "$d/base.cpio.gz" 2>"$d/initramfs.log" \
    || { echo "bench: scripts/guest-initramfs.sh failed:" >&2; tail -20 "$d/initramfs.log" >&2; return 1; }
  mkdir -p "$extra/usr/bin"
  cp "$(command -v iperf3)" "$extra/usr/bin/iperf3"
  local lib
  for lib in $(ldd "$(command -v iperf3)" | awk '/=> \// {print $3} /^\t\// {print $1}'); do
    mkdir -p "$extra$(dirname "$lib")"; cp -L "$lib" "$extra$lib"
  done
  (cd "$extra" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) | gzip -6n > "$d/extra.cpio.gz"
  cat "$d/base.cpio.gz" "$d/extra.cpio.gz" > "$d/guest.cpio.gz"
  cp "$d/base.kernel" "$d/guest.kernel"
}

# guest_start NAME SOCKET IP/PREFIX MAC "DEVICE,OPTIONS" CPU: starts QEMU (1 vCPU, 256 MiB,
# every thread pinned to CPU) in the background; it runs the guest once a switch has connected to SOCKET
guest_start() {
  local name=$1 sock=$2 ip=$3 mac=$4 devopts=$5 cpu=$6 d="$work/g-$1"
  mkdir -p "$d"; rm -f "$d/in"; mkfifo "$d/in"
  local fd; exec {fd}<>"$d/in"
  local img="$work/image"
  taskset -c "$cpu" qemu-system-x86_64 -nodefaults -accel tcg -no-reboot -display none -vga none \
    -m 256M -smp 1 -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
    -kernel "$(cat "$img/guest.kernel")" -initrd "$img/guest.cpio.gz" \
    -append "console=ttyS0 panic=-1 loglevel=3 xvio.mode=serve xvio.ip=$ip" \
    -chardev stdio,id=con0,signal=off -serial chardev:con0 -monitor "unix:$d/mon.sock,server=on,wait=off" \
    -chardev "socket,id=vhu0,path=$sock,server=on,wait=off" -netdev vhost-user,id=net0,chardev=vhu0 \
    -device "virtio-net-pci,netdev=net0,mac=$mac,vectors=0$devopts" <&$fd >"$d/console.log" 2>&1 &
  guest_pid[$name]=$!; guest_fd[$name]=$fd; guest_log[$name]=$d/console.log; guest_mon[$name]=$d/mon.sock
  pids+=($!)
}

# guest_wait NAME REGEX SECONDS [FROM_BYTE]: waits for a console line matching REGEX; 1 (and the console's tail) if
# QEMU exited or the time ran out
guest_wait() {
  local name=$1 re=$2 t=$3 from=${4:-0} end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    tail -c +"$((from + 1))" "${guest_log[$name]}" | tr -d '\r' | grep -qE "$re" && return 0
    kill -0 "${guest_pid[$name]}" 2>/dev/null || { echo "bench: guest $name (QEMU) exited; console:" >&2; break; }
    sleep 0.2
  done
  [ $SECONDS -ge $end ] && echo "bench: guest $name: no /$re/ within ${t} s; console:" >&2
  tail -c 3000 "${guest_log[$name]}" | tr -d '\r' | sed "s/^/  [$name] /" >&2
  return 1
}

# guest_exec NAME "COMMAND" SECONDS: runs one shell line in the guest; prints its output; returns its exit code
# (or 124 when it did not end in time)
guest_exec() {
  local name=$1 cmd=$2 t=$3 id from
  id=$(date +%s%N)   # unique without a counter: guest_exec often runs in $(...), whose increments would be lost
  from=$(stat -c %s "${guest_log[$name]}")
  echo "echo XB-$id; ( $cmd ) 2>&1; echo XE-$id rc=\$?" >&"${guest_fd[$name]}"
  guest_wait "$name" "^XE-$id rc=[0-9]+$" "$t" "$from" 2>"$work/guest_exec.err" || { cat "$work/guest_exec.err" >&2; return 124; }
  local out; out=$(tail -c +"$((from + 1))" "${guest_log[$name]}" | tr -d '\r')
  echo "$out" | awk -v b="XB-$id" -v e="XE-$id" '$0 == b {f=1; next} index($0, e " rc=") == 1 {exit} f'
  local rc; rc=$(echo "$out" | sed -n "s/^XE-$id rc=\([0-9]*\)$/\1/p" | head -1)
  return "${rc:-125}"
}

# guest_hmp NAME "COMMAND": one HMP command on the guest's monitor (stop, cont)
guest_hmp() {
  python3 - "${guest_mon[$1]}" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
def prompt():
    b = b""
    while not b.endswith(b"(qemu) "):
        c = s.recv(4096)
        if not c: raise SystemExit("monitor closed")
        b += c
prompt(); s.sendall(sys.argv[2].encode() + b"\n"); prompt(); s.close()
PY
}

# guest_stop NAME: SIGTERM, then SIGKILL after 5 s
guest_stop() {
  local p=${guest_pid[$1]:-}
  [ -n "$p" ] || return 0
  kill "$p" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true
  local fd=${guest_fd[$1]}; exec {fd}>&- 2>/dev/null || true
  unset "guest_pid[$1]"
}
