# The traffic generator the rigs share: dpdk-testpmd in interactive mode, its forwarding lcore on CPU 0 (the DUT
# gets CPU 1), driven through a fifo held open on fd 4 (so a `sleep` between commands keeps its stdin alive).
# Sourced by bench/loopback (and its case files), bench/relay and bench/uplink.

# gen_start LOG PREFIX TESTPMD_ARGS...: starts testpmd with the common EAL options (no hugepages, no PCI, file
# prefix PREFIX) and TESTPMD_ARGS (vdevs, then `-- -i ...`), output to LOG; returns at its prompt. Sets gen_pid.
gen_start() {
  local glog=$1 prefix=$2; shift 2
  local fifo="$glog.in"
  rm -f "$fifo"; mkfifo "$fifo"; exec 4<>"$fifo"
  stdbuf -oL dpdk-testpmd --lcores '0@0,1@0' --no-huge -m 1024 --no-pci --no-telemetry --file-prefix="$prefix" \
    "$@" <&4 >"$glog" 2>&1 &
  gen_pid=$!
  for _ in $(seq 300); do grep -q "testpmd> " "$glog" && break; sleep 0.1; done
}

# gen_cmd COMMAND...: one testpmd command line
gen_cmd() { echo "$*" >&4; }

# gen_stop: stops forwarding and quits testpmd (killed if it has not exited after 10 s); closes the fifo
gen_stop() {
  echo "stop" >&4; sleep 0.5; echo "quit" >&4
  for _ in $(seq 100); do kill -0 "$gen_pid" 2>/dev/null || break; sleep 0.1; done
  kill "$gen_pid" 2>/dev/null || true; wait "$gen_pid" 2>/dev/null || true
  exec 4>&-
}

# the testpmd options every rig's generator uses after `-- -i`
GEN_OPTS=(--total-num-mbufs=16384 --nb-cores=1 --burst=32 --txd=1024 --rxd=1024)
