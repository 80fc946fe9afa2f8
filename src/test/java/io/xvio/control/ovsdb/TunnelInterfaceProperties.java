package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import net.jqwik.api.*;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Random tunnel Interface rows (option names from OVS's tunnel options and others, values good and bad): each
 * becomes a tunnel port or fails with an IllegalArgumentException whose message names the type (the row's error);
 * nothing else is ever thrown.
 */
class TunnelInterfaceProperties {
    @Provide
    Arbitrary<Map<String, String>> options() {
        Arbitrary<String> keys = Arbitraries.of("remote_ip", "local_ip", "key", "in_key", "out_key", "dst_port", "csum", "tos", "ttl",
                "df_default", "egress_pkt_mark", "remote_name", "ofport", "packet_type", "");
        Arbitrary<String> values = Arbitraries.oneOf(
                Arbitraries.of("172.31.0.2", "fd00::2", "flow", "0", "1", "100", "16777216", "-1", "true", "false", "inherit", "4789",
                        "65536", "224.0.0.1", "0.0.0.0", "", "abc", "0x10", "64", "256", "252"),
                Arbitraries.strings().ofMaxLength(12));
        return Arbitraries.maps(keys, values).ofMaxSize(7);
    }

    @Property(tries = 3000)
    void everyRowIsAPortOrItsError(@ForAll("options") Map<String, String> options, @ForAll boolean geneve) {
        String type = geneve ? "geneve" : "vxlan";
        try {
            Config.PortConfig pc = InterfaceConfig.toPort("t0", type, options, 5, Path.of("/tmp"));
            assertEquals(type, pc.type());
            assertNotNull(pc.tunnel());
            assertEquals(geneve ? io.xvio.datapath.tunnel.TunnelType.GENEVE : io.xvio.datapath.tunnel.TunnelType.VXLAN, pc.tunnel().type());
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().startsWith(type + ": "), e.getMessage());
        }
    }
}
