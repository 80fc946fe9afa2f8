package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.control.Config;
import io.xvio.control.Daemon;
import io.xvio.port.Port;
import io.xvio.port.VhostUserPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The reconciler against a real daemon (dpdkvhostuser ports: sockets in a temp dir, no root needed) and
 * hand-made database rows: requested and free ofports, errors for rows it cannot serve, ports that did not change
 * kept (the same port object, so their connections go on), changed ones replaced, bridges added and removed.
 */
@org.junit.jupiter.api.Timeout(60)
class ReconcilerTest {
    @TempDir Path dir;
    private Daemon daemon;
    private Reconciler rec;
    private final TableCache db = new TableCache();
    private int seq;
    private final Map<String, String> ifaceUuid = new HashMap<>();

    @BeforeEach
    void start() throws Exception {
        daemon = new Daemon(Config.empty(), dir.resolve("ctl.sock").toString());
        daemon.start();
        Files.createDirectories(dir.resolve("vhost"));
        rec = new Reconciler(daemon, dir.resolve("vhost"));
    }

    @AfterEach
    void stop() { daemon.close(); }

    private String uuid() { return String.format("00000000-0000-0000-0000-%012d", ++seq); }

    /** One update: a bridge with one Port per interface; iface specs are name -> {column: JSON}. */
    private void bridge(String bridgeUuid, String name, String dpType, Map<String, Map<String, Object>> ifaces) throws Exception {
        ObjectNode u = JsonRpc.NODES.objectNode();
        List<Object> ports = new ArrayList<>();
        for (var e : ifaces.entrySet()) {
            String iu = ifaceUuid.computeIfAbsent(e.getKey(), k -> uuid()), pu = "11111111-0000-0000-0000-" + iu.substring(24);
            ObjectNode irow = u.with("Interface").putObject(iu).putObject("new").put("name", e.getKey());
            irow.set("type", JsonRpc.NODES.textNode((String) e.getValue().getOrDefault("type", "")));
            irow.set("options", Datum.mapOf((Map<String, ?>) e.getValue().getOrDefault("options", Map.of())));
            for (String col : List.of("ingress_policing_rate", "ingress_policing_burst", "mtu_request")) {
                Object v = e.getValue().get(col);
                if (v != null) irow.set(col, JsonRpc.NODES.numberNode((Integer) v));
            }
            irow.set("external_ids", Datum.mapOf((Map<String, ?>) e.getValue().getOrDefault("external_ids", Map.of())));
            Object held = e.getValue().get("ofport");                 // the number the database holds (vswitchd wrote it)
            if (held != null) irow.set("ofport", JsonRpc.NODES.numberNode((Integer) held));
            Object req = e.getValue().get("ofport_request");
            irow.set("ofport_request", req == null ? Datum.emptySet() : JsonRpc.NODES.numberNode((Integer) req));
            ObjectNode prow = u.with("Port").putObject(pu).putObject("new").put("name", e.getKey());
            prow.set("interfaces", Datum.uuidRef(iu));
            Object tag = e.getValue().get("tag");
            prow.set("tag", tag == null ? Datum.emptySet() : JsonRpc.NODES.numberNode((Integer) tag));
            prow.set("trunks", Datum.setOf((List<?>) e.getValue().getOrDefault("trunks", List.of())));
            Object mode = e.getValue().get("vlan_mode");
            prow.set("vlan_mode", mode == null ? Datum.emptySet() : JsonRpc.NODES.textNode((String) mode));
            Object qos = e.getValue().get("qos");                 // {type, cir, cbs}: a QoS row of the port
            if (qos instanceof Map<?, ?> qm) {
                String qu = "22222222-0000-0000-0000-" + iu.substring(24);
                ObjectNode qrow = u.with("QoS").putObject(qu).putObject("new").put("type", (String) qm.get("type"));
                qrow.set("other_config", Datum.mapOf(Map.of("cir", qm.get("cir"), "cbs", qm.get("cbs"))));
                prow.set("qos", Datum.uuidRef(qu));
            } else {
                prow.set("qos", Datum.emptySet());
            }
            ports.add(pu);
        }
        ObjectNode brow = u.with("Bridge").putObject(bridgeUuid).putObject("new").put("name", name).put("datapath_type", dpType);
        var set = JsonRpc.NODES.arrayNode();
        for (Object p : ports) set.add(Datum.uuidRef((String) p));
        brow.set("ports", JsonRpc.NODES.arrayNode().add("set").add(set));
        db.apply(u);
    }

    private static Map<String, Object> vhu(Object... kv) {
        Map<String, Object> m = new HashMap<>(Map.of("type", "dpdkvhostuser"));
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    private Map<String, Reconciler.IfaceResult> apply() {
        Map<String, Reconciler.IfaceResult> m = new HashMap<>();
        for (Reconciler.IfaceResult r : rec.apply(db)) m.put(r.name(), r);
        return m;
    }

    @Test
    void txRetriesMaxFollowsTheInterfaceOptionWithoutMakingThePortAgainAndFallsBackToEightAsOvs() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vr1", vhu("options", Map.of("tx-retries-max", "2")));
        ifs.put("vr2", vhu());
        bridge(b, "brr", "netdev", ifs);
        apply();
        VhostUserPort p1 = (VhostUserPort) daemon.port("brr", "vr1");
        assertEquals(2, p1.txRetriesMax());
        assertEquals(8, ((VhostUserPort) daemon.port("brr", "vr2")).txRetriesMax(), "not set: OVS's 8");

        ifs.put("vr1", vhu("options", Map.of("tx-retries-max", "0")));
        bridge(b, "brr", "netdev", ifs);
        apply();
        assertSame(p1, daemon.port("brr", "vr1"), "a tx-retries-max change keeps the port (and its guest)");
        assertEquals(0, p1.txRetriesMax());

        for (String bad : List.of("33", "-1", "many")) {
            ifs.put("vr1", vhu("options", Map.of("tx-retries-max", bad)));
            bridge(b, "brr", "netdev", ifs);
            Map<String, Reconciler.IfaceResult> r = apply();
            assertNull(r.get("vr1").error(), "as OVS: not an error");
            assertSame(p1, daemon.port("brr", "vr1"));
            assertEquals(8, p1.txRetriesMax(), bad + ": the default, as OVS");
        }
        ifs.put("vr1", vhu("options", Map.of("tx-retries-max", "3")));
        bridge(b, "brr", "netdev", ifs);
        apply();
        assertEquals(3, p1.txRetriesMax());
        ifs.put("vr1", vhu());
        bridge(b, "brr", "netdev", ifs);
        apply();
        assertSame(p1, daemon.port("brr", "vr1"));
        assertEquals(8, p1.txRetriesMax(), "removed: the default");
    }

    @Test
    void ingressPolicingFollowsTheInterfaceColumnsWithoutMakingThePortAgain() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vp1", vhu("ingress_policing_rate", 10000, "ingress_policing_burst", 1000));
        ifs.put("vp2", vhu());
        bridge(b, "brp", "netdev", ifs);
        apply();
        Port p1 = daemon.port("brp", "vp1");
        assertEquals(1_250_000, p1.counters().policing.ingress.bytesPerSecond(), "10000 kbps");
        assertEquals(125_000, p1.counters().policing.ingress.burstBytes(), "1000 kb");
        assertNull(daemon.port("brp", "vp2").counters().policing.ingress);

        ifs.put("vp1", vhu("ingress_policing_rate", 2000));            // burst 0: OVS's 8000 kb
        bridge(b, "brp", "netdev", ifs);
        apply();
        assertSame(p1, daemon.port("brp", "vp1"), "a policing change keeps the port");
        assertEquals(250_000, p1.counters().policing.ingress.bytesPerSecond());
        assertEquals(1_000_000, p1.counters().policing.ingress.burstBytes());

        ifs.put("vp1", vhu("ingress_policing_rate", 2000, "mtu_request", 1600));  // an MTU change keeps port and policer
        bridge(b, "brp", "netdev", ifs);
        apply();
        assertSame(p1, daemon.port("brp", "vp1"));
        assertEquals(1600, p1.mtu());
        assertEquals(250_000, daemon.port("brp", "vp1").counters().policing.ingress.bytesPerSecond());

        ifs.put("vp1", vhu("mtu_request", 1600));                      // rate 0: off
        bridge(b, "brp", "netdev", ifs);
        apply();
        assertNull(daemon.port("brp", "vp1").counters().policing.ingress);

        // the port's QoS row: an egress-policer (bytes/s, bytes); other types are refused
        ifs.put("vp2", vhu("qos", Map.of("type", "egress-policer", "cir", "125000", "cbs", "3000")));
        bridge(b, "brp", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertNull(r.get("vp2").error());
        assertEquals(125_000, daemon.port("brp", "vp2").counters().policing.egress.bytesPerSecond());
        assertEquals(3000, daemon.port("brp", "vp2").counters().policing.egress.burstBytes());
        ifs.put("vp2", vhu("qos", Map.of("type", "linux-htb", "cir", "1", "cbs", "1")));
        bridge(b, "brp", "netdev", ifs);
        r = apply();
        assertEquals("QoS type \"linux-htb\" is not supported by xvio (egress-policer)", r.get("vp2").error());
    }

    /** What a front-end is offered on the socket of dpdkvhostuser port NAME. */
    private long offered(String name) {
        try (io.xvio.testing.TestFrontend f = io.xvio.testing.TestFrontend.connect(dir.resolve("vhost").resolve(name).toString())) {
            return f.getFeatures();
        }
    }

    @Test
    void vhostUserPortsOfferOffloadsByDefault() throws Exception {
        bridge(uuid(), "bro", "netdev", Map.of("vo1", vhu()));
        apply();
        long all = io.xvio.virtio.VirtioFeatures.OFFLOADS;
        assertEquals(all, offered("vo1") & all, "userspace-tso-enable unset: xvio's default, offloads offered");
    }

    @Test
    void userspaceTsoEnableFalseMakesVhostUserPortsWithoutOffloads() throws Exception {
        rec.vhostOffloads(false);                       // as OvsdbAgent does when it reads userspace-tso-enable=false
        bridge(uuid(), "bro", "netdev", Map.of("vo2", vhu()));
        apply();
        assertEquals(0, offered("vo2") & io.xvio.virtio.VirtioFeatures.OFFLOADS, "none offered");
    }

    @Test
    void mtuRequestBecomesThePortsMtuAndIsRefusedOnSystemInterfaces() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vm1", vhu("mtu_request", 1600));
        ifs.put("vm2", vhu());
        ifs.put("eth9", new HashMap<>(Map.of("type", "system", "mtu_request", 9000)));
        bridge(b, "brm", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertNull(r.get("vm1").error());
        Port p1 = daemon.port("brm", "vm1");
        assertEquals(1600, p1.mtu());
        assertEquals("1600", p1.details().get("mtu"), "what the Interface mtu column is written from");
        assertEquals(1500, daemon.port("brm", "vm2").mtu(), "no mtu_request: OVS-DPDK's 1500");
        assertTrue(r.get("eth9").error().startsWith("mtu_request: an afpacket port takes the MTU of the interface it attaches to"), r.get("eth9").error());
        assertEquals(-1, r.get("eth9").ofport());

        ifs.put("vm1", vhu("mtu_request", 9000));                      // a new MTU: in place, as OVS (the guest stays)
        ifs.put("vm2", vhu("mtu_request", 10));
        bridge(b, "brm", "netdev", ifs);
        r = apply();
        assertSame(p1, daemon.port("brm", "vm1"), "an MTU change keeps the port");
        assertEquals(9000, p1.mtu());
        assertEquals("9000", p1.details().get("mtu"));
        assertEquals("mtu_request 10 is outside 68..65535", r.get("vm2").error());
        ifs.put("vm1", vhu());                                          // no mtu_request: made again with the default
        bridge(b, "brm", "netdev", ifs);
        apply();
        assertNotSame(p1, daemon.port("brm", "vm1"));
        assertEquals(1500, daemon.port("brm", "vm1").mtu());
    }

    @Test
    void anInterfaceWithVirtioForwarderIsARelaysVfNotAPort() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("xvnovf0", new HashMap<>(Map.of("type", "system", "external_ids", Map.of("virtio_forwarder", "3"))));
        ifs.put("xvnovf1", new HashMap<>(Map.of("external_ids", Map.of("virtio_relay", "many"))));
        ifs.put("vh4", vhu("external_ids", Map.of("virtio_forwarder", "4")));
        bridge(b, "brr", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals("relay relay3: vf device xvnovf0 does not exist", r.get("xvnovf0").error());
        assertEquals(-1, r.get("xvnovf0").ofport());
        assertNull(daemon.port("brr", "xvnovf0"), "a relay's VF is not a port of its bridge");
        assertEquals("external_ids:virtio_relay=many is not a relay number (0..1023)", r.get("xvnovf1").error());
        assertEquals("external_ids:virtio_forwarder is for a VF's interface (type system or afxdp), not type dpdkvhostuser", r.get("vh4").error());
        assertNull(daemon.port("brr", "vh4"));

        ifs.put("xvnovf0", new HashMap<>(Map.of("type", "system")));      // the key removed: an ordinary port again
        bridge(b, "brr", "netdev", ifs);
        r = apply();
        assertNull(r.get("xvnovf0").error());
        assertNull(r.get("xvnovf0").relay());
        assertNotNull(daemon.port("brr", "xvnovf0"));
    }

    /** A bridge's name becomes its internal interface's and its BRIDGE.mgmt socket's: "../x" would escape the run directory. */
    @Test
    void aBridgeWhoseNameIsNoInterfaceNameIsNotMade() throws Exception {
        bridge(uuid(), "../xvio-esc", "netdev", Map.of());
        bridge(uuid(), "br9", "netdev", Map.of());
        apply();
        assertEquals(List.of("br9"), daemon.bridgeNames());
        assertFalse(Files.exists(dir.getParent().resolve("xvio-esc.mgmt")), "no socket outside " + dir);
        var e = assertThrows(io.xvio.control.ControlException.class, () -> daemon.addBridge("br 0"));
        assertTrue(e.getMessage().contains("is not a valid interface name"), e.getMessage());
    }

    @Test
    void relayNumbersAndSockets() {
        assertNull(RelayInterfaces.number(Map.of("iface-id", "x")));
        assertEquals(7, RelayInterfaces.number(Map.of("virtio_forwarder", "7")));
        assertEquals(7, RelayInterfaces.number(Map.of("virtio_forwarder", "7", "virtio_relay", "7")));
        assertThrows(IllegalArgumentException.class, () -> RelayInterfaces.number(Map.of("virtio_forwarder", "7", "virtio_relay", "8")));
        assertThrows(IllegalArgumentException.class, () -> RelayInterfaces.number(Map.of("virtio_forwarder", "1024")));
        assertThrows(IllegalArgumentException.class, () -> RelayInterfaces.number(Map.of("virtio_forwarder", "-1")));
        var rc = RelayInterfaces.config(7, "eth1v0", "afxdp", dir);
        assertEquals("relay7", rc.name());
        assertEquals(dir.resolve("virtio-forwarder7.sock").toString(), rc.vhost().path());
        assertEquals("server", rc.vhost().mode());
        assertEquals("afxdp", rc.vf().type());
        assertEquals("eth1v0", rc.vf().device());
        assertEquals("afpacket", RelayInterfaces.config(7, "eth1v0", "", dir).vf().type());
    }

    @Test
    void tunnelRowsBecomeTunnelPorts() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vx0", new HashMap<>(Map.of("type", "vxlan", "options", Map.of("remote_ip", "172.31.0.2", "key", "100"), "ofport_request", 10)));
        ifs.put("gnv0", new HashMap<>(Map.of("type", "geneve", "options", Map.of("remote_ip", "172.31.0.3", "in_key", "flow", "out_key", "flow"))));
        ifs.put("bad0", new HashMap<>(Map.of("type", "vxlan", "options", Map.of("remote_ip", "172.31.0.4", "in_key", "1", "out_key", "2"))));
        bridge(b, "brt", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertNull(r.get("vx0").error());
        assertEquals(10, r.get("vx0").ofport());
        assertNull(r.get("gnv0").error());
        assertEquals("vxlan", daemon.port("brt", "vx0").type());
        assertEquals("geneve", daemon.port("brt", "gnv0").type());
        assertTrue(daemon.port("brt", "vx0").details().get("options").contains("172.31.0.2"), daemon.port("brt", "vx0").details().toString());
        assertEquals(-1, r.get("bad0").ofport());
        assertTrue(r.get("bad0").error().contains("in_key=1 and out_key=2 differ"), r.get("bad0").error());
        assertNull(daemon.port("brt", "bad0"));
    }

    /**
     * OVS's afxdp options: best-effort is what xvio does; native/generic and use-need-wakeup=false make the port as
     * xvio makes it and are logged once per interface; native-with-zerocopy and an unknown mode are the row's error.
     */
    @Test
    void afxdpOptionsXvioHasNoSettingForAreLoggedOnceAndBadOnesAreErrors() throws Exception {
        List<String> warnings = new ArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger("xvio.ovsdb");
        java.util.logging.Handler h = new java.util.logging.Handler() {
            @Override public void publish(java.util.logging.LogRecord r) { synchronized (warnings) { warnings.add(r.getMessage()); } }
            @Override public void flush() {}
            @Override public void close() {}
        };
        log.addHandler(h);
        try {
            String b = uuid();
            Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
            ifs.put("xvafx1", Map.of("type", "afxdp", "options", Map.of("xdp-mode", "best-effort", "use-need-wakeup", "true")));
            ifs.put("xvafx2", Map.of("type", "afxdp", "options", Map.of("xdp-mode", "Generic", "use-need-wakeup", "false")));
            ifs.put("xvafx3", Map.of("type", "afxdp", "options", Map.of("xdp-mode", "native-with-zerocopy")));
            ifs.put("xvafx4", Map.of("type", "afxdp", "options", Map.of("xdp-mode", "turbo")));
            bridge(b, "brx", "netdev", ifs);
            Map<String, Reconciler.IfaceResult> r = apply();
            apply();                                                     // again: nothing logged twice
            assertNull(r.get("xvafx1").error());
            assertTrue(r.get("xvafx1").ofport() > 0);
            assertNull(r.get("xvafx2").error(), "made as xvio makes afxdp ports");
            assertTrue(r.get("xvafx2").ofport() > 0);
            assertEquals(-1, r.get("xvafx3").ofport());
            assertTrue(r.get("xvafx3").error().startsWith("afxdp: options:xdp-mode=native-with-zerocopy is not supported: xvio's AF_XDP sockets are copy mode"),
                    r.get("xvafx3").error());
            assertEquals("afxdp: options:xdp-mode=turbo is not one of best-effort, native-with-zerocopy, native, generic (OVS's: incorrect xdp-mode)",
                    r.get("xvafx4").error());
            List<String> about;
            synchronized (warnings) {
                about = warnings.stream().filter(w -> w.contains("xvafx") && w.contains("options:")).toList();
            }
            assertEquals(2, about.size(), about.toString());
            assertTrue(about.contains("ovsdb: interface xvafx2: options:xdp-mode=Generic is not supported by xvio: it attaches its XDP program "
                    + "in native mode where the driver has it, else in generic mode (OVS's best-effort; `xvio show` says which)"), about.toString());
            assertTrue(about.contains("ovsdb: interface xvafx2: options:use-need-wakeup=false is not supported by xvio: it uses need_wakeup "
                    + "wherever the kernel has it"), about.toString());
        } finally {
            log.removeHandler(h);
        }
    }

    /** As OVS's iface_pick_ofport: a port without ofport_request gets the number the database holds for it (after a restart) when free. */
    @Test
    void aPortGetsTheOfportTheDatabaseHoldsForItWhenFree() throws Exception {
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vd1", vhu("ofport", 9));
        ifs.put("vd2", vhu("ofport", 4));
        ifs.put("vd3", vhu());
        ifs.put("vd4", vhu("ofport", 7));                              // but vd5 asks for 7
        ifs.put("vd5", vhu("ofport_request", 7));
        ifs.put("vd6", vhu("ofport", -1));                             // failed last time: none held
        bridge(uuid(), "brd", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals(9, r.get("vd1").ofport());
        assertEquals(4, r.get("vd2").ofport());
        assertEquals(7, r.get("vd5").ofport(), "a request wins over a number held");
        Set<Integer> others = new HashSet<>();
        for (String n : List.of("vd3", "vd4", "vd6")) {
            assertNull(r.get(n).error(), n);
            assertEquals(r.get(n).ofport(), daemon.port("brd", n).ofport());
            others.add(r.get(n).ofport());
        }
        assertEquals(3, others.size(), "distinct: " + others);
        assertTrue(others.stream().allMatch(o -> o > 0 && o != 4 && o != 7 && o != 9), others.toString());
    }

    /** As OVS's alloc_ofp_port: automatic numbers go round, so a freed one is not given to the next port (old flows would apply to it). */
    @Test
    void aFreedOfportIsNotGivenToTheNextPort() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vf1", vhu());
        ifs.put("vf2", vhu());
        bridge(b, "brf", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals(1, r.get("vf1").ofport());
        assertEquals(2, r.get("vf2").ofport());
        ifs.remove("vf1");
        bridge(b, "brf", "netdev", ifs);
        apply();
        ifs.put("vf3", vhu());
        bridge(b, "brf", "netdev", ifs);
        r = apply();
        assertEquals(3, r.get("vf3").ofport(), "not vf1's 1, freed a moment ago");
        assertEquals(3, daemon.port("brf", "vf3").ofport());
    }

    /** As OVS: a port xvio has to make again for a changed column keeps its OpenFlow port number (flows for it stay right). */
    @Test
    void aPortMadeAgainForAChangeKeepsItsOfport() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vk1", vhu());
        ifs.put("vk2", vhu());
        bridge(b, "brk", "netdev", ifs);
        assertEquals(2, apply().get("vk2").ofport());
        ifs.remove("vk1");                                             // 1 is free now
        bridge(b, "brk", "netdev", ifs);
        apply();
        List<Map<String, Object>> changes = List.of(vhu("tag", 10), vhu("tag", 10, "mtu_request", 1600),
                vhu("trunks", List.of(20, 30), "mtu_request", 1600), vhu("trunks", List.of(20, 30), "options", Map.of("tx-retries-max", "2", "n_rxq", "2")),
                Map.of("type", "dpdkvhostuserclient", "options", Map.of("vhost-server-path", dir.resolve("vk2c.sock").toString())));
        for (Map<String, Object> c : changes) {
            ifs.put("vk2", c);
            bridge(b, "brk", "netdev", ifs);
            Map<String, Reconciler.IfaceResult> r = apply();
            assertNull(r.get("vk2").error(), c.toString());
            assertEquals(2, r.get("vk2").ofport(), "after " + c);
            assertEquals(2, daemon.port("brk", "vk2").ofport(), "after " + c);
        }
    }

    /**
     * ofport_request collisions as OVS (bridge.c bridge_delete_or_reconfigure_ports, ofproto.c alloc_ofp_port): the later
     * port gets an automatic number, no error; it gets its request when the holder lets go of the number, at once when
     * the holder did not request it (the holder is moved).
     */
    @Test
    void anOfportRequestCollisionGivesAnAutomaticNumberUntilTheNumberIsFree() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vc1", vhu("ofport_request", 7));
        ifs.put("vc2", vhu("ofport_request", 7));
        bridge(b, "brc", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals(7, r.get("vc1").ofport());
        assertNull(r.get("vc2").error());
        assertEquals(1, r.get("vc2").ofport(), "an automatic number");
        Port vc2 = daemon.port("brc", "vc2");
        assertEquals(1, vc2.ofport());
        assertEquals(1, apply().get("vc2").ofport());
        assertSame(vc2, daemon.port("brc", "vc2"), "left alone while the holder requests the number too");

        ifs.put("vc1", vhu("ofport_request", 9));                      // the holder moves: the number is vc2's
        bridge(b, "brc", "netdev", ifs);
        r = apply();
        assertEquals(9, r.get("vc1").ofport());
        assertEquals(7, r.get("vc2").ofport());
        assertEquals(7, daemon.port("brc", "vc2").ofport());

        ifs.put("vc3", vhu());                                         // an automatic number...
        bridge(b, "brc", "netdev", ifs);
        int auto = apply().get("vc3").ofport();
        ifs.put("vc4", vhu("ofport_request", auto));                   // ...another port asks for: the holder is moved
        bridge(b, "brc", "netdev", ifs);
        r = apply();
        assertEquals(auto, r.get("vc4").ofport());
        assertEquals(auto, daemon.port("brc", "vc4").ofport());
        assertNull(r.get("vc3").error());
        assertTrue(r.get("vc3").ofport() > 0 && r.get("vc3").ofport() != auto, r.get("vc3").toString());
        assertEquals(r.get("vc3").ofport(), daemon.port("brc", "vc3").ofport());
    }

    @Test
    void rowsBecomePortsAndUnchangedPortsAreLeftAlone() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vh1", vhu("ofport_request", 7));
        ifs.put("vh2", vhu());
        ifs.put("vh3", vhu("ofport_request", 7));                     // taken by vh1
        ifs.put("bad", Map.of("type", "patch"));                       // no options:peer
        ifs.put("cl", Map.of("type", "dpdkvhostuserclient"));           // no vhost-server-path
        bridge(b, "brx", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals(List.of("brx"), daemon.bridgeNames());
        assertEquals(7, r.get("vh1").ofport());
        assertEquals(1, r.get("vh3").ofport(), "as OVS: a request that is taken gets the first automatic number (requests are added first)");
        assertNull(r.get("vh3").error());
        assertEquals(2, r.get("vh2").ofport(), "the next automatic one");
        assertEquals("bad: patch type requires valid 'peer' argument", r.get("bad").error(), "OVS's words");
        assertTrue(r.get("cl").error().contains("vhost-server-path"), r.get("cl").error());
        assertTrue(Files.exists(dir.resolve("vhost/vh1")));
        Port vh1 = daemon.port("brx", "vh1"), vh2 = daemon.port("brx", "vh2");

        // vh2 becomes a client port (changed: replaced), vh3 a free ofport (added), vh1 untouched
        ifs.put("vh2", Map.of("type", "dpdkvhostuserclient", "options", Map.of("vhost-server-path", dir.resolve("vh2c").toString())));
        ifs.put("vh3", vhu("ofport_request", 8));
        bridge(b, "brx", "netdev", ifs);
        r = apply();
        assertSame(vh1, daemon.port("brx", "vh1"), "an unchanged port is the same port");
        assertNotSame(vh2, daemon.port("brx", "vh2"), "a changed port is made again");
        assertEquals(2, r.get("vh2").ofport(), "and keeps its number");
        assertEquals(8, r.get("vh3").ofport());
        assertNull(r.get("vh3").error());

        // a second pass over the same rows changes nothing
        Port vh3 = daemon.port("brx", "vh3");
        apply();
        assertSame(vh3, daemon.port("brx", "vh3"));

        // removed behind the reconciler's back (xvio del-port): added again
        daemon.removePort("brx", "vh3");
        assertEquals(8, apply().get("vh3").ofport());
        assertNotNull(daemon.port("brx", "vh3"));
    }

    @Test
    void bridgesOfOtherDatapathTypesAreIgnoredAndBridgesGoWithTheirRows() throws Exception {
        String sys = uuid(), net = uuid();
        bridge(sys, "sys0", "system", Map.of("vs1", vhu()));
        bridge(net, "net0", "netdev", Map.of("vn1", vhu()));
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals(List.of("net0"), daemon.bridgeNames());
        assertFalse(r.containsKey("vs1"), "a system bridge's interfaces are not xvio's to report");
        assertEquals(Map.of(net, "net0"), rec.bridges(db));
        // the bridge row turns into a system bridge: xvio lets go of it
        bridge(net, "net0", "", Map.of("vn1", vhu()));
        apply();
        assertEquals(List.of(), daemon.bridgeNames());
        assertFalse(Files.exists(dir.resolve("vhost/vn1")), "its port's socket is gone with it");
    }

    private String call(String... args) throws Exception {
        io.xvio.control.ControlClient.Reply r = io.xvio.control.ControlClient.call(dir.resolve("ctl.sock").toString(), List.of(args));
        assertTrue(r.ok(), r.text());
        return r.text();
    }

    /**
     * As ovs-vswitchd (connmgr): a bridge made with fail_mode=secure (ovn-controller's br-int) has no flow at all, not
     * the NORMAL flow, so its ports forward nothing until a controller says so; a fail mode change without controllers
     * flushes the flows, leaving NORMAL only in standalone.
     */
    @Test
    void aSecureBridgeStartsWithoutTheNormalFlowAndAFailModeChangeFlushes() throws Exception {
        String b = uuid();
        bridge(b, "brs", "netdev", Map.of("vs1", vhu()));
        ObjectNode u = JsonRpc.NODES.objectNode();
        bridgeUpdate(u, b).put("fail_mode", "secure");
        db.apply(u);
        apply();
        assertNotNull(daemon.port("brs", "vs1"));
        assertFalse(call("dump-flows", "brs").contains("NORMAL"), "secure: no NORMAL flow\n" + call("dump-flows", "brs"));

        call("add-flow", "brs", "priority=5,actions=drop");
        ObjectNode v = JsonRpc.NODES.objectNode();
        bridgeUpdate(v, b).set("fail_mode", Datum.emptySet());
        db.apply(v);
        apply();
        String flows = call("dump-flows", "brs");
        assertTrue(flows.contains("actions=NORMAL") && !flows.contains("priority=5"), "standalone, no controller: flushed to NORMAL\n" + flows);

        ObjectNode w = JsonRpc.NODES.objectNode();
        bridgeUpdate(w, b).put("fail_mode", "secure");
        db.apply(w);
        apply();
        assertFalse(call("dump-flows", "brs").contains("NORMAL"), "secure again: flushed, nothing\n" + call("dump-flows", "brs"));
        daemon.removeBridge("brs");
    }

    /** Bridge controller (Controller rows' target) and fail_mode reach the bridge's OpenFlow side; its BRIDGE.mgmt exists. */
    @Test
    void controllersAndFailModeFromTheDatabase() throws Exception {
        String b = uuid(), c1 = uuid(), c2 = uuid();
        bridge(b, "brc", "netdev", Map.of("vc1", vhu()));
        String t1 = "unix:" + dir.resolve("nobody.sock"), t2 = "tcp:127.0.0.1:9";
        ObjectNode u = JsonRpc.NODES.objectNode();
        u.with("Controller").putObject(c1).putObject("new").put("target", t1).put("inactivity_probe", 2000)
                .put("controller_rate_limit", 500).put("controller_burst_limit", 80);
        u.with("Controller").putObject(c2).putObject("new").put("target", t2).put("controller_burst_limit", 40);
        ObjectNode row = u.with("Bridge").putObject(b).putObject("new");
        db.row("Bridge", b).columns().forEach(row::set);                 // "new" carries every column
        row.set("controller", JsonRpc.NODES.arrayNode().add("set").add(JsonRpc.NODES.arrayNode().add(Datum.uuidRef(c1)).add(Datum.uuidRef(c2))));
        row.put("fail_mode", "secure");
        db.apply(u);
        apply();
        assertTrue(Files.exists(dir.resolve("brc.mgmt")), "a database bridge has its OpenFlow socket");
        assertEquals(t2 + "\n" + t1 + "\n", call("get-controller", "brc"));
        assertEquals("secure\n", call("get-fail-mode", "brc"));
        String status = call("get-controller", "brc", "--status");
        assertTrue(status.contains("packet-in rate limit: 500/s, burst 40\n"), "the smallest rate and burst of the bridge's controllers: " + status);

        ObjectNode v = JsonRpc.NODES.objectNode();
        ObjectNode none = v.with("Bridge").putObject(b).putObject("new");
        db.row("Bridge", b).columns().forEach(none::set);
        none.set("controller", Datum.emptySet());
        none.set("fail_mode", Datum.emptySet());
        db.apply(v);
        apply();
        assertEquals("", call("get-controller", "brc"));
        assertEquals("standalone\n", call("get-fail-mode", "brc"), "an empty fail_mode is OVS's standalone");
        assertFalse(call("get-controller", "brc", "--status").contains("rate limit:"), "no controllers: no limit");
        daemon.removeBridge("brc");
        assertFalse(Files.exists(dir.resolve("brc.mgmt")), "the socket goes with the bridge");
    }

    /** The bridge row's columns with some replaced (an update's "new" carries every column). */
    private ObjectNode bridgeUpdate(ObjectNode u, String b) {
        ObjectNode row = u.with("Bridge").putObject(b).putObject("new");
        db.row("Bridge", b).columns().forEach(row::set);
        return row;
    }

    /** An OpenFlow hello (bitmap 0: none) to BRIDGE.mgmt, then a features request: the reply's datapath id, or -1 if refused. */
    private long features(String bridge, int version, int bitmap) throws Exception {
        try (java.nio.channels.SocketChannel c = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(dir.resolve(bridge + ".mgmt")))) {
            java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(bitmap == 0 ? 8 : 16);
            hello.put((byte) version).put((byte) 0).putShort((short) hello.capacity()).putInt(1);
            if (bitmap != 0) hello.putShort((short) 1).putShort((short) 8).putInt(bitmap);
            // hello and request in one write: a refusing bridge closes after the hello, and a second write would race that
            java.nio.ByteBuffer req = java.nio.ByteBuffer.allocate(8).put((byte) version).put((byte) 5).putShort((short) 8).putInt(2);
            c.write(new java.nio.ByteBuffer[] {hello.flip(), req.flip()});
            while (true) {
                java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(8);
                while (h.hasRemaining()) if (c.read(h) < 0) return -1;
                java.nio.ByteBuffer body = java.nio.ByteBuffer.allocate((h.getShort(2) & 0xffff) - 8);
                while (body.hasRemaining()) if (c.read(body) < 0) return -1;
                if (h.get(1) == 1) return -1;                                // OFPT_ERROR: hello failed
                if (h.get(1) == 6) return body.getLong(0);                   // OFPT_FEATURES_REPLY
            }
        }
    }

    /** Bridge protocols and other_config:datapath-id reach the bridge's OpenFlow socket; bad values leave the defaults. */
    @Test
    void protocolsAndDatapathIdFromTheDatabase() throws Exception {
        String b = uuid();
        bridge(b, "brv", "netdev", Map.of("vv1", vhu()));
        apply();
        long own = daemon.datapathId("brv");
        assertEquals(own, features("brv", 1, 0), "defaults: OpenFlow 1.0 works");

        ObjectNode u = JsonRpc.NODES.objectNode();
        ObjectNode row = bridgeUpdate(u, b);
        row.set("protocols", Datum.setOf(List.of("OpenFlow13", "OpenFlow15")));
        row.set("other_config", Datum.mapOf(Map.of("datapath-id", "00000000000000aa", "disable-in-band", "true", "frobnicate", "1")));
        row.set("external_ids", Datum.mapOf(Map.of("owner", "test")));
        db.apply(u);
        Map<String, Reconciler.IfaceResult> r = apply();
        assertEquals(1, r.get("vv1").ofport(), "the port is not disturbed");
        assertEquals(0xaa, daemon.datapathId("brv"));
        assertEquals(-1, features("brv", 1, 0), "OpenFlow 1.0 is refused");
        assertEquals(-1, features("brv", 4, 1 << 1), "a bitmap of 1.0 alone too");
        assertEquals(0xaa, features("brv", 4, 0), "1.3 works and carries the datapath-id");
        assertEquals(0xaa, features("brv", 6, (1 << 6) | (1 << 1)), "1.5 too");
        assertEquals(Map.of("owner", "test"), rec.bridgeExternalIds("brv"));

        ObjectNode v = JsonRpc.NODES.objectNode();
        ObjectNode bad = bridgeUpdate(v, b);
        bad.set("protocols", Datum.emptySet());
        bad.set("other_config", Datum.mapOf(Map.of("datapath-id", "not-a-dpid")));
        db.apply(v);
        r = apply();
        assertNull(r.get("vv1").error());
        assertEquals(own, daemon.datapathId("brv"), "a bad datapath-id: the bridge's own (logged)");
        assertEquals(own, features("brv", 1, 0), "no protocols: OpenFlow 1.0 again");
    }

    /** Controller rows get is_connected, role and status as ovs-vswitchd writes them (a listening peer; a refused port). */
    @Test
    void controllerRowsGetTheirConnectionState() throws Exception {
        int closed;
        try (java.nio.channels.ServerSocketChannel s = java.nio.channels.ServerSocketChannel.open().bind(new java.net.InetSocketAddress("127.0.0.1", 0))) {
            closed = ((java.net.InetSocketAddress) s.getLocalAddress()).getPort();
        }
        try (java.nio.channels.ServerSocketChannel server = java.nio.channels.ServerSocketChannel.open().bind(new java.net.InetSocketAddress("127.0.0.1", 0))) {
            String b = uuid(), c1 = uuid(), c2 = uuid();
            bridge(b, "brk", "netdev", Map.of("vk1", vhu()));
            ObjectNode u = JsonRpc.NODES.objectNode();
            u.with("Controller").putObject(c1).putObject("new").put("target", "tcp:127.0.0.1:" + ((java.net.InetSocketAddress) server.getLocalAddress()).getPort());
            u.with("Controller").putObject(c2).putObject("new").put("target", "tcp:127.0.0.1:" + closed);
            ObjectNode row = bridgeUpdate(u, b);
            row.set("controller", JsonRpc.NODES.arrayNode().add("set").add(JsonRpc.NODES.arrayNode().add(Datum.uuidRef(c1)).add(Datum.uuidRef(c2))));
            row.set("protocols", Datum.setOf(List.of("OpenFlow13")));
            db.apply(u);
            apply();
            java.nio.channels.SocketChannel peer = server.accept();
            java.nio.ByteBuffer theirs = java.nio.ByteBuffer.allocate(16);
            while (theirs.hasRemaining()) assertTrue(peer.read(theirs) >= 0);
            assertEquals(4, theirs.get(0), "the first hello already offers only the bridge's protocols (applied before the controllers)");
            assertEquals(1 << 4, theirs.getInt(12));
            java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(16).put((byte) 4).put((byte) 0).putShort((short) 16).putInt(1)
                    .putShort((short) 1).putShort((short) 8).putInt(1 << 4);
            peer.write(hello.flip());

            StatusWriter w = new StatusWriter();
            Map<String, String> rows = new HashMap<>();
            long end = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < end) {
                com.fasterxml.jackson.databind.node.ArrayNode ops = JsonRpc.NODES.arrayNode();
                w.controllers(ops, db, rec.bridges(db), daemon, System.currentTimeMillis());
                for (var op : ops) rows.put(op.get("where").get(0).get(2).get(1).asText(), op.get("row").toString());
                if (rows.getOrDefault(c1, "").contains("\"is_connected\":true") && rows.getOrDefault(c2, "").contains("Connection refused")) break;
                Thread.sleep(50);
            }
            String up = rows.get(c1), refused = rows.get(c2);
            assertNotNull(up, rows.toString());
            assertTrue(up.matches("\\{\"is_connected\":true,\"role\":\"other\",\"status\":\\[\"map\",\\[\\[\"sec_since_connect\",\"[0-9]+\"],\\[\"state\",\"ACTIVE\"]]]}"), up);
            assertTrue(refused.startsWith("{\"is_connected\":false,\"role\":\"other\",\"status\":[\"map\",[[\"last_error\",\"Connection refused\"],[\"sec_since_disconnect\","), refused);
            com.fasterxml.jackson.databind.node.ArrayNode again = JsonRpc.NODES.arrayNode();
            w.controllers(again, db, rec.bridges(db), daemon, System.currentTimeMillis());
            assertTrue(again.size() <= 2, "at most a row per controller");
            peer.close();
        }
    }

    /** As OVS: tag and trunks change on the running port (its guest stays connected, its number and counters stay). */
    @Test
    void aTagOrTrunksChangeIsMadeOnTheRunningPort() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vv1", vhu());
        ifs.put("vv2", vhu("tag", 10));
        bridge(b, "brv", "netdev", ifs);
        apply();
        Port vv1 = daemon.port("brv", "vv1"), vv2 = daemon.port("brv", "vv2");
        ifs.put("vv1", vhu("tag", 20));
        ifs.put("vv2", vhu("trunks", List.of(10, 30)));
        bridge(b, "brv", "netdev", ifs);
        apply();
        assertSame(vv1, daemon.port("brv", "vv1"), "the same port");
        assertSame(vv2, daemon.port("brv", "vv2"));
        String show = call("show");
        assertTrue(show.contains(" vv1 type=vhostuser tag=20 "), show);
        assertTrue(show.contains(" vv2 type=vhostuser trunks=10,30 "), show);
        ifs.put("vv1", vhu());
        bridge(b, "brv", "netdev", ifs);
        apply();
        assertSame(vv1, daemon.port("brv", "vv1"));
        assertFalse(call("show").contains(" vv1 type=vhostuser tag="), call("show"));
    }

    /** Port tag (an access port), trunks (a trunk of those VLANs), vlan_mode access/trunk; others and bad VLANs are the row's error. */
    @Test
    void portTagTrunksAndVlanMode() throws Exception {
        String b = uuid();
        Map<String, Map<String, Object>> ifs = new LinkedHashMap<>();
        ifs.put("vt1", vhu("tag", 10));
        ifs.put("vt2", vhu("trunks", List.of(10, 20)));
        ifs.put("vt3", vhu("tag", 30, "vlan_mode", "trunk", "trunks", List.of(30, 40)));
        ifs.put("vt4", vhu("vlan_mode", "native-untagged", "tag", 5));
        ifs.put("vt5", vhu("tag", 5000));
        ifs.put("vt6", vhu("trunks", List.of(1, 4096)));
        bridge(b, "brt", "netdev", ifs);
        Map<String, Reconciler.IfaceResult> r = apply();
        String show = call("show");
        assertTrue(show.contains(" vt1 type=vhostuser tag=10 "), show);
        assertTrue(show.contains(" vt2 type=vhostuser trunks=10,20 "), show);
        assertTrue(show.contains(" vt3 type=vhostuser trunks=30,40 "), "vlan_mode=trunk: the tag does not make it an access port\n" + show);
        assertEquals("port vt4: vlan_mode native-untagged is not supported by xvio (access or trunk)", r.get("vt4").error());
        assertEquals("port vt5: tag 5000 is outside 0..4095", r.get("vt5").error());
        assertEquals("port vt6: trunk VLAN 4096 is outside 0..4095", r.get("vt6").error());
        for (String bad : List.of("vt4", "vt5", "vt6")) assertEquals(-1, r.get(bad).ofport(), bad);
        assertNull(daemon.port("brt", "vt4"));
    }
}
