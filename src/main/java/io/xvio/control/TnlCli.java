package io.xvio.control;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** {@code xvio tnl routes}, {@code xvio tnl neigh [flush]}: the underlay's routes and neighbour caches (issue 16). */
@Command(name = "tnl", mixinStandardHelpOptions = true,
        description = "Tunnel underlay: 'tnl routes' (the route table), 'tnl neigh' (next hops' MACs), 'tnl neigh flush'.")
final class TnlCli extends Main.ClientCmd {
    @Parameters(index = "0", paramLabel = "routes|neigh") String what;
    @Parameters(index = "1", arity = "0..1", paramLabel = "flush") String flush;

    @Override
    List<String> request() {
        List<String> r = new ArrayList<>(List.of("tnl", what));
        if (flush != null) r.add(flush);
        return r;
    }
}
