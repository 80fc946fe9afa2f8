# Sourced by bench/loopback: the "vxlan" case (issue 16's rig case through a tunnel). Open loop, one direction:
#   testpmd txonly (one virtio-user port, CPU 0; UDP 198.18.0.1 -> 198.18.0.2)
#     -> DUT (CPU 1): vhost-user port -> VXLAN port (VNI 100, remote 198.19.1.2) -> encapsulation -> af_xdp port
#     -> veth (MTU 1600: a 1500-byte frame plus 50 bytes of outer headers fits)
#     -> namespace: the kernel's VXLAN device (id 100, nolearning) decapsulates during the warm-up (the run fails
#     unless it decapsulated frames: proof they are VXLAN VNI 100 to a real VTEP); for the measured window the
#     namespace drops them, and the rate is the frames the veth delivered (the peer's rx_packets, counted when the
#     veth transmits). The namespace stands for the remote host, but its receive work runs on the DUT's CPU (the
#     veth's receive runs in the sender's softirq), so the window drops each frame as early as the kernel can:
#     --vxlan-drop ingress (default): an nftables netdev ingress rule on the peer drops IPv4 UDP to port 4789
#     before the IP layer (ARP still answered); --vxlan-drop route (sessions 12-23): the namespace removes
#     198.19.1.2, so the kernel drops each frame at the route lookup (an uncached error route and an ICMP rate
#     check per frame: ~400 ns of the DUT's CPU a frame, the same for both DUTs); decapsulating in the kernel
#     costs ~1 us a frame and made both DUTs measure the kernel (~0.9 Mpps each, session 12).
# DUTs: xvio (br-int: vhost-user + vxlan port; br-phy: ip 198.19.1.1/24, afxdp uplink; xvio resolves the
# kernel's MAC by ARP itself) and OVS-DPDK 3.1 as its userspace-tunneling howto says (br-int with a dpdkvhostuser
# port and a vxlan port, br-phy with DPDK's net_af_xdp port on the veth and 198.19.1.1/24 on its LOCAL port, the
# next hop's MAC set with tnl/neigh/set, br-phy forwarding LOCAL -> uplink by a flow). The veth's softirq work (the
# kernel's decapsulation) runs on the CPU that transmits, the DUT's, for both DUTs alike. testpmd as a DUT has no
# tunnels: the case skips it.
# Needs: $work, log. Uses: ovs.sh's ovs_vsctl/ovs_ctl.
tnl_ns="" tnl_up="" tnl_peer=""
tnl_frames() { ip netns exec "$tnl_ns" cat /sys/class/net/vx100/statistics/rx_packets; }
tnl_delivered() { ip netns exec "$tnl_ns" cat "/sys/class/net/$tnl_peer/statistics/rx_packets"; }

# the namespace with the kernel VTEP, once per bench run
tunnel_world_up() {
  [ -n "$tnl_ns" ] && return 0
  tnl_ns=xvt$$ tnl_up=xt$$a tnl_peer=xt$$b
  ip netns add "$tnl_ns"
  ip link add "$tnl_up" mtu 1600 type veth peer name "$tnl_peer" mtu 1600 netns "$tnl_ns"
  # AF_XDP carries no checksum or GSO state; nothing comes back but ARP replies
  ip link set "$tnl_up" up
  ip -n "$tnl_ns" addr add 198.19.1.2/24 dev "$tnl_peer"
  ip -n "$tnl_ns" link set "$tnl_peer" up
  ip -n "$tnl_ns" link add vx100 type vxlan id 100 remote 198.19.1.1 local 198.19.1.2 dstport 4789 dev "$tnl_peer" nolearning
  ip -n "$tnl_ns" link set vx100 up
  tnl_peer_mac=$(ip -n "$tnl_ns" -br link show "$tnl_peer" | awk '{print $3}')
}

tunnel_world_down() {
  [ -n "$tnl_ns" ] || return 0
  ip link del "$tnl_up" 2>/dev/null || true
  ip netns del "$tnl_ns" 2>/dev/null || true
  tnl_ns=""
}

# the measured window's drop (--vxlan-drop): on before the window, off after it (the VTEP decapsulates again)
tnl_drop_on() {
  if [ "${vxlan_drop:-ingress}" = route ]; then ip -n "$tnl_ns" addr del 198.19.1.2/24 dev "$tnl_peer"; return; fi
  ip netns exec "$tnl_ns" nft -f - <<NFT
table netdev xvbench {
  chain in { type filter hook ingress device "$tnl_peer" priority 0; ip protocol udp udp dport 4789 drop; }
}
NFT
}
tnl_drop_off() {
  if [ "${vxlan_drop:-ingress}" = route ]; then ip -n "$tnl_ns" addr add 198.19.1.2/24 dev "$tnl_peer"; return; fi
  ip netns exec "$tnl_ns" nft delete table netdev xvbench
}

# gen_vxlan SOCK FRAME -> "frames seconds" decapsulated by the namespace's kernel over the window
gen_vxlan() {
  local sock=$1 frame=$2 glog="$work/gen.log"
  local before
  gen_start "$glog" "xvbg$$" --vdev "net_virtio_user0,path=$sock,queues=1,mac=02:00:00:00:00:0a" -- -i "${GEN_OPTS[@]}" \
    --forward-mode=txonly --eth-peer=0,02:00:00:00:00:0b --txpkts="$frame"
  before=$(tnl_frames)
  gen_cmd "start"; sleep "$warmup"
  local c0 c1 t0 t1 decap=$(( $(tnl_frames) - before ))
  if [ "$smoke" = 1 ]; then
    eval "${on_measure:-true}"
    c0=$before; t0=$(date +%s.%N)   # the smoke run counts decapsulated frames from the first: did any arrive at all
    sleep "$duration"
    c1=$(tnl_frames); t1=$(date +%s.%N)
  elif [ "$decap" -le 0 ]; then
    log "  the namespace's VTEP decapsulated no frame in the warm-up: not counted"
    c0=0 c1=0 t0=0 t1=1
  else
    tnl_drop_on
    eval "${on_measure:-true}"
    sleep 0.5
    c0=$(tnl_delivered); t0=$(date +%s.%N)
    sleep "$duration"
    c1=$(tnl_delivered); t1=$(date +%s.%N)
    tnl_drop_off
  fi
  gen_stop
  cp "$glog" "$work/gen-last.log"
  echo "$((c1 - c0)) $(echo "$t1 - $t0" | bc -l)"
}

# xvio's configuration for the case (pk: packed true|false)
vxlan_xvio_yaml() {
  local d=$1 pk=$2
  ip link set "$tnl_up" xdp off 2>/dev/null || true   # nothing a previous DUT left attached
  printf '%s\n' "pmd-cpus: [1]" "pmd-idle: busy" "bridges:" "  br-int:" "    ports:" \
    "      vhA: {type: vhostuser, path: $d/a.sock, ofport: 1, packed: $pk, offloads: false}" \
    "      vx0: {type: vxlan, remote_ip: 198.19.1.2, key: 100, ofport: 10}" \
    "    flows: [\"in_port=1,actions=output:10\"]" \
    "  br-phy:" "    ip: 198.19.1.1/24" "    ports:" \
    "      up0: {type: afxdp, device: $tnl_up, queue: 0, ofport: 1}"
}

# waits (up to 15 s) until xvio's vx0 is up: route and next hop resolved (ARP answered by the namespace)
vxlan_xvio_ready() {
  local xbin=$1 ctl=$2
  for _ in $(seq 150); do
    "$xbin" show -c "$ctl" 2>/dev/null | grep -q "vx0 type=vxlan status=up" && return 0
    sleep 0.1
  done
  log "  xvio's vx0 is not up:"; "$xbin" show -c "$ctl" | grep -A3 "vx0\|up0" >&2 || true
}

# OVS-DPDK's side: call after start_ovs (bridge xvb0 with the vhost-user ports); adds vx0, br-phy xvp$$ and its uplink
vxlan_ovs_setup() {
  local phy=xvp$$ devargs="net_af_xdp0,iface=$tnl_up,start_queue=0,queue_count=1"
  ip link set "$tnl_up" xdp off 2>/dev/null || true
  $ovs_vsctl add-port xvb0 vx0 -- set Interface vx0 type=vxlan options:remote_ip=198.19.1.2 options:key=100 ofport_request=10
  $ovs_vsctl add-br "$phy" -- set bridge "$phy" datapath_type=netdev
  $ovs_vsctl add-port "$phy" up0 -- set Interface up0 type=dpdk "options:dpdk-devargs=$devargs" mtu_request=1600 ofport_request=1 \
    || { log "  OVS could not add the af_xdp port"; grep -i "error\|fail" "$ovs_db/vsd.log" | tail -3 >&2; return 1; }
  vxlan_ovs_endpoint "$phy" "$tnl_peer_mac"
}

# vxlan_ovs_endpoint PHY MAC: the tunnel endpoint 198.19.1.1 on br-phy PHY's LOCAL port (its route), the remote's
# MAC set statically (tnl/neigh/set), and the flows: xvb0's port 1 into vx0, br-phy's LOCAL out of its uplink
vxlan_ovs_endpoint() {
  local phy=$1 mac=$2
  ip addr add 198.19.1.1/24 dev "$phy"
  ip link set "$phy" up
  ovs-appctl -t "$ovs_ctl" ovs/route/add 198.19.1.0/24 "$phy" >/dev/null 2>&1 || true
  ovs-appctl -t "$ovs_ctl" tnl/neigh/set "$phy" 198.19.1.2 "$mac" >/dev/null
  ovs-ofctl --timeout=30 del-flows xvb0
  ovs-ofctl add-flow xvb0 in_port=1,actions=output:10
  ovs-ofctl add-flow "$phy" priority=10,in_port=LOCAL,actions=output:1
  ovs-ofctl add-flow "$phy" priority=0,actions=NORMAL
}

# undoes what vxlan_ovs_setup added outside OVS (the br-phy tap outlives a killed ovs-vswitchd)
vxlan_ovs_teardown() {
  ip link del xvp$$ 2>/dev/null || true
}

# ---------------------------------------------------------------- vxlan-vhost
# The "vxlan-vhost" case: the same encapsulation with no kernel in the path. br-phy's uplink is a vhost-user port
# connected to the generator's second virtio-user port, and the next hop's MAC is set statically (xvio:
# `tnl neigh set`; OVS-DPDK: `tnl/neigh/set`), since nothing on that port answers ARP:
#   testpmd (CPU 0): net_null0 (port 0: a frame source, zeroed FRAME-byte frames) -io-> virtio-user0 (port 1)
#     -> DUT (CPU 1): vhost-user vhA -> br-int in_port=1,actions=output:vx0 -> VXLAN VNI 100 to 198.19.1.2
#        -> br-phy (198.19.1.1/24) -> vhost-user up0
#     -> testpmd virtio-user1 (port 2) -io-> net_null0 (dropped)
# testpmd runs io forwarding over a chain of its three ports (0 -> 1 -> 2 -> 0): the null port's receive is the
# traffic source (testpmd's txonly would send from both virtio-user ports; flowgen too), the uplink's frames are
# received, counted and dropped. The rate is the uplink port's RX-packets over the window; a run counts only if
# RX-bytes = RX-packets x (FRAME + 50) (every frame received is a VXLAN-over-IPv4 encapsulation of a FRAME-byte
# frame: 14 + 20 + 8 + 8 bytes of outer headers), and the smoke run checks the same from the first frame.
# The uplink has a 1600-byte MTU on both DUTs (xvio: the port's mtu: 1600; OVS-DPDK: mtu_request=1600), as the
# vxlan case's veth: a 1500-byte frame (IP 1486) plus 36 bytes of outer IP/UDP/VXLAN fits; frames over 1564 bytes
# (1600 - 36) do not and are skipped for both DUTs. No kernel VTEP checks the frames here (the vxlan case has one).
VXLAN_OVERHEAD=50 VXLAN_VHOST_MTU=1600 VXLAN_VHOST_MAX_FRAME=1564 VXLAN_PEER_MAC=02:00:00:00:00:0b

# gen_vxlan_vhost VMSOCK UPSOCK FRAME -> "frames seconds" received encapsulated on the uplink's port
gen_vxlan_vhost() {
  local vm=$1 up=$2 frame=$3 glog="$work/gen.log" vq=""
  [ "$packed" = 1 ] && vq=",packed_vq=1"
  gen_start "$glog" "xvbg$$" --vdev "net_null0,size=$frame,copy=1" \
    --vdev "net_virtio_user0,path=$vm,queues=1,mac=02:00:00:00:00:0a$vq" \
    --vdev "net_virtio_user1,path=$up,queues=1,mac=$VXLAN_PEER_MAC$vq" -- -i "${GEN_OPTS[@]}" \
    --forward-mode=io --port-topology=chained
  # the chain needs port 1 = the VM side and port 2 = the uplink (vdevs are probed in command-line order)
  if ! grep -qi "Port 1: 02:00:00:00:00:0a" "$glog" || ! grep -qi "Port 2: $VXLAN_PEER_MAC" "$glog"; then
    log "  the generator's ports are not in the expected order (null, VM, uplink):"; grep -i "^Port [0-9]:" "$glog" >&2 || true
    gen_stop
    echo "0 1"; return
  fi
  gen_cmd "start"; sleep "$warmup"
  eval "${on_measure:-true}"
  sleep 0.5
  # the smoke run counts from the first frame: did any arrive at all, and are they all VXLAN-sized
  [ "$smoke" = 1 ] || gen_cmd "clear port stats all"
  local t0 t1; t0=$(date +%s.%N)
  sleep "$duration"
  gen_cmd "show port stats 2"; t1=$(date +%s.%N)
  sleep 0.5
  gen_stop
  cp "$glog" "$work/gen-last.log"
  local pk by
  read -r pk by < <(awk '/show port stats 2/ {f=1} f && /NIC statistics for port 2/ {n=1}
    n && /RX-packets:/ {for (i = 1; i < NF; i++) { if ($i == "RX-packets:") p = $(i+1); if ($i == "RX-bytes:") b = $(i+1) }; printf "%.0f %.0f\n", p, b; exit}' "$glog") || true
  pk=${pk:-0} by=${by:-0}
  local want=$(( pk * (frame + VXLAN_OVERHEAD) ))
  if [ "$pk" -gt 0 ] && [ "$by" -eq "$want" ]; then
    log "  uplink received $pk frames, $by bytes = $pk x ($frame + $VXLAN_OVERHEAD): VXLAN-encapsulated"
  else
    log "  uplink received $pk frames, $by bytes, not $pk x ($frame + $VXLAN_OVERHEAD) = $want: not counted"
    pk=0
  fi
  echo "$pk $(echo "$t1 - $t0" | bc -l)"
}

# xvio's configuration for vxlan-vhost: br-phy's uplink is a vhost-user port (the generator's third port)
vxlan_vhost_xvio_yaml() {
  local d=$1 pk=$2
  printf '%s\n' "pmd-cpus: [1]" "pmd-idle: busy" "bridges:" "  br-int:" "    ports:" \
    "      vhA: {type: vhostuser, path: $d/a.sock, ofport: 1, packed: $pk, offloads: false}" \
    "      vx0: {type: vxlan, remote_ip: 198.19.1.2, key: 100, ofport: 10}" \
    "    flows: [\"in_port=1,actions=output:10\"]" \
    "  br-phy:" "    ip: 198.19.1.1/24" "    ports:" \
    "      up0: {type: vhostuser, path: $d/b.sock, ofport: 1, packed: $pk, mtu: $VXLAN_VHOST_MTU, offloads: false}"
}

# the static neighbour (nothing answers ARP on the generator's port), then waits until vx0 is up
vxlan_vhost_xvio_ready() {
  local xbin=$1 ctl=$2
  "$xbin" tnl neigh set br-phy 198.19.1.2 "$VXLAN_PEER_MAC" -c "$ctl" || log "  xvio refused tnl neigh set"
  vxlan_xvio_ready "$xbin" "$ctl"
  "$xbin" tnl neigh -c "$ctl" | grep 198.19.1.2 | sed 's/^/[bench]   xvio: /' >&2 || true
}

# OVS-DPDK's side, as its userspace-tunneling howto with a static neighbour: call after start_ovs (bridge xvb0 with
# the vhost-user ports xvbA/xvbB); moves xvbB to br-phy xvp$$ as its uplink, adds vx0, the endpoint address on
# br-phy's LOCAL port (its route), tnl/neigh/set, and the flows
vxlan_vhost_ovs_setup() {
  local phy=xvp$$ up=xvbB$$
  $ovs_vsctl del-port xvb0 "$up"
  $ovs_vsctl add-port xvb0 vx0 -- set Interface vx0 type=vxlan options:remote_ip=198.19.1.2 options:key=100 ofport_request=10
  $ovs_vsctl add-br "$phy" -- set bridge "$phy" datapath_type=netdev
  $ovs_vsctl add-port "$phy" "$up" -- set Interface "$up" type=dpdkvhostuser ofport_request=1 mtu_request=$VXLAN_VHOST_MTU
  # the LOCAL port's kernel side would send IPv6 router solicitations and MLD reports out of the uplink
  sysctl -qw "net.ipv6.conf.$phy.disable_ipv6=1" 2>/dev/null || true
  vxlan_ovs_endpoint "$phy" "$VXLAN_PEER_MAC"
  for _ in $(seq 100); do [ -S "/var/run/openvswitch/$up" ] && break; sleep 0.1; done
}
