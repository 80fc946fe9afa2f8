package io.xvio.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ConfigTest {
    private static final String GOOD = """
            pmd-cpus: [1]
            bridges:
              br0:
                ports:
                  vhA: {type: vhostuser, path: /tmp/vhA.sock, mode: server, ofport: 1}
                  vhB: {type: vhostuser, path: /tmp/vhB.sock, mode: client, ofport: 2}
                flows:
                  - in_port=1,actions=output:2
                  - in_port=2,actions=output:1
            """;

    @Test
    void theDocumentedShapeParses() {
        Config c = Config.parse(GOOD, "x.yaml");
        assertEquals(java.util.List.of(1), c.pmdCpus());
        Config.BridgeConfig br = c.bridges().get("br0");
        assertEquals(2, br.ports().size());
        assertEquals("client", br.ports().get("vhB").mode());
        assertEquals(2, br.ports().get("vhB").ofport());
        assertEquals(2, br.flows().size());
        assertEquals("in_port=1 actions=output:2", io.xvio.datapath.FlowFormat.format(br.flows().getFirst(), 0, false));
    }

    @Test
    void withoutFlowsTheBridgeHasNoneAndPortsGetOfportsInOrder() {
        Config c = Config.parse("""
                bridges:
                  br0:
                    ports:
                      a: {type: vhostuser, path: /tmp/a.sock}
                      b: {type: vhostuser, path: /tmp/b.sock, ofport: 1}
                      c: {type: vhostuser, path: /tmp/c.sock}
                """, "x.yaml");
        var ports = c.bridges().get("br0").ports();
        assertTrue(c.bridges().get("br0").flows().isEmpty());
        assertEquals(2, ports.get("a").ofport());
        assertEquals(1, ports.get("b").ofport());
        assertEquals(3, ports.get("c").ofport());
        assertEquals("server", ports.get("a").mode());
    }

    @Test
    void offloadsAreOnUnlessAPortTurnsThemOff() {
        Config c = Config.parse("""
                bridges:
                  br0:
                    ports:
                      a: {type: vhostuser, path: /tmp/a.sock}
                      b: {type: vhostuser, path: /tmp/b.sock, offloads: false}
                      c: {type: vhostuser, path: /tmp/c.sock, offloads: true}
                """, "x.yaml");
        var ports = c.bridges().get("br0").ports();
        assertTrue(ports.get("a").offloads());
        assertFalse(ports.get("b").offloads());
        assertTrue(ports.get("c").offloads());
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: vhostuser, path: /x, offloads: sometimes}\n")
                .contains("bridges.br0.ports.a.offloads must be true or false"));
    }

    private static String error(String yaml) {
        return assertThrows(ConfigException.class, () -> Config.parse(yaml, "bad.yaml")).getMessage();
    }

    @Test
    void ipKernelTakesTheBridgesNameForItsInternalInterface() {
        Config c = Config.parse("bridges:\n  br-phy: {ip: kernel, ports: {up0: {type: afpacket, device: eth1}}}\n", "x.yaml");
        assertTrue(c.bridges().get("br-phy").underlay().kernel());
        assertEquals("bad.yaml: bridges.br-phy.ip: kernel: a port is named br-phy, the name the bridge's internal interface takes",
                error("bridges:\n  br-int: {ports: {br-phy: {type: tap, name: tapx}}}\n  br-phy: {ip: kernel}\n"));
        assertEquals("bad.yaml: bridges.br-phy.ip: kernel: interface br-phy is used by a port, and the bridge's internal interface takes that name",
                error("bridges:\n  br-int: {ports: {up1: {type: afpacket, device: br-phy}}}\n  br-phy: {ip: kernel}\n"));
        assertTrue(error("bridges:\n  br-phy: {ip: kernel}\nrelays:\n  r1: {vhost: {path: /tmp/r1.sock}, vf: {device: br-phy, type: afpacket}}\n")
                .contains("br-phy"));
    }

    @Test
    void badInputIsNamedWithItsKeyPath() {
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: bogus, path: /x}\n").contains("bridges.br0.ports.a.type: unknown port type \"bogus\""));
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: vhostuser}\n").contains("bridges.br0.ports.a: missing \"path\""));
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: vhostuser, path: /x, mode: both}\n").contains("mode must be \"server\" or \"client\""));
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: vhostuser, path: /x, ofport: 0}\n").contains("ofport: 0 is outside"));
        assertTrue(error("bridges:\n  br0:\n    portz: {}\n").contains("unknown key \"portz\""));
        assertTrue(error("pmd-cpus: [9999]\nbridges:\n  br0: {}\n").contains("pmd-cpus"));
        assertTrue(error("pmd-cpus: one\nbridges:\n  br0: {}\n").contains("pmd-cpus must be a list"));
        assertTrue(error("").contains("empty configuration"));
        assertTrue(error("bridges: [\n").contains("not valid YAML"));
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: vhostuser, path: /x}\n      b: {type: vhostuser, path: /x}\n").contains("is used by another port"));
        assertTrue(error("bridges:\n  br0:\n    ports:\n      a: {type: vhostuser, path: /x, ofport: 1}\n      b: {type: vhostuser, path: /y, ofport: 1}\n").contains("ofport: 1 is used by another port"));
        assertTrue(error("bridges:\n  br0:\n    flows: [\"in_port=1,nw_src=1.2.3.4,actions=drop\"]\n").contains("bridges.br0.flows[0]: \"nw_src\" needs \"ip\" or \"arp\""));
        assertTrue(error("bridges:\n  br0:\n    flows: [\"in_port=1,nw_bogus=1,actions=drop\"]\n").contains("at position 10"));
        assertTrue(error("pmd-idle: sleepy\nbridges:\n  br0: {}\n").contains("pmd-idle must be"));
        assertTrue(error("bridges:\n  br0: {}\n  br0: {}\n").contains("not valid YAML"));
    }

    @Test
    void txFlushIntervalIsMicrosecondsDefaulting100AndZeroTurnsHoldingOff() {
        assertEquals(100, Config.parse("bridges:\n  br0: {}\n", "x.yaml").txFlushInterval());
        assertEquals(0, Config.parse("tx-flush-interval: 0\nbridges:\n  br0: {}\n", "x.yaml").txFlushInterval());
        assertEquals(250, Config.parse("tx-flush-interval: 250\nbridges:\n  br0: {}\n", "x.yaml").txFlushInterval());
        assertEquals("x.yaml: tx-flush-interval: 1000001 is outside 0..1000000", refusal("tx-flush-interval: 1000001\nbridges:\n  br0: {}\n"));
        assertEquals("x.yaml: tx-flush-interval: -1 is outside 0..1000000", refusal("tx-flush-interval: -1\nbridges:\n  br0: {}\n"));
        assertTrue(refusal("tx-flush-interval: soon\nbridges:\n  br0: {}\n").startsWith("x.yaml: tx-flush-interval must be an integer"));
        assertEquals(250, Config.parse("tx-flush-interval: 250\nbridges:\n  br0: {}\n", "x.yaml").withPmdCpus(java.util.List.of(1)).txFlushInterval(),
                "kept when OVSDB sets the PMD CPUs");
    }

    private static String refusal(String yaml) {
        return assertThrows(ConfigException.class, () -> Config.parse(yaml, "x.yaml")).getMessage();
    }

    @Test
    void aDeeplyNestedDocumentIsRefusedWithAMessageNotAStackOverflow() {
        String deep = "bridges: " + "[".repeat(200_000) + "]".repeat(200_000) + "\n";
        assertEquals("x.yaml: nested deeper than 50 levels (line 1, column 59)", refusal(deep));
        StringBuilder block = new StringBuilder();
        for (int i = 0; i < 60; i++) block.append("  ".repeat(i)).append("k").append(i).append(":\n");
        assertTrue(refusal(block.toString()).startsWith("x.yaml: nested deeper than 50 levels (line 51,"), refusal(block.toString()));
        assertTrue(refusal("bridges: " + "{a: ".repeat(100_000) + "1" + "}".repeat(100_000)).startsWith("x.yaml: nested deeper than 50 levels"));
    }

    @Test
    void aValueThatContainsItselfIsDescribedNotPrinted() {
        assertEquals("x.yaml: pmd-cpus must be an integer, not a list", refusal("pmd-cpus: &x [[*x]]\nbridges: {br0: {}}\n"));
    }

    @Test
    void nonUtf8AndBinaryFilesSayWhatIsWrongAndWhere(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path latin1 = dir.resolve("latin1.yaml");
        java.nio.file.Files.write(latin1, "bridges:\n  br0: {}\n# caf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(latin1 + ": cannot read: not UTF-8 text: byte 0xe9 at offset 24 (line 3) is not valid UTF-8",
                assertThrows(ConfigException.class, () -> Config.load(latin1)).getMessage());
        java.nio.file.Path binary = dir.resolve("binary.yaml");
        java.nio.file.Files.write(binary, new byte[] {'b', 'r', 'i', '\n', 0, 1, 2});
        assertEquals(binary + ": cannot read: binary data, not text: a NUL byte at offset 4 (line 2)",
                assertThrows(ConfigException.class, () -> Config.load(binary)).getMessage());
        java.nio.file.Path good = dir.resolve("good.yaml");
        java.nio.file.Files.writeString(good, GOOD);
        assertEquals(2, Config.load(good).bridges().get("br0").ports().size());
    }

    @Test
    void controlGroupIsAGroupName() {
        assertEquals("xvio", Config.parse("control-group: xvio\nbridges: {br0: {}}\n", "x.yaml").controlGroup());
        assertNull(Config.parse("bridges: {br0: {}}\n", "x.yaml").controlGroup());
        assertEquals("x.yaml: control-group: \"a b\\n\" is not a group name", refusal("control-group: \"a b\\n\"\nbridges: {br0: {}}\n"));
    }

    @Test
    void theControlSocketCannotBeAPortsPath() {
        String yaml = """
                control-socket: /tmp/x/../vhA.sock
                bridges:
                  br0:
                    ports:
                      vhA: {type: vhostuser, path: /tmp/vhA.sock}
                """;
        assertEquals("x.yaml: control-socket: control socket /tmp/x/../vhA.sock is also the path of port vhA (bridge br0)", refusal(yaml));
        Config ok = Config.parse(yaml.replace("/tmp/x/../vhA.sock", "/tmp/ctl.sock"), "x.yaml");
        assertThrows(ConfigException.class, () -> Config.checkControlSocket(ok, "/tmp/./vhA.sock"));
        Config.checkControlSocket(ok, "/tmp/ctl.sock");
    }

    @Test
    void groupsAndBridgeOptionsAreReadAndCheckedAtStart() {
        Config c = Config.parse("""
                bridges:
                  br0:
                    groups: ["group_id=1,type=select,bucket=output:1,bucket=output:2"]
                    flows: ["actions=group:1"]
                    frag: drop
                    forward-bpdu: true
                """, "x.yaml");
        Config.BridgeConfig b = c.bridges().get("br0");
        assertEquals(1, b.groups().size());
        assertEquals(io.xvio.datapath.FragMode.DROP, b.frag());
        assertTrue(b.forwardBpdu());
        ConfigException e = assertThrows(ConfigException.class, () -> Config.parse(
                "bridges:\n  br0:\n    groups: [\"group_id=1,type=indirect\"]\n", "x.yaml"));
        assertTrue(e.getMessage().contains("bridges.br0.groups[0]") && e.getMessage().contains("exactly one bucket"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Config.parse("bridges:\n  br0:\n    frag: reassemble\n", "x.yaml"));
        assertTrue(e.getMessage().contains("\"reassemble\" is not supported"), e.getMessage());
        // a flow naming a group that does not exist stops the daemon at start, with the reason
        Daemon d = new Daemon(Config.parse("bridges:\n  br0:\n    flows: [\"actions=group:9\"]\n", "x.yaml"), "/tmp/xvio-unused-" + ProcessHandle.current().pid());
        RuntimeException r = assertThrows(RuntimeException.class, d::start);
        assertTrue(r.getMessage().contains("group 9, which does not exist"), r.getMessage());
    }
}
