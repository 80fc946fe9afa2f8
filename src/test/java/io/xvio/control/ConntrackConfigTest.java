package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** conntrack: in the YAML file: sizes and limits, and the errors bad values get. */
class ConntrackConfigTest {
    static final String BRIDGE = "bridges:\n  br0:\n    ports: {}\n";

    @Test
    void sizesAndLimits() {
        assertEquals(ConntrackConfig.DEFAULT, Config.parse(BRIDGE, "t").conntrack());
        ConntrackConfig c = Config.parse("conntrack: {capacity: 5000, limit: 4000, zone-limit: 100, zones: {7: 10, \"9\": 0}}\n" + BRIDGE, "t").conntrack();
        assertEquals(new ConntrackConfig(5000, 4000, 100, Map.of(7, 10, 9, 0)), c);
    }

    @Test
    void timeoutsWithOvsPolicyKeys() {
        ConntrackConfig c = Config.parse("conntrack: {timeouts: {udp_first: 2, tcp_established: 3600}}\n" + BRIDGE, "t").conntrack();
        io.xvio.datapath.conntrack.Timeouts t = c.timeoutsOf();
        assertEquals(2, t.seconds(io.xvio.datapath.conntrack.Timeouts.OTHER_FIRST));
        assertEquals(3600, t.seconds(io.xvio.datapath.conntrack.Timeouts.TCP_ESTABLISHED));
        assertEquals(60, t.seconds(io.xvio.datapath.conntrack.Timeouts.OTHER_MULTIPLE), "unset keys keep OVS's defaults");
    }

    @Test
    void badValuesAreRefusedWithTheirPlace() {
        for (String[] bad : new String[][] {
                {"conntrack: {capacity: 0}", "conntrack.capacity: 0 is outside"},
                {"conntrack: {capacity: 10, limit: 11}", "conntrack.limit: 11 is outside 0..10"},
                {"conntrack: {zones: {70000: 1}}", "zone 70000 is outside 0..65535"},
                {"conntrack: {zones: {x: 1}}", "\"x\" is not a zone number"},
                {"conntrack: {zones: [1]}", "conntrack.zones must be a mapping"},
                {"conntrack: {size: 1}", "unknown key \"size\""},
                {"conntrack: {timeouts: {udp_first: 0}}", "conntrack.timeouts.udp_first: 0 is outside"},
                {"conntrack: {timeouts: {udp_frist: 5}}", "unknown key \"udp_frist\" (one of tcp_syn_sent"},
                {"conntrack: {timeouts: 5}", "conntrack.timeouts must be a mapping"},
                {"conntrack: 5", "conntrack must be a mapping"}}) {
            ConfigException e = assertThrows(ConfigException.class, () -> Config.parse(bad[0] + "\n" + BRIDGE, "t"), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]), bad[0] + ": " + e.getMessage());
        }
    }
}
