# OVS-DPDK 3.1 (Debian openvswitch-switch-dpdk) for the benchmark rigs, started as ../shared/docs/LAB.md does:
# a fresh database under $work/ovs for every start, PMD and lcore on CPU 1, 2 MiB hugepages (OVS forces
# --in-memory, which refuses --no-huge); the previous hugepage count is restored by ovs_stop.
# Needs: $work; optional ovs_other_config (more key=value words for Open_vSwitch ., set before ovs-vswitchd starts,
# e.g. other_config:userspace-tso-enable=true); optional ovs_cpus (the CPUs of ovs-vswitchd's other threads: main,
# handlers, revalidators; default 1, with the PMD) and ovs_lcore_mask (DPDK's main lcore; default 0x2): a rig whose
# control plane works under load (bench/packetin) lets them use CPU 0 too (ovs_cpus=0-1 ovs_lcore_mask=0x1), as
# xvio's threads other than its PMD are unpinned. Sets: ovs_db, ovs_vsctl ("ovs-vsctl ... --db=..."), ovs_ctl (the vswitchd's appctl socket).
ovs_db="" hp_before="" hp_mounted=""

ovs_install() {
  [ -x /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk ] && return 0
  echo "bench: installing openvswitch-switch-dpdk" >&2
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q openvswitch-switch-dpdk >/dev/null
}

# ovs_start BRIDGE: ovsdb-server + ovs-vswitchd-dpdk with an empty netdev bridge; callers add their ports
ovs_start() {
  local br=$1 d="$work/ovs"; rm -rf "$d"; mkdir -p "$d" /var/run/openvswitch
  mkdir -p /dev/hugepages
  hp_before=$(cat /proc/sys/vm/nr_hugepages)
  echo 1024 > /proc/sys/vm/nr_hugepages
  mountpoint -q /dev/hugepages || { mount -t hugetlbfs none /dev/hugepages; hp_mounted=1; }
  ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
  ovsdb-server --remote=punix:"$d/db.sock" --pidfile="$d/ovsdb.pid" --detach --log-file="$d/ovsdb.log" "$d/conf.db"
  ovs_db="$d" ovs_br=$br
  ovs_vsctl="ovs-vsctl --timeout=30 --db=unix:$d/db.sock"
  $ovs_vsctl --no-wait init
  $ovs_vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-lcore-mask=${ovs_lcore_mask:-0x2} \
    other_config:pmd-cpu-mask=0x2 other_config:dpdk-socket-mem=1024 "other_config:dpdk-extra=--no-pci" ${ovs_other_config:-}
  taskset -c "${ovs_cpus:-1}" /usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk unix:"$d/db.sock" --pidfile="$d/vsd.pid" \
    --detach --log-file="$d/vsd.log" || { echo "bench: ovs-vswitchd did not start:" >&2; tail -5 "$d/vsd.log" >&2; return 1; }
  ovs_ctl="/var/run/openvswitch/ovs-vswitchd-dpdk.$(cat "$d/vsd.pid").ctl"
  $ovs_vsctl add-br "$br" -- set bridge "$br" datapath_type=netdev
}

# ovs_busy_ns MHZ: the PMD's average processing time per packet (cycles / MHz), or "-"
ovs_busy_ns() {
  local cyc; cyc=$(ovs-appctl -t "$ovs_ctl" dpif-netdev/pmd-stats-show | sed -n 's/.*avg processing cycles per packet: \([0-9.]*\).*/\1/p' | head -1)
  if [ -n "$cyc" ]; then echo "scale=1; $cyc * 1000 / $1" | bc -l; else echo "-"; fi
}

# stops both daemons by their pidfiles and undoes what ovs_start changed on the machine
ovs_stop() {
  [ -n "$ovs_db" ] || return 0
  local d=$ovs_db; ovs_db=""
  [ -f "$d/vsd.pid" ] && kill "$(cat "$d/vsd.pid")" 2>/dev/null || true
  [ -f "$d/ovsdb.pid" ] && kill "$(cat "$d/ovsdb.pid")" 2>/dev/null || true
  sleep 1
  ip link del "$ovs_br" 2>/dev/null || true      # the bridge's internal interface outlives a killed ovs-vswitchd
  rm -f /dev/hugepages/ovs* /dev/hugepages/rtemap_* 2>/dev/null || true
  [ -n "${hp_mounted:-}" ] && umount /dev/hugepages 2>/dev/null || true
  [ -n "${hp_before:-}" ] && echo "$hp_before" > /proc/sys/vm/nr_hugepages || true
}
