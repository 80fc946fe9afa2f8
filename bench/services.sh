# Sourced by bench/loopback: the flow tables of the cases that exercise the datapath's services.
# Generator traffic (testpmd io mode, bounced unchanged): UDP 198.18.0.1:9 -> 198.18.0.2:9 on both ports.
#   acl     an ACL of 100 source x 100 destination prefixes written as 200 conjunctive flows (conjunction/conj_id,
#           as OpenStack's and OVN's ACLs over address sets), which the traffic matches; then the in_port outputs
#   select  every packet through a select group of 4 buckets (all to the other port)

acl_flows() {
  local i
  for i in $(seq 0 99); do
    if [ "$i" = 0 ]; then echo "priority=100,ip,nw_src=198.18.0.1,actions=conjunction(1,1/2)"
    else echo "priority=100,ip,nw_src=10.$((i / 256)).$((i % 256)).0/24,actions=conjunction(1,1/2)"; fi
  done
  for i in $(seq 0 99); do
    if [ "$i" = 0 ]; then echo "priority=100,ip,nw_dst=198.18.0.2,actions=conjunction(1,2/2)"
    else echo "priority=100,ip,nw_dst=172.16.$i.0/24,actions=conjunction(1,2/2)"; fi
  done
  echo "priority=100,conj_id=1,in_port=1,ip,actions=output:2"
  echo "priority=100,conj_id=1,in_port=2,ip,actions=output:1"
  echo "priority=0,actions=drop"
}

select_groups() {
  echo "group_id=1,type=select,bucket=output:2,bucket=output:2,bucket=output:2,bucket=output:2"
  echo "group_id=2,type=select,bucket=output:1,bucket=output:1,bucket=output:1,bucket=output:1"
}

select_flows() {
  echo "in_port=1,actions=group:1"
  echo "in_port=2,actions=group:2"
}

# conntrack: the security-group shape. Every IP packet goes through ct(commit,zone=1) and back into table 1,
# where +trk+est (and, for the first packets, +trk+new) is forwarded to the other port. The generator runs in
# 5tswap mode: each packet comes back with its addresses and ports swapped, so the connection sees both
# directions and is established from the second packet on.
conntrack_flows() {
  echo "table=0,priority=10,ip,actions=ct(commit,zone=1,table=1)"
  echo "table=0,priority=0,actions=drop"
  echo "table=1,priority=10,ip,ct_state=+trk+est,in_port=1,actions=output:2"
  echo "table=1,priority=10,ip,ct_state=+trk+est,in_port=2,actions=output:1"
  echo "table=1,priority=5,ip,ct_state=+trk+new,in_port=1,actions=output:2"
  echo "table=1,priority=5,ip,ct_state=+trk+new,in_port=2,actions=output:1"
  echo "table=1,priority=0,actions=drop"
}

# conntrack-setup: connection setup rate. Every IP packet is committed (ct(commit) with a ct_mark set by exec) in a
# zone of its input port (so the two generator ports never share a connection) and recirculated; in table 1 a new
# connection whose packet carries ct_mark=1 was committed by this very packet (a packet that could not be committed,
# e.g. at the limit, has mark 0; with 2^24 destinations per port and 1-second UDP timeouts no tuple comes back while
# its connection lives), and its flow's n_packets counts setups; every other packet is forwarded all the same. The
# generator runs flowgen over CT_SETUP_FLOWS destination addresses (open loop).
CT_SETUP_FLOWS=16777216 CT_SETUP_CAPACITY=4194304 CT_SETUP_TIMEOUT=1
conntrack_setup_flows() {
  echo "table=0,priority=10,ip,in_port=1,actions=ct(commit,zone=1,exec(set_field:1->ct_mark),table=1)"
  echo "table=0,priority=10,ip,in_port=2,actions=ct(commit,zone=2,exec(set_field:1->ct_mark),table=1)"
  echo "table=0,priority=0,actions=drop"
  echo "table=1,priority=10,ip,ct_state=+trk+new,ct_mark=1,in_port=1,actions=output:2"
  echo "table=1,priority=10,ip,ct_state=+trk+new,ct_mark=1,in_port=2,actions=output:1"
  echo "table=1,priority=5,ip,in_port=1,actions=output:2"
  echo "table=1,priority=5,ip,in_port=2,actions=output:1"
  echo "table=1,priority=0,actions=drop"
}

# the xvio config's conntrack section for conntrack-setup: the table, and UDP timeouts of CT_SETUP_TIMEOUT seconds
conntrack_setup_xvio_yaml() {
  local t=$CT_SETUP_TIMEOUT
  echo "conntrack: {capacity: $CT_SETUP_CAPACITY, timeouts: {udp_first: $t, udp_single: $t, udp_multiple: $t}}"
}
# the JVM needs room for the table (~192 bytes a connection)
CT_SETUP_JVM_OPTS="-Xms1536m -Xmx1536m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+AlwaysPreTouch"

# OVS the same: maxconns = the xvio table's capacity, a timeout policy with the same UDP timeouts for zones 1 and 2
conntrack_setup_ovs() {
  local t=$CT_SETUP_TIMEOUT
  ovs-appctl -t "$ovs_ctl" dpctl/ct-set-maxconns "$CT_SETUP_CAPACITY" >/dev/null
  $ovs_vsctl -- --id=@dp create Datapath datapath_version=0 -- set Open_vSwitch . datapaths:netdev=@dp >/dev/null
  for z in 1 2; do $ovs_vsctl add-zone-tp netdev zone=$z udp_first=$t udp_single=$t udp_multiple=$t; done
}

# committed setups so far: the n_packets of the ct_mark=1 flows in a dump-flows listing on stdin
ct_setups_committed() { grep 'ct_mark=0x1' | sed -n 's/.*n_packets=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}'; }
