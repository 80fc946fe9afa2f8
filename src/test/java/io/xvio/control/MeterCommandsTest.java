package io.xvio.control;

import io.xvio.datapath.PortVlan;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The meter commands and config keys against a bridge without a daemon: ovs-ofctl's messages, OVS's rules (flows
 * name only existing meters; del-meters deletes their flows), dump-meters and meter-stats text; the YAML keys
 * meters: and the port policing keys.
 */
class MeterCommandsTest {
    private final Bridge br = new Bridge("br0");
    private final FlowCommands flows = new FlowCommands(Map.of("br0", br));
    private final MeterCommands meters = new MeterCommands(flows);

    MeterCommandsTest() {
        for (int of = 1; of <= 2; of++) {
            br.ports.add(new TestPort("p" + of, of));
            br.vlans.add(PortVlan.TRUNK_ALL);
        }
        br.setFlows(List.of());
    }

    /** A port with counters of its own (and so policers). */
    static final class TestPort implements io.xvio.port.Port {
        final String name;
        final int ofport;
        final io.xvio.port.PortCounters counters = new io.xvio.port.PortCounters();
        TestPort(String name, int ofport) { this.name = name; this.ofport = ofport; }
        public String name() { return name; }
        public int ofport() { return ofport; }
        public String type() { return "test"; }
        public int rxQueues() { return 0; }
        public int receive(int q, io.xvio.packet.PacketBatch b, int thread) { return 0; }
        public void transmit(int thread, io.xvio.packet.PacketBatch b, int[] which, int n) {}
        public io.xvio.port.PortCounters counters() { return counters; }
        public Map<String, Long> extraCounters() { return Map.of(); }
        public String status() { return "up"; }
        public Map<String, String> details() { return Map.of(); }
        public void start() {}
        public void close() {}
    }

    @Test
    void addDumpModStatsDelete() {
        meters.put(List.of("add-meter", "br0", "meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000"), false);
        assertEquals("meter=1 kbps burst stats bands=\ntype=drop rate=10000 burst_size=1000\n", meters.dump(List.of("dump-meters", "br0")));
        ControlException e = assertThrows(ControlException.class,
                () -> meters.put(List.of("add-meter", "br0", "meter=1,pktps,bands=type=drop,rate=1"), false));
        assertTrue(e.getMessage().startsWith("OFPMMFC_METER_EXISTS"), e.getMessage());
        e = assertThrows(ControlException.class, () -> meters.put(List.of("mod-meter", "br0", "meter=2,pktps,bands=type=drop,rate=1"), true));
        assertTrue(e.getMessage().startsWith("OFPMMFC_UNKNOWN_METER"), e.getMessage());
        e = assertThrows(ControlException.class, () -> meters.put(List.of("add-meter", "br0", "meter=2,kbps"), false));
        assertEquals("must specify bands", e.getMessage());

        flows.addFlows(List.of("add-flow", "br0", "in_port=1,actions=meter:1,output:2"));
        e = assertThrows(ControlException.class, () -> flows.addFlows(List.of("add-flow", "br0", "in_port=2,actions=clone(meter:3),output:1")));
        assertTrue(e.getMessage().startsWith("OFPMMFC_INVALID_METER"), e.getMessage());
        assertTrue(meters.stats(List.of("meter-stats", "br0")).matches(
                "meter:1 flow_count:1 packet_in_count:0 byte_in_count:0 duration:[0-9.]+s bands:\n0: packet_count:0 byte_count:0\n"),
                meters.stats(List.of("meter-stats", "br0")));
        e = assertThrows(ControlException.class, () -> meters.dump(List.of("dump-meters", "br0", "meter=9")));
        assertTrue(e.getMessage().contains("meter 9 does not exist"), "an unknown meter is an error, as OVS's OFPMMFC_UNKNOWN_METER: " + e.getMessage());

        meters.put(List.of("mod-meter", "br0", "meter=1,pktps,bands=type=drop,rate=5"), true);
        assertEquals("meter=1 pktps bands=\ntype=drop rate=5\n", meters.dump(List.of("dump-meters", "br0", "1")));

        meters.delete(List.of("del-meters", "br0", "meter=1"));
        assertEquals("", meters.dump(List.of("dump-meters", "br0")));
        assertTrue(br.flows().stream().noneMatch(f -> f.text().contains("meter")), "the flow naming meter 1 went with it");
        assertEquals(1, br.flows().size(), "the bridge's other flow (OVS's default) stays");
    }

    @Test
    void yamlMetersAndPolicing() {
        Config c = Config.parse("""
                bridges:
                  br0:
                    meters: ["meter=1,kbps,bands=type=drop,rate=1000", "meter=2 pktps bands=type=drop rate=10"]
                    ports:
                      up0: {type: afpacket, device: veth0, ingress-policing-rate: 10000, ingress-policing-burst: 1000, egress-policer: {cir: 125000, cbs: 1500}}
                      vh0: {type: vhostuser, path: /tmp/xvio-meter-test.sock, ingress-policing-rate: 5000}
                    flows: ["actions=meter:2,NORMAL"]
                """, "x.yaml");
        Config.BridgeConfig b = c.bridges().get("br0");
        assertEquals(List.of(1L, 2L), b.meters().stream().map(m -> m.id()).toList());
        assertEquals(new PolicingConfig(10000, 1000, 125000, 1500), b.ports().get("up0").policing());
        assertEquals(new PolicingConfig(5000, 0, 0, 0), b.ports().get("vh0").policing());
        assertEquals(PolicingConfig.NONE, Config.parse("bridges:\n  br0:\n    ports:\n      a: {type: tap}\n", "y").bridges().get("br0").ports().get("a").policing());

        String[][] bad = {
                {"meters: [\"meter=1,kbps\"]", "x.yaml: bridges.br0.meters[0]: must specify bands"},
                {"meters: [\"meter=1,kbps,bands=type=drop,rate=1\", \"meter=1,pktps,bands=type=drop,rate=1\"]", "x.yaml: bridges.br0.meters[1]: meter 1 is given twice"},
                {"meters: [\"meter=1,kbps,bands=type=dscp_remark,rate=1,prec_level=1\"]", "x.yaml: bridges.br0.meters[0]: OFPMMFC_BAD_BAND"},
                {"ports: {a: {type: tap, ingress-policing-rate: -1}}", "x.yaml: bridges.br0.ports.a.ingress-policing-rate: -1 is outside 0..4294967295"},
                {"ports: {a: {type: tap, egress-policer: {cir: 100}}}", "x.yaml: bridges.br0.ports.a.egress-policer: cbs (bytes) must be at least 1"},
                {"ports: {a: {type: tap, egress-policer: {cbs: 100}}}", "x.yaml: bridges.br0.ports.a.egress-policer: missing \"cir\""},
                {"ports: {a: {type: tap, egress-policer: {cir: 1, cbs: 1, eir: 3}}}", "x.yaml: bridges.br0.ports.a.egress-policer: unknown key \"eir\""},
        };
        for (String[] t : bad) {
            ConfigException e = assertThrows(ConfigException.class, () -> Config.parse("bridges:\n  br0:\n    " + t[0] + "\n", "x.yaml"), t[0]);
            assertTrue(e.getMessage().startsWith(t[1]), e.getMessage() + " (wanted " + t[1] + ")");
        }
    }

    @Test
    void setPortChangesOnlyTheKeysGiven() {
        TestPort p = new TestPort("p9", 9);
        PortSettings.policing(p, List.of("ingress-policing-rate=1000", "egress-policer=cir:5000,cbs:600")).applyTo(p);
        assertEquals(new PolicingConfig(1000, 8000, 5000, 600), PortSettings.policing(p, List.of("ingress-policing-burst=8000")));
        PolicingConfig off = PortSettings.policing(p, List.of("ingress-policing-rate=0", "egress-policer=cir:0"));
        assertFalse(off.any());
        off.applyTo(p);
        assertNull(p.counters().policing.ingress);
        assertThrows(ControlException.class, () -> PortSettings.policing(p, List.of("mtu=1500")));
    }
}
