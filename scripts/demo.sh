#!/bin/bash
# The xvio demo: builds xvio, starts it with two vhost-user ports cross-connected by flows, attaches DPDK
# testpmd's virtio-user driver to both ports (a real virtio-net driver, as a VM's DPDK app would use), sends
# traffic in a closed loop and prints xvio's live per-port counters, then stops everything cleanly.
#   usage: scripts/demo.sh [SECONDS] [FRAME_BYTES]     (defaults: 10 s, 64-byte frames)
# Works on a fresh Debian 12 machine as root: installs what it needs, finds JDK 25.
set -euo pipefail
. "$(dirname "$0")/env.sh"
secs=${1:-10}
frame=${2:-64}
xvio_setup demo
xvio_build

work=$(mktemp -d /tmp/xvio-demo.XXXXXX)
xvio_pid="" tp_pid=""
cleanup() {
  [ -n "$tp_pid" ] && kill "$tp_pid" 2>/dev/null && wait "$tp_pid" 2>/dev/null || true
  [ -n "$xvio_pid" ] && kill -TERM "$xvio_pid" 2>/dev/null && wait "$xvio_pid" 2>/dev/null || true
  rm -rf "$work" "/var/run/dpdk/xvdemo$$"
}
trap cleanup EXIT INT TERM

ncpu=$(nproc)
pmd_cpu=$(( ncpu > 1 ? 1 : 0 ))
cat > "$work/xvio.yaml" <<YAML
pmd-cpus: [$pmd_cpu]
bridges:
  br0:
    ports:
      vhA: {type: vhostuser, path: $work/vhA.sock, mode: server, ofport: 1}
      vhB: {type: vhostuser, path: $work/vhB.sock, mode: server, ofport: 2}
    flows:
      - in_port=1,actions=output:2
      - in_port=2,actions=output:1
YAML
ctl="$work/xvio.ctl"
echo "== xvio config ($work/xvio.yaml):"; cat "$work/xvio.yaml"
"$xvio_root/bin/xvio" daemon --config "$work/xvio.yaml" --control "$ctl" 2> >(sed 's/^/[xvio] /' >&2) &
xvio_pid=$!
for _ in $(seq 100); do "$xvio_root/bin/xvio" show -c "$ctl" >/dev/null 2>&1 && break; sleep 0.1; done

echo "== starting testpmd: 2 virtio-user ports on CPU 0, closed loop, ${frame}-byte frames"
mkfifo "$work/tp.in"
exec 3<>"$work/tp.in"
dpdk-testpmd --lcores '0@0,1@0' --no-huge -m 1024 --no-pci --no-telemetry --file-prefix=xvdemo$$ \
  --vdev "net_virtio_user0,path=$work/vhA.sock,queues=1" \
  --vdev "net_virtio_user1,path=$work/vhB.sock,queues=1" -- -i \
  --total-num-mbufs=16384 --forward-mode=io --nb-cores=1 --burst=32 --txd=1024 --rxd=1024 \
  --txpkts="$frame" <&3 > "$work/testpmd.log" 2>&1 &
tp_pid=$!
for _ in $(seq 300); do grep -q "testpmd> " "$work/testpmd.log" 2>/dev/null && break; sleep 0.1; done
echo "start tx_first 16" >&3
rx0=$("$xvio_root/bin/xvio" stats -c "$ctl" | awk -F'[ =]' '/rx_packets/ {s+=$6} END {print s+0}')
t0=$(date +%s.%N)
for i in $(seq "$secs"); do
  sleep 1
  echo "== xvio stats after ${i} s"
  "$xvio_root/bin/xvio" stats -c "$ctl"
done
rx1=$("$xvio_root/bin/xvio" stats -c "$ctl" | awk -F'[ =]' '/rx_packets/ {s+=$6} END {print s+0}')
t1=$(date +%s.%N)
echo "stop" >&3; sleep 1
echo "show port stats all" >&3; sleep 1
echo "quit" >&3
wait "$tp_pid" 2>/dev/null || true; tp_pid=""
echo "== testpmd's own counters:"; grep -E "RX-packets|TX-packets" "$work/testpmd.log" | tail -4
awk -v a="$rx0" -v b="$rx1" -v t0="$t0" -v t1="$t1" -v f="$frame" \
  'BEGIN { r=(b-a)/(t1-t0); printf "== xvio forwarded %.2f Mpps (%.2f Gbit/s of %d-byte frames), both directions together\n", r/1e6, r*f*8/1e9, f }'
"$xvio_root/bin/xvio" pmd-stats -c "$ctl"
echo "== stopping xvio"
kill -TERM "$xvio_pid"; wait "$xvio_pid" || true; xvio_pid=""
