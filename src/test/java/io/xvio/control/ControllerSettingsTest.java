package io.xvio.control;

import io.xvio.openflow.OfChannels;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A bridge's controller, fail_mode and inactivity_probe keys: what parses, and what is refused with its key path. */
class ControllerSettingsTest {
    private static ControllerSettings parse(String bridgeKeys) {
        return Config.parse("bridges:\n  br0:\n" + bridgeKeys, "x.yaml").bridges().get("br0").controller();
    }

    private static String error(String bridgeKeys) {
        return assertThrows(ConfigException.class, () -> parse(bridgeKeys)).getMessage();
    }

    @Test
    void theKeysParse() {
        assertEquals(ControllerSettings.NONE, parse("    ports: {}\n"));
        ControllerSettings cs = parse("    controller: [tcp:127.0.0.1:6633, tcp:10.0.0.1, unix:/run/ctl.sock, 'tcp:[::1]:6653']\n"
                + "    fail_mode: secure\n    inactivity_probe: 2500\n");
        assertEquals(List.of("tcp:127.0.0.1:6633", "tcp:10.0.0.1", "unix:/run/ctl.sock", "tcp:[::1]:6653"), cs.targets());
        assertEquals(OfChannels.FailMode.SECURE, cs.failMode());
        assertEquals(2500, cs.probeMillis());
        assertNull(cs.packetInLimits(), "no rate limit unless asked, as OVS");
        assertEquals(new io.xvio.openflow.PacketInLimits(300, 0), parse("    controller_rate_limit: 300\n").packetInLimits());
        assertEquals(75, parse("    controller_rate_limit: 300\n").packetInLimits().effectiveBurst(), "burst: rate / 4");
        assertEquals(new io.xvio.openflow.PacketInLimits(1000, 30), parse("    controller_burst_limit: 30\n").packetInLimits(), "a burst alone: rate 1000");
        assertEquals(new io.xvio.openflow.PacketInLimits(200, 50), parse("    controller_rate_limit: 200\n    controller_burst_limit: 50\n").packetInLimits());
        assertEquals(List.of("tcp:127.0.0.1"), parse("    controller: tcp:127.0.0.1\n").targets(), "one target may be a plain string");
        assertEquals(List.of("ssl:10.0.0.1:6653", "pssl:", "pssl:6653:127.0.0.1", "ptcp:6633", "pssl:6654:[::1]"),
                parse("    controller: [ssl:10.0.0.1:6653, 'pssl:', pssl:6653:127.0.0.1, ptcp:6633, 'pssl:6654:[::1]']\n").targets());
    }

    @Test
    void theSslKeysParse() {
        Config c = Config.parse("ssl:\n  private_key: /k.pem\n  certificate: /c.pem\n  ca_cert: /ca.pem\n  bootstrap_ca_cert: true\n"
                + "bridges:\n  br0: {}\n", "x.yaml");
        assertEquals(new io.xvio.openflow.TlsSettings("/k.pem", "/c.pem", "/ca.pem", true), c.ssl());
        assertEquals(io.xvio.openflow.TlsSettings.NONE, Config.parse("bridges:\n  br0: {}\n", "x.yaml").ssl());
        String e = assertThrows(ConfigException.class, () -> Config.parse("ssl:\n  private_key: /k.pem\nbridges:\n  br0: {}\n", "x.yaml")).getMessage();
        assertTrue(e.contains("x.yaml: ssl: no certificate, CA certificate"), e);
        e = assertThrows(ConfigException.class, () -> Config.parse("ssl:\n  private-key: /k.pem\nbridges:\n  br0: {}\n", "x.yaml")).getMessage();
        assertTrue(e.contains("private-key"), e);
        e = assertThrows(ConfigException.class, () -> Config.parse("ssl:\n  private_key: /k\n  certificate: /c\n  ca_cert: /a\n  bootstrap_ca_cert: 1\n"
                + "bridges:\n  br0: {}\n", "x.yaml")).getMessage();
        assertTrue(e.contains("ssl.bootstrap_ca_cert must be true or false"), e);
    }

    @Test
    void badValuesAreNamed() {
        assertTrue(error("    controller: [udp:1.2.3.4:6653]\n").contains("bridges.br0.controller: controller \"udp:1.2.3.4:6653\": targets are tcp:IP[:PORT], ssl:IP[:PORT], unix:PATH"));
        assertTrue(error("    controller: [pssl:x]\n").contains("bad port"));
        assertTrue(error("    controller: [ptcp:6653:example.com]\n").contains("must be an IP address"));
        assertTrue(error("    controller: [tcp:1.2.3.4:70000]\n").contains("bad port"));
        assertTrue(error("    controller: [tcp:example.com:6653]\n").contains("must be an IP address"));
        assertTrue(error("    controller: [tcp:1.2.3.4, tcp:1.2.3.4]\n").contains("listed twice"));
        assertTrue(error("    controller: {a: b}\n").contains("bridges.br0.controller must be a list"));
        assertTrue(error("    fail_mode: open\n").contains("bridges.br0.fail_mode: fail mode \"open\" (standalone or secure)"));
        assertTrue(error("    inactivity_probe: 10\n").contains("bridges.br0.inactivity_probe must be a number of milliseconds"));
        assertTrue(error("    controller_rate_limit: 99\n").contains("bridges.br0.controller_rate_limit must be a whole number of packets a second from 100"));
        assertTrue(error("    controller_rate_limit: fast\n").contains("bridges.br0.controller_rate_limit must be"));
        assertTrue(error("    controller_burst_limit: 24\n").contains("bridges.br0.controller_burst_limit must be a whole number of packets from 25"));
        assertTrue(error("    controller_burst_limit: 30.5\n").contains("bridges.br0.controller_burst_limit must be"));
    }
}
