# bench/loopback's ovn case (sourced by it): OVN's logical pipeline as ovn-controller programs it, one logical switch
# with the generator's two ports as VIFs (ofports 1 and 2) and a security group (stateful ACLs: every packet through
# conntrack in the ingress port's zone and in the egress port's), the same tables on both DUTs: bench/ovn/flows.txt
# (made by bench/ovn-flows, checked in), loaded with ovs-ofctl -O OpenFlow15 over each DUT's OpenFlow socket. The
# generator in mac mode: each port sends to the other's MAC from its own, so OVN's L2 lookup takes every frame to the
# other VIF. Both ports send the same UDP 5-tuple (198.18.0.1:9 -> 198.18.0.2:9); after the first frames each way its
# connection exists in both ports' zones, so every packet is +est in both ct() lookups. (5tswap would send a swapped
# frame back through the port it left by, which OVN drops as a hairpin.)

ovn_flows_file() { echo "$here/bench/ovn/flows.txt"; }

# ovn_load TARGET (an ovs-ofctl target: unix:.../br0.mgmt or an OVS bridge name): OVN's tables replace the bridge's
ovn_load() {
  local f; f=$(ovn_flows_file)
  [ -f "$f" ] || { log "ovn case: $f is missing (bench/ovn-flows makes it)"; return 1; }
  ovs-ofctl -O OpenFlow15 --timeout=30 del-flows "$1"
  ovs-ofctl -O OpenFlow15 --timeout=60 add-flows "$1" "$f"
  log "ovn case: $(ovs-ofctl -O OpenFlow15 --timeout=30 dump-flows "$1" | grep -c 'table=') of OVN's flows on $1"
}
