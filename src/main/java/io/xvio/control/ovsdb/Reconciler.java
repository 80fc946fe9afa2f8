package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import io.xvio.control.ControlException;
import io.xvio.control.ControllerSettings;
import io.xvio.control.Daemon;
import io.xvio.datapath.PortVlan;

import java.nio.file.Path;
import java.util.*;
import java.util.logging.Logger;

/**
 * Makes the running daemon what the database says: every Bridge with datapath_type netdev is an xvio bridge, each
 * of its Ports with one Interface an xvio port. Ports that did not change are left alone (their connections and
 * traffic go on); a tag/trunks change is made on the running port; another change removes the port and adds it
 * again with the same OpenFlow port number; one xvio cannot serve gets an error instead, and the others are applied
 * regardless. Port numbers are given as OVS gives them ({@link OfportAllocator}, {@link #moveToRequests}). Bridges
 * from the YAML file are not the database's to change.
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger("xvio.ovsdb");
    /** OpenFlow's LOCAL port: OVS numbers a bridge's own internal interface so. */
    static final int OFPP_LOCAL = 65534;
    static final int MAX_OFPORT = 0xfeff;

    /** An Interface's outcome: a port (ofport, -1 on failure), or a relay's VF (relay: its name; no ofport). */
    public record IfaceResult(String uuid, String bridge, String name, int ofport, String error, String relay) {
        public IfaceResult(String uuid, String bridge, String name, int ofport, String error) { this(uuid, bridge, name, ofport, error, null); }

        /** A relay's VF (relay null and an error when the relay could not be made). */
        static IfaceResult relay(String uuid, String bridge, String name, String relay, String error) {
            return new IfaceResult(uuid, bridge, name, error == null ? 0 : -1, error, relay);
        }
    }

    private record Applied(String bridge, Config.PortConfig pc, PortVlan vlan) {}

    /**
     * One Interface of a netdev bridge, as read (pc has ofport 0 until one is chosen); request: its ofport_request,
     * held: the ofport the database holds for it (null: none).
     */
    private record Want(String bridge, String uuid, String name, Config.PortConfig pc, PortVlan vlan, Integer request, Integer held,
                        io.xvio.control.PolicingConfig policing, int txRetriesMax) {}

    /** The ingress policing applied to each port (by its object: a port made again gets it again). */
    private final Map<String, Object[]> policed = new HashMap<>();

    private final Daemon daemon;
    private final Path vhostSockDir;
    private final Set<String> yamlBridges;
    private final Map<String, Applied> applied = new HashMap<>();
    private final Set<String> ownBridges = new LinkedHashSet<>();
    private final Set<String> logged = new HashSet<>();
    /** The controller settings applied to each database bridge. */
    private final Map<String, ControllerSettings> controllers = new HashMap<>();
    /** The protocols, datapath id and external_ids applied to each database bridge. */
    private final Map<String, BridgeOptions> options = new HashMap<>();

    /** Whether vhost-user ports offer offloads (other_config:userspace-tso-enable, {@link UserspaceTso}). */
    private boolean vhostOffloads = true;

    private final RelayInterfaces relays;
    private final MirrorRows mirrors;
    /** Each database bridge's OpenFlow port numbers (a bridge made again starts afresh, as OVS's ofproto). */
    private final Map<String, OfportAllocator> ofports = new HashMap<>();
    private final java.util.function.LongSupplier millis;

    public Reconciler(Daemon daemon, Path vhostSockDir) {
        this(daemon, vhostSockDir, () -> System.nanoTime() / 1_000_000L);
    }

    /** With another clock (milliseconds, monotonic) for the ofport allocation (tests). */
    Reconciler(Daemon daemon, Path vhostSockDir, java.util.function.LongSupplier millis) {
        this.millis = millis;
        this.daemon = daemon;
        this.vhostSockDir = vhostSockDir;
        this.yamlBridges = Set.copyOf(daemon.bridgeNames());
        this.relays = new RelayInterfaces(daemon);
        this.mirrors = new MirrorRows(daemon);
    }

    /**
     * Whether vhost-user ports offer checksum and TSO offloads. Set before the first {@link #apply} ({@link OvsdbAgent}
     * reads userspace-tso-enable once): a port whose offloads differ from this is made again, as any changed port.
     */
    public void vhostOffloads(boolean on) {
        this.vhostOffloads = on;
    }

    /** The netdev bridges xvio serves from the database, by Bridge row UUID. */
    public Map<String, String> bridges(TableCache db) {
        Map<String, String> out = new LinkedHashMap<>();
        for (TableCache.Row b : db.rows("Bridge")) {
            try {
                String name = Datum.string(b.get("name"), "Bridge name");
                if (ownBridges.contains(name)) out.put(b.uuid(), name);
            } catch (OvsdbException ignored) {
                // reported by apply()
            }
        }
        return out;
    }

    /** Applies the database; returns the outcome of every Interface of every netdev bridge. */
    public List<IfaceResult> apply(TableCache db) {
        List<IfaceResult> results = new ArrayList<>();
        List<Want> wants = new ArrayList<>();
        Set<String> wantedBridges = new LinkedHashSet<>();
        Set<String> names = new HashSet<>();
        Map<String, TableCache.Row> bridgeRows = new HashMap<>();
        List<RelayInterfaces.Want> relayWants = new ArrayList<>();
        for (TableCache.Row b : db.rows("Bridge")) {
            String bridge;
            String dpType;
            List<String> ports;
            try {
                bridge = Datum.string(b.get("name"), "Bridge name");
                dpType = Objects.requireNonNullElse(Datum.optionalString(b.get("datapath_type"), "Bridge datapath_type"), "");
                ports = Datum.uuids(b.get("ports"), "Bridge ports");
            } catch (OvsdbException e) {
                once("bridge row " + b.uuid() + ": " + e.getMessage() + ": ignored");
                continue;
            }
            if (!dpType.equals("netdev")) {
                once("bridge " + bridge + ": datapath_type \"" + dpType + "\" is not xvio's (xvio serves datapath_type=netdev bridges): ignored");
                continue;
            }
            if (yamlBridges.contains(bridge)) {
                once("bridge " + bridge + ": configured in the YAML file, which owns it: the database's bridge of that name is ignored");
                continue;
            }
            wantedBridges.add(bridge);
            bridgeRows.put(bridge, b);
            for (String pu : ports) {
                TableCache.Row port = db.row("Port", pu);
                if (port == null) continue;        // referential integrity: the row arrives in the same update
                readPort(db, bridge, port, wants, relayWants, results, names);
            }
        }

        // a port someone removed with `xvio del-port` is no longer applied: it is added again below
        for (var e : new ArrayList<>(applied.entrySet())) {
            if (daemon.port(e.getValue().bridge(), e.getKey()) != null) continue;
            applied.remove(e.getKey());
            allocator(e.getValue().bridge()).freed(e.getValue().pc().ofport());
        }
        ownBridges.removeIf(b -> !daemon.bridgeNames().contains(b));
        ofports.keySet().retainAll(ownBridges);

        // 1. remove what went away or changed; one made again keeps its number (OVS: the ofport column it wrote)
        Map<String, Want> byName = new HashMap<>();
        for (Want w : wants) byName.put(w.name(), w);
        Map<String, Integer> before = new HashMap<>();
        for (var e : new ArrayList<>(applied.entrySet())) {
            Want w = byName.get(e.getKey());
            Applied a = e.getValue();
            boolean sameBridge = w != null && w.bridge().equals(a.bridge());
            // an MTU and a VLAN mode change in place (as OVS: the guest stays connected); anything else makes it again
            if (sameBridge && w.pc().equals(withOfport(a.pc(), 0).withMtu(w.pc().mtu()))
                    && (w.pc().mtu() == a.pc().mtu() || setMtu(e.getKey(), a, w.pc().mtu()))) {
                a = applied.get(e.getKey());
                if (w.vlan().equals(a.vlan()) || setVlan(e.getKey(), a, w.vlan())) continue;
            }
            if (sameBridge) before.put(e.getKey(), a.pc().ofport());
            unapply(e.getKey(), wantedBridges, w == null ? "" : " (changed: added again)");
        }
        // 1b. ports not on their ofport_request
        moveToRequests(wants, byName, wantedBridges);
        // 2. bridges
        for (String br : new ArrayList<>(ownBridges)) {
            if (wantedBridges.contains(br)) continue;
            ownBridges.remove(br);
            applied.values().removeIf(a -> a.bridge().equals(br));
            ofports.remove(br);
            try {
                daemon.removeBridge(br);
                LOG.info("ovsdb: bridge " + br + " removed");
            } catch (ControlException ex) {
                LOG.warning("ovsdb: removing bridge " + br + ": " + ex.getMessage());
            }
        }
        for (String br : wantedBridges) {
            if (ownBridges.contains(br)) continue;
            try {
                daemon.addBridge(br);
                ownBridges.add(br);
                controllers.remove(br);          // a bridge made again starts from the defaults
                options.remove(br);
                LOG.info("ovsdb: bridge " + br + " added");
            } catch (ControlException ex) {
                once("bridge " + br + ": " + ex.getMessage());
            }
        }
        // 2b. protocols, datapath id (other_config), external_ids: before the controllers connect
        options.keySet().retainAll(ownBridges);
        for (String br : ownBridges) {
            TableCache.Row row = bridgeRows.get(br);
            if (row == null) continue;
            List<String> warnings = new ArrayList<>();
            try {
                BridgeOptions o = BridgeOptions.read(row, warnings);
                for (String w : warnings) once("bridge " + br + ": " + w);
                BridgeOptions was = options.getOrDefault(br, BridgeOptions.DEFAULT);
                if (o.versions() != was.versions() || o.datapathId() != was.datapathId()) {
                    daemon.setOpenFlowIdentity(br, o.versions(), o.datapathId());
                    LOG.info("ovsdb: bridge " + br + ": OpenFlow versions " + versionNames(o.versions()) + ", datapath id "
                            + String.format("%016x", daemon.datapathId(br)));
                }
                options.put(br, o);
            } catch (OvsdbException | ControlException ex) {
                once("bridge " + br + ": " + ex.getMessage());
            }
        }
        // 2c. their controllers and fail mode
        controllers.keySet().retainAll(ownBridges);
        for (String br : ownBridges) {
            TableCache.Row row = bridgeRows.get(br);
            if (row == null) continue;
            try {
                ControllerSettings cs = BridgeControllers.read(db, row);
                if (cs.equals(controllers.get(br))) continue;
                daemon.setControllers(br, cs);
                controllers.put(br, cs);
                LOG.info("ovsdb: bridge " + br + ": controllers " + cs.targets() + ", fail_mode " + cs.failMode().text());
            } catch (OvsdbException | ControlException ex) {
                once("bridge " + br + ": controllers: " + ex.getMessage());
            }
        }
        // 2d. relays (a VF that stopped being a relay's becomes a port below; one that became a relay's left above)
        results.addAll(relays.apply(relayWants));
        // 3. ofports: requested ones first (as OVS), then the numbers ports held (so no automatic one takes them); then add
        Map<String, Map<Integer, String>> used = new HashMap<>();
        for (var e : applied.entrySet()) used.computeIfAbsent(e.getValue().bridge(), k -> new HashMap<>()).put(e.getValue().pc().ofport(), e.getKey());
        List<Want> fresh = new ArrayList<>();
        for (Want w : wants) {
            Applied a = applied.get(w.name());
            if (a != null) results.add(new IfaceResult(w.uuid(), w.bridge(), w.name(), a.pc().ofport(), null));
            else if (ownBridges.contains(w.bridge())) fresh.add(w);
            else results.add(new IfaceResult(w.uuid(), w.bridge(), w.name(), -1, "bridge " + w.bridge() + " could not be created"));
        }
        Map<Want, Integer> wanted = new HashMap<>();
        for (Want w : fresh) {
            Integer n = w.request() != null ? w.request() : before.containsKey(w.name()) ? before.get(w.name()) : w.held();
            if (n != null) wanted.put(w, n);
        }
        fresh.sort(Comparator.comparing((Want w) -> w.request() == null).thenComparing(w -> !wanted.containsKey(w)).thenComparing(Want::name));
        for (Want w : fresh) {
            Map<Integer, String> taken = used.computeIfAbsent(w.bridge(), k -> new HashMap<>());
            Integer want = wanted.get(w);
            int ofport = allocator(w.bridge()).take(want, taken.keySet());
            if (ofport < 0) {
                results.add(fail(w, "no free OpenFlow port number on bridge " + w.bridge() + " (automatic ones are 1.." + OfportAllocator.MAX_AUTO + ")"));
                continue;
            }
            if (w.request() != null && ofport != w.request())
                LOG.warning("ovsdb: interface " + w.name() + ": ofport_request " + w.request() + " is used by interface " + taken.get(w.request())
                        + " on bridge " + w.bridge() + ": ofport " + ofport + " instead, until that number is free (as OVS)");
            Config.PortConfig pc = withOfport(w.pc(), ofport);
            try {
                daemon.addPort(w.bridge(), pc, w.vlan());
            } catch (ControlException ex) {
                results.add(fail(w, ex.getMessage()));
                continue;
            }
            taken.put(ofport, w.name());
            applied.put(w.name(), new Applied(w.bridge(), pc, w.vlan()));
            LOG.info("ovsdb: port " + w.name() + " added to bridge " + w.bridge() + " (ofport " + ofport + ")");
            results.add(new IfaceResult(w.uuid(), w.bridge(), w.name(), ofport, null));
        }
        applyPolicing(wants);
        applyTxRetries(wants);
        applyBfd(db, wants);
        // 4. mirrors, once their ports are there
        Map<String, List<io.xvio.control.MirrorConfig>> mirrorWants = new LinkedHashMap<>();
        for (String br : ownBridges) {
            TableCache.Row row = bridgeRows.get(br);
            mirrorWants.put(br, row == null ? List.of() : mirrors.read(db, br, row));
        }
        mirrors.apply(mirrorWants);
        return results;
    }

    private void readPort(TableCache db, String bridge, TableCache.Row port, List<Want> wants, List<RelayInterfaces.Want> relayWants,
                          List<IfaceResult> results, Set<String> names) {
        List<String> ifaces;
        String portName;
        PortVlan vlan;
        String portError = null;
        try {
            portName = Datum.string(port.get("name"), "Port name");
            ifaces = Datum.uuids(port.get("interfaces"), "Port interfaces");
        } catch (OvsdbException e) {
            once("port row " + port.uuid() + ": " + e.getMessage() + ": ignored");
            return;
        }
        try {
            vlan = vlan(port);
        } catch (OvsdbException | IllegalArgumentException e) {
            vlan = PortVlan.TRUNK_ALL;
            portError = "port " + portName + ": " + e.getMessage();
        }
        if (ifaces.size() > 1) portError = "port " + portName + " has " + ifaces.size() + " interfaces: bonds are not supported by xvio";
        for (String iu : ifaces) {
            TableCache.Row ir = db.row("Interface", iu);
            if (ir == null) continue;
            String name;
            try {
                name = Datum.string(ir.get("name"), "Interface name");
            } catch (OvsdbException e) {
                results.add(new IfaceResult(iu, bridge, "?", -1, e.getMessage()));
                continue;
            }
            if (portError != null) {
                results.add(new IfaceResult(iu, bridge, name, -1, portError));
                continue;
            }
            if (!names.add(name)) {
                results.add(new IfaceResult(iu, bridge, name, -1, "interface name " + name + " is used twice"));
                continue;
            }
            try {
                String type = Objects.requireNonNullElse(Datum.optionalString(ir.get("type"), "Interface type"), "");
                Map<String, String> options = Datum.stringMap(ir.get("options"), "Interface options");
                Integer relay = RelayInterfaces.number(Datum.stringMap(ir.get("external_ids"), "Interface external_ids"));
                if (relay != null) {
                    relayWants.add(new RelayInterfaces.Want(iu, bridge, name, relay, RelayInterfaces.config(relay, name, type, vhostSockDir)));
                    continue;
                }
                Long req = Datum.optionalInteger(ir.get("ofport_request"), "Interface ofport_request");
                if (req != null && (req < 1 || req > MAX_OFPORT)) throw new IllegalArgumentException("ofport_request " + req + " is outside 1.." + MAX_OFPORT);
                Integer request = req != null ? Integer.valueOf(req.intValue()) : type.equals("internal") && name.equals(bridge) ? OFPP_LOCAL : null;
                Long ofport = Datum.optionalInteger(ir.get("ofport"), "Interface ofport");
                Integer held = ofport != null && ofport >= 1 && ofport <= MAX_OFPORT ? Integer.valueOf(ofport.intValue()) : null;
                Config.PortConfig pc = InterfaceConfig.toPort(name, type, options, 0, vhostSockDir, vhostOffloads);
                if (type.equals("afxdp")) for (String w : AfxdpOptions.notHonoured(options)) once("interface " + name + ": " + w);
                pc = pc.withMtu(io.xvio.control.MtuSetting.fromRequest(Datum.optionalInteger(ir.get("mtu_request"), "Interface mtu_request"), pc.type()));
                wants.add(new Want(bridge, iu, name, pc, vlan, request, held,
                        policing(db, port, ir), pc.type().equals("vhostuser") ? txRetriesMax(name, options) : -1));
            } catch (OvsdbException | IllegalArgumentException e) {
                results.add(new IfaceResult(iu, bridge, name, -1, e.getMessage()));
            }
        }
    }

    /**
     * Each applied interface's bfd column (OVS's Interface bfd: what ovn-controller sets on tunnels between the chassis
     * of an HA gateway group); the daemon starts, retunes or stops the port's session. A malformed column is logged
     * once and stops it.
     */
    private void applyBfd(TableCache db, List<Want> wants) {
        for (Want w : wants) {
            if (!applied.containsKey(w.name())) continue;
            TableCache.Row ir = db.row("Interface", w.uuid());
            Map<String, String> cfg = Map.of();
            try {
                if (ir != null) cfg = Datum.stringMap(ir.get("bfd"), "Interface bfd");
            } catch (OvsdbException e) {
                once("interface " + w.name() + ": " + e.getMessage());
            }
            daemon.setBfd(w.bridge(), w.name(), cfg);
        }
    }

    /** Changes an applied port's MTU in place (as OVS); false if that failed (the port is made again). */
    private boolean setMtu(String name, Applied a, int mtu) {
        if (mtu == 0) return false;                  // back to the default: made again (a vhost port's default is no limit)
        try {
            daemon.setMtu(a.bridge(), name, mtu);
        } catch (ControlException ex) {
            LOG.warning("ovsdb: port " + name + ": changing its MTU in place: " + ex.getMessage() + ": it is made again");
            return false;
        }
        applied.put(name, new Applied(a.bridge(), a.pc().withMtu(mtu), a.vlan()));
        return true;
    }

    /** Changes an applied port's tag/trunks in place (as OVS); false if that failed (the port is made again). */
    private boolean setVlan(String name, Applied a, PortVlan vlan) {
        try {
            daemon.setVlan(a.bridge(), name, vlan);
        } catch (ControlException ex) {
            LOG.warning("ovsdb: port " + name + ": changing its VLAN mode in place: " + ex.getMessage() + ": it is made again");
            return false;
        }
        applied.put(name, new Applied(a.bridge(), a.pc(), vlan));
        LOG.info("ovsdb: port " + name + " on bridge " + a.bridge() + ": " + describe(vlan) + " (changed in place)");
        return true;
    }

    private static String describe(PortVlan v) {
        if (v.tag() > 0) return "tag " + v.tag();
        return v.trunks() == null ? "a trunk of all VLANs" : "trunks " + v.trunks().stream().mapToObj(Integer::toString).collect(java.util.stream.Collectors.joining(","));
    }

    /** Takes an applied port away (from the daemon too unless its whole bridge goes); its number is freed. */
    private void unapply(String name, Set<String> wantedBridges, String why) {
        Applied a = applied.remove(name);
        allocator(a.bridge()).freed(a.pc().ofport());
        if (!wantedBridges.contains(a.bridge())) return;        // the whole bridge goes below
        try {
            daemon.removePort(a.bridge(), name);
            LOG.info("ovsdb: port " + name + " removed from bridge " + a.bridge() + why);
        } catch (ControlException ex) {
            LOG.warning("ovsdb: removing port " + name + ": " + ex.getMessage());
        }
    }

    /**
     * As OVS's bridge_delete_or_reconfigure_ports: a port whose ofport_request is not its number is removed (to be
     * added again with it) when no port has that number; when one has it without requesting it, both are (the holder
     * gets another number); when the holder requests it too, the port keeps its number (the database is inconsistent).
     * A port about to be added takes the number from a holder that did not request it in the same way.
     */
    private void moveToRequests(List<Want> wants, Map<String, Want> byName, Set<String> wantedBridges) {
        boolean moved = true;
        while (moved) {
            moved = false;
            for (Want w : wants) {
                Applied a = applied.get(w.name());
                if (w.request() == null || a != null && (w.request() == a.pc().ofport() || a.pc().ofport() == OFPP_LOCAL)) continue;
                String holder = null;
                for (var h : applied.entrySet())
                    if (h.getValue().bridge().equals(w.bridge()) && h.getValue().pc().ofport() == w.request()) holder = h.getKey();
                Want hw = holder == null ? null : byName.get(holder);
                if (hw != null && w.request().equals(hw.request())) {
                    if (a != null) once("interface " + w.name() + ": ofport_request " + w.request() + " is also interface " + holder
                            + "'s, which has it: " + w.name() + " keeps ofport " + a.pc().ofport() + " (as OVS)");
                    continue;
                }
                if (holder != null) {
                    unapply(holder, wantedBridges, " (its ofport " + w.request() + " is interface " + w.name() + "'s ofport_request: added again)");
                    moved = true;
                }
                if (a != null) {
                    unapply(w.name(), wantedBridges, " (to move it to its ofport_request " + w.request() + ")");
                    moved = true;
                }
            }
        }
    }

    private OfportAllocator allocator(String bridge) {
        return ofports.computeIfAbsent(bridge, b -> new OfportAllocator(millis));
    }

    /**
     * Interface ingress_policing_rate (kbps) and ingress_policing_burst (kb), 0 or absent: none / OVS's default; and
     * the Port's QoS row if it is an egress-policer (other_config cir bytes/s, cbs bytes; other QoS types refused).
     */
    private static io.xvio.control.PolicingConfig policing(TableCache db, TableCache.Row port, TableCache.Row ir) throws OvsdbException {
        Long rate = Datum.optionalInteger(ir.get("ingress_policing_rate"), "Interface ingress_policing_rate");
        Long burst = Datum.optionalInteger(ir.get("ingress_policing_burst"), "Interface ingress_policing_burst");
        long r = rate == null ? 0 : rate, bu = burst == null ? 0 : burst;
        if (r < 0 || r > 0xffffffffL || bu < 0 || bu > 0xffffffffL)
            throw new IllegalArgumentException("ingress_policing_rate/burst " + r + "/" + bu + " are outside 0..4294967295");
        long cir = 0, cbs = 0;
        List<String> qos = Datum.uuids(port.get("qos"), "Port qos");
        TableCache.Row q = qos.isEmpty() ? null : db.row("QoS", qos.getFirst());
        if (q != null) {
            String type = Objects.requireNonNullElse(Datum.optionalString(q.get("type"), "QoS type"), "");
            if (!type.equals("egress-policer"))
                throw new IllegalArgumentException("QoS type \"" + type + "\" is not supported by xvio (egress-policer)");
            Map<String, String> oc = Datum.stringMap(q.get("other_config"), "QoS other_config");
            cir = bytes(oc, "cir");
            cbs = bytes(oc, "cbs");
            if (cir > 0 && cbs == 0) throw new IllegalArgumentException("egress-policer: other_config:cbs must be at least 1 byte with a cir");
        }
        return new io.xvio.control.PolicingConfig(r, bu, cir, cbs);
    }

    private static long bytes(Map<String, String> oc, String key) {
        String v = oc.getOrDefault(key, "0");
        if (!v.matches("\\d{1,10}") || Long.parseLong(v) > io.xvio.control.PolicingConfig.MAX_BYTES)
            throw new IllegalArgumentException("egress-policer: other_config:" + key + "=" + v + " is not a number of bytes up to " + io.xvio.control.PolicingConfig.MAX_BYTES);
        return Long.parseLong(v);
    }

    /** options:tx-retries-max as OVS reads it: 0..32, anything else the default 8 (logged here). */
    private int txRetriesMax(String name, Map<String, String> options) {
        String v = options.get("tx-retries-max");
        if (v == null) return io.xvio.port.VhostUserPort.TX_RETRIES_DEFAULT;
        int n = io.xvio.port.VhostUserPort.parseTxRetriesMax(v);
        if (n >= 0) return n;
        once("interface " + name + ": options:tx-retries-max=" + io.xvio.control.Logging.excerpt(v, 20) + " is not an integer in 0.."
                + io.xvio.port.VhostUserPort.TX_RETRIES_LIMIT + ": the default " + io.xvio.port.VhostUserPort.TX_RETRIES_DEFAULT + " is used (as OVS)");
        return io.xvio.port.VhostUserPort.TX_RETRIES_DEFAULT;
    }

    /** Puts each applied vhost-user port's tx retries in force when they differ from the running port's (no reconnect). */
    private void applyTxRetries(List<Want> wants) {
        for (Want w : wants) {
            if (w.txRetriesMax() < 0 || !applied.containsKey(w.name())) continue;
            if (!(daemon.port(w.bridge(), w.name()) instanceof io.xvio.port.VhostUserPort v) || v.txRetriesMax() == w.txRetriesMax()) continue;
            daemon.setTxRetriesMax(w.bridge(), w.name(), w.txRetriesMax());
            LOG.info("ovsdb: max tx retries for vhost port " + w.name() + " set to " + w.txRetriesMax());
        }
    }

    /** Puts each applied port's ingress policing in force when it changed or the port was made again. */
    private void applyPolicing(List<Want> wants) {
        policed.keySet().retainAll(applied.keySet());
        for (Want w : wants) {
            if (!applied.containsKey(w.name())) continue;
            io.xvio.port.Port p = daemon.port(w.bridge(), w.name());
            if (p == null) continue;
            Object[] was = policed.get(w.name());
            if (was != null && was[0] == p && was[1].equals(w.policing())) continue;
            if (was == null && !w.policing().any()) {
                policed.put(w.name(), new Object[] {p, w.policing()});
                continue;
            }
            try {
                daemon.setPolicing(w.bridge(), w.name(), w.policing());
            } catch (ControlException ex) {
                once("port " + w.name() + ": policing: " + ex.getMessage());
                continue;
            }
            policed.put(w.name(), new Object[] {p, w.policing()});
            LOG.info("ovsdb: port " + w.name() + ": ingress_policing_rate " + w.policing().ingressRateKbps() + " kbps, burst "
                    + w.policing().ingressBurstKb() + " kb, egress-policer cir " + w.policing().egressCir() + " B/s, cbs "
                    + w.policing().egressCbs() + " B");
        }
    }

    /** tag: access port; trunks: a trunk of those VLANs; neither: a trunk of all. vlan_mode access/trunk or unset. */
    private static PortVlan vlan(TableCache.Row port) throws OvsdbException {
        String mode = Datum.optionalString(port.get("vlan_mode"), "Port vlan_mode");
        if (mode != null && !mode.equals("access") && !mode.equals("trunk"))
            throw new IllegalArgumentException("vlan_mode " + mode + " is not supported by xvio (access or trunk)");
        Long tag = Datum.optionalInteger(port.get("tag"), "Port tag");
        List<Long> trunks = Datum.integers(port.get("trunks"), "Port trunks");
        if (tag != null && (tag < 0 || tag > 4095)) throw new IllegalArgumentException("tag " + tag + " is outside 0..4095");
        if (tag != null && tag > 0 && !"trunk".equals(mode)) return new PortVlan(tag.intValue(), null);
        if (trunks.isEmpty()) return PortVlan.TRUNK_ALL;
        BitSet set = new BitSet(4096);
        for (long t : trunks) {
            if (t < 0 || t > 4095) throw new IllegalArgumentException("trunk VLAN " + t + " is outside 0..4095");
            set.set((int) t);
        }
        return new PortVlan(0, set);
    }

    /** The free-form external_ids of a database bridge as last read (empty if none or not xvio's). */
    public Map<String, String> bridgeExternalIds(String bridge) {
        return options.getOrDefault(bridge, BridgeOptions.DEFAULT).externalIds();
    }

    static String versionNames(int bitmap) {
        List<String> n = new ArrayList<>();
        for (int v = 1; v < 32; v++) if ((bitmap & (1 << v)) != 0) n.add(io.xvio.openflow.OfVersion.name(v));
        return n.isEmpty() ? "none" : String.join(", ", n);
    }

    private static IfaceResult fail(Want w, String error) {
        return new IfaceResult(w.uuid(), w.bridge(), w.name(), -1, error);
    }

    private static Config.PortConfig withOfport(Config.PortConfig pc, int ofport) {
        return pc.withOfport(ofport);
    }

    /** Logs a message once (until it stops being true and comes back: the set is cleared on resync). */
    private void once(String message) {
        if (logged.add(message)) LOG.warning("ovsdb: " + message);
    }

    /** After a reconnect: messages may be logged again. */
    public void resync() { logged.clear(); }
}
