package io.xvio.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code xvio tnl routes [add DST/LEN BRIDGE [GW] | del DST/LEN]}, {@code xvio tnl neigh [set BRIDGE IP MAC | flush
 * [BRIDGE]]}: the underlay's routes and neighbour caches (issue 16), as OVS's ovs/route/show, ovs/route/add,
 * ovs/route/del, tnl/neigh/show, tnl/neigh/set and tnl/neigh/flush.
 */
@Command(name = "tnl", mixinStandardHelpOptions = true,
        description = {"Tunnel underlay: 'tnl routes' (the route table), 'tnl neigh' (next hops' MACs, STATIC or DYNAMIC),",
                "'tnl routes add DST/LEN BRIDGE [GW]' (a route through an underlay bridge, to a gateway on its network or on its link;",
                "  until restart), 'tnl routes del DST/LEN' (removes one added so),",
                "'tnl neigh set BRIDGE IP MAC' (a static neighbour: never aged, never changed by ARP/ND),",
                "'tnl neigh flush [BRIDGE]' (forgets the neighbours, static ones too)."})
final class TnlCli extends Main.ClientCmd {
    @Parameters(index = "0", paramLabel = "routes|neigh") String what;
    @Parameters(index = "1..*", arity = "0..*", paramLabel = "add DST/LEN BRIDGE [GW] | del DST/LEN | set BRIDGE IP MAC | flush [BRIDGE]") List<String> rest;
    @CommandLine.Mixin Main.FormatOption fmt;

    @Override Format format() { return fmt.format; }

    @Override
    List<String> request() {
        List<String> r = new ArrayList<>(List.of("tnl", what));
        if (rest != null) r.addAll(rest);
        return r;
    }
}
