package io.xvio.control;

import java.util.List;
import java.util.Map;

/**
 * The daemon's side of {@code xvio tnl routes [add DST/LEN BRIDGE [GW] | del DST/LEN]} (OVS's ovs/route/show, add
 * and del): checks the arguments, names what is wrong, and hands the change to {@link Tunnels}. Runs under the
 * daemon's lock.
 */
final class TnlRoutes {
    private TnlRoutes() {}

    static final String USAGE = "tnl routes [add DST/LEN BRIDGE [GW] | del DST/LEN]";

    /** args: "tnl", "routes", then nothing (show; json: {"routes": [...]}), "add" DST BRIDGE [GW], or "del" DST. */
    static String run(List<String> args, boolean json, Tunnels tunnels, Map<String, Bridge> bridges) {
        if (args.size() == 2) return json ? JsonRender.render(tunnels.routesModel()) : tunnels.routesText();
        String sub = args.get(2);
        if (json) throw new ControlException("--format json is for 'tnl routes' (show) only, not 'tnl routes " + Logging.excerpt(sub, 64) + "'");
        switch (sub) {
            case "add" -> {
                if (args.size() != 5 && args.size() != 6)
                    throw new ControlException("tnl routes add needs a destination network and a bridge, and may take a gateway (got "
                            + (args.size() - 3) + " argument" + (args.size() == 4 ? "" : "s") + "): " + USAGE);
                Bridge b = bridges.get(args.get(4));
                if (b == null)
                    throw new ControlException("no bridge named \"" + Logging.excerpt(args.get(4), 64) + "\" (bridges: " + String.join(", ", bridges.keySet()) + ")");
                tunnels.addRoute(b, args.get(3), args.size() == 6 ? args.get(5) : null, bridges.values());
                return "";
            }
            case "del" -> {
                if (args.size() != 4) throw new ControlException("tnl routes del takes one destination network: " + USAGE);
                tunnels.delRoute(args.get(3), bridges.values());
                return "";
            }
            default -> throw new ControlException("tnl routes: unknown subcommand \"" + Logging.excerpt(sub, 64) + "\": " + USAGE);
        }
    }
}
