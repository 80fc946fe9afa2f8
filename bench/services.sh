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
