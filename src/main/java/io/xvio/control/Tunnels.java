package io.xvio.control;

import io.xvio.datapath.PortVlan;
import io.xvio.datapath.Underlay;
import io.xvio.datapath.tunnel.*;
import io.xvio.port.EndpointPort;
import io.xvio.port.LocalInjection;
import io.xvio.port.PatchPort;
import io.xvio.port.Port;
import io.xvio.port.TapPort;
import io.xvio.port.TunnelPort;
import io.xvio.datapath.tunnel.GeneveOptionWriter;
import io.xvio.sys.Netdev;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.*;
import java.util.logging.Logger;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * The control plane of issue 16's overlays: each underlay bridge's endpoint (its LOCAL port, its
 * {@link NeighborAgent} and cache, the {@link Underlay} in front of its tables), the {@link RouteTable}, and every
 * {@link TunnelPort}'s way out. An endpoint's addresses and routes come from the config file ({@code ip:},
 * {@code routes:}; its LOCAL port is an {@link EndpointPort}) or, as with OVS, from the kernel: a bridge whose LOCAL
 * port is a tap (an OVSDB internal port named after the bridge) with addresses ({@link #syncKernel},
 * {@link KernelUnderlays}). A timer on its own control thread ({@link #tick}, every 200 ms) runs the neighbour
 * caches (requests go out through the LOCAL port), and re-resolves each tunnel port when a route or a next hop's
 * MAC changes. {@link #rebuild} follows port changes. Text for {@code tnl routes} and {@code tnl neigh}.
 */
final class Tunnels {
    private static final Logger LOG = Logger.getLogger("xvio.tunnel");
    static final long TICK_MS = 200;

    /**
     * An underlay bridge's endpoint: its addresses and routes, its LOCAL port and what that port injects, its agent;
     * kernel: the addresses and routes are the kernel's, on the LOCAL tap.
     */
    private record Endpoint(Bridge bridge, UnderlayConfig config, Port local, LocalInjection injection, NeighborAgent agent, TunnelDrops drops,
                            boolean kernel) {}

    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private volatile RouteTable routes = RouteTable.EMPTY;
    /** Bumped with every new route table: what tunnel ports were resolved against (an identity hash may collide). */
    private long routesVersion;
    private final TunnelResolver resolver = new TunnelResolver(b -> {
        Endpoint e = endpoints.get(b);
        return e == null ? null : e.agent();
    });
    private Thread timer;
    private volatile boolean running = true;
    private final MemorySegment requestBuf = Arena.ofAuto().allocate(128);

    boolean any() { return !endpoints.isEmpty(); }

    /**
     * Makes br an underlay bridge (before its first publish): its endpoint port (ofport LOCAL, named after the bridge)
     * and its agent, with the MAC of its first uplink's interface (or a local one).
     */
    synchronized void addUnderlay(Bridge br, UnderlayConfig cfg) {
        if (!cfg.present()) return;
        long mac = -1;
        for (Port p : br.ports) {
            String dev = p.details().get("device");
            if (dev == null) continue;
            Netdev.Info i = Netdev.query(dev);
            if (i != null && i.mac() != 0) { mac = i.mac(); break; }
        }
        if (mac < 0) mac = 0x02_00_5e_00_00_00L | (br.name.hashCode() & 0xffffff);   // locally administered
        TunnelDrops drops = new TunnelDrops();
        EndpointPort ep = new EndpointPort(br.name, mac, drops);
        br.ports.add(ep);
        br.vlans.add(PortVlan.TRUNK_ALL);
        NeighborAgent agent = new NeighborAgent(mac, cfg.addresses(), new NeighborCache());
        endpoints.put(br.name, new Endpoint(br, cfg, ep, ep.injection(), agent, drops, false));
        LOG.info("bridge " + br.name + ": tunnel endpoint " + cfg.addresses() + ", MAC " + Netdev.formatMac(mac));
    }

    private final KernelUnderlays kernel = new KernelUnderlays();
    /** The LOCAL taps looked at last time: a new or gone one is looked at again even without a netlink event. */
    private List<TapPort> kernelTaps = List.of();
    /** Why the kernel's tables could not be read, as last logged (logged again only when it changes). */
    private String kernelFault;

    /** A bridge's LOCAL port when it is a kernel interface (an OVSDB internal port named after the bridge), or null. */
    private static TapPort localTap(Bridge b) {
        for (Port p : b.ports) if (p instanceof TapPort t && t.ofport() == EndpointPort.OFPP_LOCAL) return t;
        return null;
    }

    /** Whether some bridge's LOCAL port is a tap: a tunnel endpoint once the kernel gives it an address. */
    boolean kernelCandidates(Collection<Bridge> bridges) {
        for (Bridge b : bridges) if (localTap(b) != null) return true;
        return false;
    }

    /**
     * Follows the kernel's addresses and routes on the bridges' LOCAL taps (the tunnel timer, under the daemon's lock):
     * a bridge whose tap has a global address becomes a tunnel endpoint with those addresses and the tap's MAC, and
     * the main table's routes out of the tap; it stops being one when the last goes. Returns the bridges whose
     * endpoint came, went or changed: the caller stops polling their queues and then calls {@link #rebuild}. A bridge
     * with {@code ip:} in the config file keeps that.
     */
    synchronized Set<Bridge> syncKernel(Collection<Bridge> bridges) {
        List<TapPort> taps = new ArrayList<>();
        List<Bridge> candidates = new ArrayList<>();
        for (Bridge b : bridges) {
            Endpoint e = endpoints.get(b.name);
            if (e != null && !e.kernel()) continue;
            TapPort t = localTap(b);
            if (t != null) { taps.add(t); candidates.add(b); }
        }
        Set<Bridge> changed = new LinkedHashSet<>();
        for (Iterator<Endpoint> it = endpoints.values().iterator(); it.hasNext(); ) {     // gone bridges or taps
            Endpoint e = it.next();
            if (e.kernel() && (!bridges.contains(e.bridge()) || localTap(e.bridge()) != e.local())) {
                it.remove();
                ((TapPort) e.local()).inject(null, null);
                changed.add(e.bridge());
                LOG.info("bridge " + e.bridge().name + ": no longer a tunnel endpoint (its LOCAL interface is gone)");
            }
        }
        if (candidates.isEmpty() || !running) return changed;        // (closed: no new monitor)
        boolean fresh;
        try {
            fresh = kernel.refresh();
            kernelFault = null;
        } catch (RuntimeException x) {
            String why = "cannot read the kernel's addresses and routes: " + x.getMessage();
            if (!why.equals(kernelFault)) LOG.warning(why + "; bridges " + candidates.stream().map(b -> b.name).toList() + " keep their endpoints as they are");
            kernelFault = why;
            return changed;
        }
        if (!fresh && taps.equals(kernelTaps)) return changed;
        kernelTaps = taps;
        for (Bridge b : candidates) {
            TapPort t = localTap(b);
            Netdev.Info i;
            try {
                i = Netdev.query(t.ifname());                // null: no such interface (being made again): no endpoint
            } catch (RuntimeException x) {
                kernelTaps = List.of();                      // cannot tell: kept as it is, looked at again next tick
                LOG.fine(() -> "bridge " + b.name + ": " + x.getMessage());
                continue;
            }
            UnderlayConfig cfg = i == null ? UnderlayConfig.NONE : kernel.underlayOf(i.ifindex(), b.name);
            Endpoint e = endpoints.get(b.name);
            if (!cfg.present()) {
                if (e == null) continue;
                endpoints.remove(b.name);
                t.inject(null, null);
                changed.add(b);
                LOG.info("bridge " + b.name + ": no longer a tunnel endpoint (" + t.ifname() + " has no global address)");
                continue;
            }
            if (e != null && e.config().equals(cfg) && e.agent().mac() == i.mac()) continue;
            LocalInjection inj = e != null ? e.injection() : new LocalInjection();
            NeighborAgent agent = new NeighborAgent(i.mac(), cfg.addresses(), e != null ? e.agent().cache() : new NeighborCache(), false);
            TunnelDrops drops = e != null ? e.drops() : new TunnelDrops();
            endpoints.put(b.name, new Endpoint(b, cfg, t, inj, agent, drops, true));
            t.inject(inj, drops);
            changed.add(b);
            LOG.info("bridge " + b.name + ": tunnel endpoint from the kernel's " + t.ifname() + ": " + cfg.addresses()
                    + (cfg.routes().isEmpty() ? "" : ", routes " + cfg.routes().stream().map(r -> r.dst() + (r.via() == null ? " on link" : " via " + r.via())).toList())
                    + ", MAC " + Netdev.formatMac(i.mac()));
        }
        return changed;
    }

    /**
     * Recomputes the route table and every underlay's decoders and tunnel ports after a port or bridge change: the
     * overlay bridges' ports follow each underlay's own in the port array its receive queues carry ({@link #portArray}).
     */
    synchronized void rebuild(Collection<Bridge> bridges) {
        endpoints.values().removeIf(e -> !bridges.contains(e.bridge()));   // a deleted underlay bridge
        for (Bridge b : bridges)                                           // an endpoint the kernel took away
            if (!endpoints.containsKey(b.name) && b.datapath.underlay() != null) b.datapath.setUnderlay(null);
        added.values().removeIf(r -> {
            Endpoint e = endpoints.get(r.bridge());
            if (e == null) LOG.info("tnl routes: " + r.route().dst() + " removed with bridge " + r.bridge());
            else if (!fits(r, e))                      // a kernel endpoint's networks changed under a route added to it
                LOG.warning("tnl routes: " + r.route().dst() + (r.route().via() == null ? " on link" : " via " + r.route().via())
                        + " removed: bridge " + r.bridge() + " has no network for it any more (its addresses: " + e.config().addresses() + ")");
            else return false;
            return true;
        });
        setRoutes(table(added));
        for (Endpoint e : endpoints.values()) {
            List<Underlay.Ingress> ingress = new ArrayList<>();
            Set<String> seen = new LinkedHashSet<>();
            List<TunnelDecoder> decoders = new ArrayList<>();
            List<InetAddress> locals = e.config().addresses().stream().map(p -> p.addr().inet()).toList();
            int base = e.bridge().ports.size();
            for (Bridge ov : overlays(bridges)) {
                for (int i = 0; i < ov.ports.size(); i++) {
                    if (!(ov.ports.get(i) instanceof TunnelPort tp)) continue;
                    TunnelConfig c = tp.config();
                    ingress.add(new Underlay.Ingress(c, ov.datapath, i, tp.ofport(), base, tp::received, tlvMap(ov.name), tp.bfdInbox()));
                    tp.setOptions(GeneveOptionWriter.of(tlvMap(ov.name)));    // what its packets' tun_metadata sends
                    if (seen.add(c.type() + "/" + c.dstPort()))
                        decoders.add(new TunnelDecoder(c.type(), c.dstPort(), locals, known(), e.drops()));
                }
                base += ov.ports.size();
            }
            e.bridge().datapath.setUnderlay(new Underlay(e.agent(), decoders, ingress, e.drops()));
        }
        Set<Port> live = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Bridge b : bridges) live.addAll(b.ports);
        resolvedAt.keySet().retainAll(live);          // deleted ports
        perFlow.keySet().retainAll(live);
        resolveAll(bridges, true);
    }

    private void setRoutes(RouteTable t) {
        routes = t;
        routesVersion++;
    }

    /** Each bridge's Geneve option map (add-tlv-map). */
    private final TunnelTlvMaps tlvMaps = new TunnelTlvMaps();

    private TunnelTlvMap tlvMap(String bridge) { return tlvMaps.map(bridge); }

    private TunnelDecoder.KnownOptions known() { return tlvMaps.known(); }

    /** add-tlv-map / del-tlv-map / dump-tlv-map on br; a change rebuilds the endpoints. */
    synchronized String tlvCommand(String cmd, Bridge br, List<String> args, Collection<Bridge> bridges) {
        String out = tlvMaps.command(cmd, br, args);
        if (!cmd.equals("dump-tlv-map")) rebuild(bridges);
        return out;
    }

    /** A bridge's Geneve option map (an OpenFlow NXT_TLV_TABLE_REQUEST reads it). */
    synchronized TunnelTlvMap tlvMapOf(String bridge) { return tlvMap(bridge); }

    /** NXT_TLV_TABLE_MOD on br (TunnelTlvMap.TlvMapException with OVS's code if refused); a change rebuilds the endpoints. */
    synchronized void tlvMod(Bridge br, int command, List<TunnelTlvMap.Mapping> mappings, Collection<Bridge> bridges) {
        tlvMaps.mod(br, command, mappings);
        rebuild(bridges);
    }

    /** Bridges with at least one tunnel port, in the order their ports follow an underlay's. */
    private static List<Bridge> overlays(Collection<Bridge> bridges) {
        List<Bridge> out = new ArrayList<>();
        for (Bridge b : bridges) if (b.ports.stream().anyMatch(p -> p instanceof TunnelPort)) out.add(b);
        return out;
    }

    /** The ports the receive queues of br transmit to: its own, then (for an underlay) every overlay's. */
    synchronized Port[] portArray(Bridge br, Collection<Bridge> bridges) {
        if (!endpoints.containsKey(br.name)) return br.portArray();
        List<Port> all = new ArrayList<>(br.ports);
        for (Bridge ov : overlays(bridges)) all.addAll(ov.ports);
        return all.toArray(Port[]::new);
    }

    private final Map<TunnelPort, Long> resolvedAt = new IdentityHashMap<>();

    /** Resolves every tunnel port whose route or next hop may have changed (force: all of them). */
    private void resolveAll(Collection<Bridge> bridges, boolean force) {
        long gen = 0;
        for (Endpoint e : endpoints.values()) gen = gen * 31 + e.agent().cache().generation();
        gen = gen * 31 + routesVersion;
        for (Bridge b : bridges) {
            for (Port p : b.ports) {
                if (!(p instanceof TunnelPort tp)) continue;
                Long at = resolvedAt.get(tp);
                if (tp.config().remoteFromFlow() || tp.config().keyFromFlow()) {
                    resolveFlows(tp, force || at == null || at != gen);
                    resolvedAt.put(tp, gen);
                    continue;
                }
                if (!force && at != null && at == gen && tp.egress() != null) continue;
                resolvedAt.put(tp, gen);
                resolve(tp);
            }
        }
    }

    private void resolve(TunnelPort tp) {
        TunnelConfig c = tp.config();
        if (c.remoteFromFlow() || c.keyFromFlow()) {
            tp.setEgress(null, "per flow");
            return;
        }
        TunnelResolver.Result r = resolver.resolve(c, new TunnelMetadata(), -1, -1, routes);
        Object way = r.header() == null ? r.why() : egress(r);
        if (!(way instanceof TunnelPort.Egress now)) {
            String before = tp.status();
            tp.setEgress(null, (String) way);
            if (!before.equals(tp.status())) LOG.info("tunnel port " + tp.name() + ": " + tp.status());
            return;
        }
        TunnelPort.Egress old = tp.egress();
        if (old != null && old.uplink() == now.uplink() && old.mtu() == now.mtu() && old.header().spec().equals(now.header().spec())) return;
        tp.setEgress(now, null);
        LOG.info("tunnel port " + tp.name() + ": up, " + now.header() + " via " + now.uplink().name() + " (mtu " + now.mtu() + ")");
    }

    /**
     * A resolved header's way out: its underlay bridge's uplink and MTU; or why there is none. The uplink is the
     * bridge's first port that leads off the host: not its LOCAL port, a tunnel port or a patch port (OVN's localnet
     * patch to br-int sits on br-phy beside the NIC, and may come first).
     */
    private Object egress(TunnelResolver.Result r) {
        Endpoint e = endpoints.get(r.bridge());
        Port uplink = null;
        for (Port p : e.bridge().ports) {
            if (p != e.local() && !(p instanceof TunnelPort) && !(p instanceof PatchPort)) { uplink = p; break; }
        }
        if (uplink == null) return "underlay bridge " + r.bridge() + " has no uplink port (a port other than LOCAL, tunnel and patch ports)";
        int mtu = uplink.mtu() > 0 ? uplink.mtu() : 1500;      // a vhost-user uplink's mtu (key mtu / mtu_request)
        String dev = uplink.details().get("device");
        if (dev != null) {
            Netdev.Info i = Netdev.query(dev);
            if (i != null && i.mtu() > 0) mtu = i.mtu();
        }
        return new TunnelPort.Egress(r.header(), uplink, mtu, r.bridge(), e.injection().answers());
    }

    /** remote_ip=flow / key=flow ports: the (remote, VNI) pairs their packets asked for, and what each resolved to. */
    private final Map<TunnelPort, Map<FlowHeaders.Key, Object>> perFlow = new IdentityHashMap<>();

    /** Takes the new (remote, VNI) pairs tp's packets missed and re-resolves them all if any is new or force. */
    private void resolveFlows(TunnelPort tp, boolean force) {
        Map<FlowHeaders.Key, Object> want = perFlow.computeIfAbsent(tp, k -> new LinkedHashMap<>());
        int before = want.size();
        tp.flowHeaders().drainMisses((hi, lo, vni) -> {
            if (want.size() < FlowHeaders.MAX_ENTRIES) want.putIfAbsent(new FlowHeaders.Key(hi, lo, vni), null);
        });
        boolean pending = want.values().stream().anyMatch(v -> !(v instanceof TunnelPort.Egress));
        if (!force && want.size() == before && !pending) return;
        for (var e : want.entrySet()) {
            FlowHeaders.Key k = e.getKey();
            TunnelMetadata md = new TunnelMetadata();
            md.tunId = k.vni();
            if (IpAddr.isV4(k.hi(), k.lo())) md.dst4 = (int) k.lo();
            else { md.ipv6 = true; md.dst6Hi = k.hi(); md.dst6Lo = k.lo(); }
            TunnelResolver.Result r = resolver.resolve(tp.config(), md, -1, -1, routes);
            Object way = r.header() == null ? r.drop() : egress(r);
            e.setValue(way instanceof String ? TunnelDrop.NO_ROUTE : way);
        }
        tp.flowHeaders().publish(want);
    }

    /**
     * Starts the timer thread. tick runs {@link #tick} with the current bridges under the daemon's lock (the same
     * order as commands take them: daemon, then this), so port lists never change under it.
     */
    void start(Runnable tick) {
        timer = Thread.ofPlatform().daemon().name("tunnel-timer").start(() -> {
            while (running) {
                try {
                    Thread.sleep(TICK_MS);
                    tick.run();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    LOG.warning("tunnel timer: " + e);
                }
            }
        });
    }

    /** Runs the neighbour caches (requests out of the endpoint ports) and re-resolves what changed. */
    synchronized void tick(Collection<Bridge> bridges) {
        long now = System.nanoTime();
        for (Endpoint e : endpoints.values()) {
            e.agent().cache().tick(now, ip -> {
                int n = e.agent().request(ip, requestBuf, 0);
                if (n > 0) e.injection().send(requestBuf.asSlice(0, n).toArray(JAVA_BYTE));
            });
        }
        resolveAll(bridges, false);
    }

    /** Stops the timer (waiting a moment for a tick under way: it may be rebuilding) and the kernel monitor. */
    void close() {
        running = false;
        Thread t = timer;
        if (t != null) {
            t.interrupt();
            try {
                t.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) { kernel.close(); }
    }

    /** tnl routes: the route table, OVS's ovs/route/show style ("Cached:" for the kernel's routes, as OVS's). */
    synchronized String routesText() { return routes.text(r -> !added.containsKey(r.prefix()) && fromKernel(r)); }

    /** Whether route r, not a connected one, is a kernel route (of a bridge whose endpoint the kernel holds). */
    private boolean fromKernel(RouteTable.Route r) {
        Endpoint e = endpoints.get(r.bridge());
        return !r.connected() && e != null && e.kernel();
    }

    /** tnl routes --format json: {"routes": [{prefix, bridge, gateway, src, type}]}, type connected, config or added. */
    record RouteRow(String prefix, String bridge, String gateway, String src, String type) {}
    record RoutesModel(List<RouteRow> routes) {}

    synchronized RoutesModel routesModel() {
        List<RouteRow> rows = new ArrayList<>();
        for (RouteTable.Route r : routes.routes())
            rows.add(new RouteRow(r.prefix().toString(), r.bridge(), r.gateway() == null ? null : r.gateway().toString(), r.src().toString(),
                    r.connected() ? "connected" : added.containsKey(r.prefix()) ? "added" : fromKernel(r) ? "kernel" : "config"));
        return new RoutesModel(rows);
    }

    /** A route added at run time ({@code tnl routes add}) through bridge. */
    private record AddedRoute(String bridge, UnderlayConfig.StaticRoute route) {}

    /** Routes added at run time, by destination network; lost on restart, as OVS's ovs/route/add routes. */
    private final Map<Prefix, AddedRoute> added = new LinkedHashMap<>();
    static final int MAX_ADDED_ROUTES = 4096;

    /** Whether an added route still has a network of its bridge's endpoint e for its gateway (or, on link, an address of its family). */
    private static boolean fits(AddedRoute r, Endpoint e) {
        try {
            RouteTable.of(Map.of(r.bridge(), new UnderlayConfig(e.config().addresses(), List.of(r.route()))));
            return true;
        } catch (TunnelConfigException x) {
            return false;
        }
    }

    /** The table of every underlay's addresses and config routes, then the given run-time routes (checked). */
    private RouteTable table(Map<Prefix, AddedRoute> extra) {
        Map<String, UnderlayConfig> u = new LinkedHashMap<>();
        endpoints.forEach((n, e) -> {
            List<UnderlayConfig.StaticRoute> rs = new ArrayList<>(e.config().routes());
            for (AddedRoute r : extra.values()) if (r.bridge().equals(n)) rs.add(r.route());
            u.put(n, new UnderlayConfig(e.config().addresses(), rs));
        });
        return RouteTable.of(u);
    }

    /**
     * tnl routes add DST/LEN BRIDGE [GW] (OVS's ovs/route/add): traffic to DST leaves through br's underlay, to gateway
     * GW (on one of br's networks, not br's own address) or, without one, to the destination itself on br's link.
     * Replaces a route added before to the same network; refused for a config file's route or a connected network. Tunnel ports follow at once.
     */
    synchronized void addRoute(Bridge br, String dst, String gw, Collection<Bridge> bridges) {
        if (!endpoints.containsKey(br.name))
            throw new ControlException("tnl routes add: bridge " + br.name + " has no tunnel endpoint (no ip: in its config)"
                    + (endpoints.isEmpty() ? "; no bridge has one" : "; underlay bridges: " + String.join(", ", endpoints.keySet())));
        if (dst.indexOf('/') < 0) throw new ControlException("tnl routes add: \"" + Logging.excerpt(dst, 64) + "\" needs a prefix length (DST/LEN, e.g. 10.9.0.0/16)");
        Prefix net;
        IpAddr via;
        try {
            net = Prefix.parse(dst, "tnl routes add").network();
            via = gw == null ? null : IpAddr.parse(gw, "tnl routes add: gateway");
        } catch (TunnelConfigException x) {
            throw new ControlException(x.getMessage() + " (usage: tnl routes add DST/LEN BRIDGE [GW])");
        }
        if (via != null && via.isV4() != net.addr().isV4())
            throw new ControlException("tnl routes add: " + net + " and gateway " + via + " are not of the same family");
        if (via != null && endpoints.get(br.name).config().addresses().stream().anyMatch(p -> p.addr().equals(via)))
            throw new ControlException("tnl routes add: gateway " + via + " is bridge " + br.name + "'s own address, not a next hop");
        for (RouteTable.Route r : routes.routes()) {
            if (!r.prefix().equals(net)) continue;
            if (r.connected()) throw new ControlException("tnl routes add: " + net + " is bridge " + r.bridge() + "'s own network (a connected route)");
            if (!added.containsKey(net))
                throw new ControlException("tnl routes add: " + net + " is a route of bridge " + r.bridge() + (fromKernel(r)
                        ? " from the kernel (ip route ... dev " + r.bridge() + "); change it there" : "'s config (routes:); change it there"));
        }
        if (!added.containsKey(net) && added.size() >= MAX_ADDED_ROUTES)
            throw new ControlException("tnl routes add: " + MAX_ADDED_ROUTES + " routes added already; delete one first (tnl routes del DST/LEN)");
        Map<Prefix, AddedRoute> next = new LinkedHashMap<>(added);
        AddedRoute before = next.put(net, new AddedRoute(br.name, new UnderlayConfig.StaticRoute(net, via)));
        RouteTable t;
        try {
            t = table(next);
        } catch (TunnelConfigException x) {
            throw new ControlException("tnl routes add: " + (via == null ? net + " on link needs an " + (net.addr().isV4() ? "IPv4" : "IPv6")
                    + " address on bridge " + br.name : "gateway " + via + " is not on a network of bridge " + br.name)
                    + " (its ip: " + endpoints.get(br.name).config().addresses() + ")");
        }
        added.clear();
        added.putAll(next);
        setRoutes(t);
        LOG.info("tnl routes add " + net + " dev " + br.name + (via == null ? "" : " GW " + via)
                + (before == null ? "" : " (replaces " + before.route().dst() + " dev " + before.bridge() + (before.route().via() == null ? "" : " GW " + before.route().via()) + ")"));
        resolveAll(bridges, false);
    }

    /** tnl routes del DST/LEN (OVS's ovs/route/del): removes a route added at run time. */
    synchronized void delRoute(String dst, Collection<Bridge> bridges) {
        Prefix net;
        try {
            net = Prefix.parse(dst, "tnl routes del").network();
        } catch (TunnelConfigException x) {
            throw new ControlException(x.getMessage() + " (usage: tnl routes del DST/LEN)");
        }
        if (added.remove(net) == null) {
            for (RouteTable.Route r : routes.routes())
                if (r.prefix().equals(net))
                    throw new ControlException("tnl routes del: " + net + " is " + (r.connected() ? "bridge " + r.bridge() + "'s own network (a connected route)"
                            : "a route of bridge " + r.bridge() + "'s config (routes:); remove it there and restart") + "; only routes added with tnl routes add are deleted");
            throw new ControlException("tnl routes del: no route to " + net + " (tnl routes shows the table)");
        }
        setRoutes(table(added));
        LOG.info("tnl routes del " + net);
        resolveAll(bridges, false);
    }

    /** tnl neigh: every underlay's neighbour cache. */
    synchronized String neighText() {
        StringBuilder s = new StringBuilder();
        for (var e : endpoints.entrySet()) s.append(e.getValue().agent().cache().text(e.getKey()));
        return s.toString();
    }

    /** tnl neigh flush [BRIDGE]: forgets every neighbour of one underlay bridge or of all, static ones too (asked again on the next packet). */
    synchronized void flushNeighbors(Bridge only, Collection<Bridge> bridges) {
        if (only != null && !endpoints.containsKey(only.name)) throw notUnderlay(only.name, "flush");
        for (Endpoint e : endpoints.values()) if (only == null || e.bridge() == only) e.agent().cache().flush();
        LOG.info("tnl neigh flush " + (only == null ? "(every underlay bridge)" : only.name));
        resolveAll(bridges, false);
    }

    /**
     * tnl neigh set BRIDGE IP MAC: a static neighbour in br's cache (never aged, never changed by ARP/ND); tunnel
     * ports whose next hop it is use it at once. Refused for a bridge without an endpoint, an address family the
     * bridge has no address of, or the bridge's own address.
     */
    synchronized void setNeighbor(Bridge br, String ip, String mac, Collection<Bridge> bridges) {
        Endpoint e = endpoints.get(br.name);
        if (e == null) throw notUnderlay(br.name, "set");
        StaticNeighbor n;
        try {
            n = StaticNeighbor.parse(ip, mac);
        } catch (TunnelConfigException x) {
            throw new ControlException(x.getMessage());
        }
        List<Prefix> own = e.config().addresses();
        if (own.stream().noneMatch(p -> p.addr().isV4() == n.ip().isV4()))
            throw new ControlException("bridge " + br.name + " has no " + (n.ip().isV4() ? "IPv4" : "IPv6") + " address (ip: "
                    + own + "), so it never sends to " + n.ip());
        if (own.stream().anyMatch(p -> p.addr().equals(n.ip())))
            throw new ControlException(n.ip() + " is bridge " + br.name + "'s own address, not a neighbour");
        try {
            e.agent().cache().setStatic(n.ip(), n.mac(), System.nanoTime());
        } catch (IllegalStateException x) {
            throw new ControlException("bridge " + br.name + ": " + x.getMessage());
        }
        LOG.info("bridge " + br.name + ": static neighbour " + n.ip() + " at " + Netdev.formatMac(n.mac()));
        resolveAll(bridges, false);
    }

    private ControlException notUnderlay(String bridge, String what) {
        return new ControlException("tnl neigh " + what + ": bridge " + bridge + " has no tunnel endpoint (no ip: in its config), so no neighbour cache"
                + (endpoints.isEmpty() ? "; no bridge has one" : "; underlay bridges: " + String.join(", ", endpoints.keySet())));
    }

    /** tnl neigh --format json: every underlay's neighbours. */
    record NeighborRow(String bridge, String ip, String mac, String state, String type) {}
    record NeighborsModel(List<NeighborRow> neighbors) {}

    synchronized NeighborsModel neighbors() {
        List<NeighborRow> rows = new ArrayList<>();
        endpoints.forEach((n, e) -> {
            for (NeighborCache.Entry x : e.agent().cache().entries())
                rows.add(new NeighborRow(n, x.ip().toString(), x.mac() < 0 ? null : Netdev.formatMac(x.mac()),
                        x.state().name().toLowerCase(), x.type()));
        });
        return new NeighborsModel(rows);
    }

    /** Decapsulation drops by reason, per underlay bridge (for show/stats). */
    synchronized Map<String, Map<String, Long>> decapDrops() {
        Map<String, Map<String, Long>> m = new LinkedHashMap<>();
        endpoints.forEach((n, e) -> m.put(n, e.drops().nonZero()));
        return m;
    }
}
