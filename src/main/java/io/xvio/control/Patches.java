package io.xvio.control;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.PatchLayout;
import io.xvio.port.PatchPort;
import io.xvio.port.Port;

import java.util.*;
import java.util.function.Function;
import java.util.logging.Logger;

/**
 * The patch pairs between bridges (OVS's {@code type=patch} with {@code options:peer}). A pair is up when each end
 * names the other; else both ends say why in {@code show} (and OVSDB's {@code error}). For each bridge whose receive
 * queues can reach a patch port, the port array its queues transmit to is its own (and, for an underlay, its overlays')
 * ports followed by the ports of every bridge reachable through patch pairs, and its datapath gets the
 * {@link PatchLayout} of that array. Control thread only (the daemon's lock).
 */
final class Patches {
    private static final Logger LOG = Logger.getLogger("xvio.patch");

    /** What {@link #plan} computed: per bridge, its queues' port array and layout (bridges reaching no patch: none). */
    record Plan(Map<Bridge, Port[]> arrays, Map<Bridge, PatchLayout> layouts, Map<PatchPort, String> states) {
        Set<BridgeDatapath> involved() {
            Set<BridgeDatapath> s = Collections.newSetFromMap(new IdentityHashMap<>());
            for (Bridge b : arrays.keySet()) s.add(b.datapath);
            return s;
        }
    }

    private Plan current = new Plan(Map.of(), Map.of(), Map.of());
    private final Map<PatchPort, String> logged = new IdentityHashMap<>();

    /** The datapaths whose queues' arrays hold patch ports now (to stop polling them before a change). */
    Set<BridgeDatapath> involved() { return current.involved(); }

    /** The port array bridge br's queues send to: with the bridges beyond its patch ports, or base if none. */
    Port[] array(Bridge br, Port[] base) {
        Port[] a = current.arrays().get(br);
        return a != null ? a : base;
    }

    /** Why patch port p is down, or "up" (as it stands after the last {@link #apply}). */
    String state(PatchPort p) { return current.states().getOrDefault(p, "down (not wired yet)"); }

    /** The pairs, arrays and layouts for bridges as they are now; base(br): br's array without patches (tunnels'). */
    static Plan plan(Collection<Bridge> bridges, Function<Bridge, Port[]> base) {
        Map<String, PatchPort> byName = new HashMap<>();
        Map<Port, Bridge> owner = new IdentityHashMap<>();
        for (Bridge b : bridges) {
            for (Port p : b.ports) {
                owner.put(p, b);
                if (p instanceof PatchPort pp) byName.put(pp.name(), pp);
            }
        }
        Map<PatchPort, String> states = new IdentityHashMap<>();
        Map<PatchPort, PatchPort> peerOf = new IdentityHashMap<>();
        for (PatchPort p : byName.values()) {
            Port q = null;
            for (Port x : owner.keySet()) if (x.name().equals(p.peer())) q = x;
            String why;
            if (q == null) why = "down (peer " + p.peer() + " does not exist)";
            else if (!(q instanceof PatchPort qp)) why = "down (peer " + p.peer() + " is not a patch port but " + q.type() + ")";
            else if (!qp.peer().equals(p.name())) why = "down (peer " + p.peer() + " has peer " + qp.peer() + ", not " + p.name() + ")";
            else {
                why = "up";
                peerOf.put(p, qp);
            }
            states.put(p, why);
        }
        Map<Bridge, Port[]> arrays = new LinkedHashMap<>();
        Map<Bridge, PatchLayout> layouts = new LinkedHashMap<>();
        if (peerOf.isEmpty()) return new Plan(arrays, layouts, states);
        for (Bridge root : bridges) {
            List<Port> all = new ArrayList<>(List.of(base.apply(root)));
            Map<Bridge, Integer> bases = new IdentityHashMap<>();
            for (int i = 0; i < all.size(); i++) bases.putIfAbsent(owner.get(all.get(i)), i);
            // the bridges beyond patch pairs, breadth first, each appended once
            for (int i = 0; i < all.size(); i++) {
                PatchPort qp = all.get(i) instanceof PatchPort pp ? peerOf.get(pp) : null;
                if (qp == null) continue;
                Bridge y = owner.get(qp);
                if (bases.containsKey(y)) continue;
                bases.put(y, all.size());
                all.addAll(y.ports);
            }
            List<PatchLayout.Hop> hops = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) {
                if (!(all.get(i) instanceof PatchPort pp) || !peerOf.containsKey(pp)) continue;
                PatchPort qp = peerOf.get(pp);
                Bridge x = owner.get(pp), y = owner.get(qp);
                hops.add(new PatchLayout.Hop(i, x.datapath, y.datapath, y.ports.indexOf(qp), qp.ofport(), bases.get(y), pp::sent, qp::received));
            }
            if (hops.isEmpty()) continue;
            if (all.size() > io.xvio.pmd.PmdThread.MAX_BRIDGE_PORTS) {      // a PMD thread's outputs hold 256 ports
                String why = "down (the bridges joined through " + root.name + "'s patch ports have " + all.size() + " ports, more than "
                        + io.xvio.pmd.PmdThread.MAX_BRIDGE_PORTS + ")";
                for (Port p : all) if (p instanceof PatchPort pp && "up".equals(states.get(pp))) states.put(pp, why);
                continue;
            }
            arrays.put(root, all.toArray(Port[]::new));
            layouts.put(root, new PatchLayout(hops));
        }
        return new Plan(arrays, layouts, states);
    }

    /** Publishes a plan (the bridges' queues involved before and after must not be polled): layouts and port states. */
    void apply(Plan plan, Collection<Bridge> bridges) {
        for (Bridge b : bridges) b.datapath.setPatches(plan.layouts().get(b));
        plan.states().forEach((p, s) -> {
            p.setStatus(s);
            if (!s.equals(logged.get(p))) LOG.info("patch port " + p.name() + ": " + s);
            logged.put(p, s);
        });
        logged.keySet().retainAll(plan.states().keySet());
        current = plan;
    }

    boolean any() { return !current.arrays().isEmpty(); }
}
