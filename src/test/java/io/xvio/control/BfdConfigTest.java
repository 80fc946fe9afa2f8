package io.xvio.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * BFD on tunnel ports without OVSDB: a port's {@code bfd:} mapping in the config file, {@code bfd:KEY=VALUE} on
 * add-port and set-port (keys not given keep their values, an empty value removes one, enable=false stops the
 * session); an unknown key, a bad value or BFD on a port that is not a tunnel is refused naming it, and changes nothing.
 */
@org.junit.jupiter.api.Timeout(60)
class BfdConfigTest {
    @TempDir Path dir;
    private Daemon daemon;
    private String ctl;

    @BeforeEach
    void start() {
        ctl = dir.resolve("ctl.sock").toString();
        daemon = new Daemon(Config.parse("""
                bridges:
                  br-int:
                    ports:
                      vx0: {type: vxlan, remote_ip: 172.31.0.2, key: 100, ofport: 10, bfd: {enable: true, min_rx: 500, mult: 5}}
                      vx1: {type: vxlan, remote_ip: 172.31.0.3, key: 100, ofport: 11}
                      vm1: {type: vhostuser, path: %s}
                  br-phy:
                    ip: 172.31.0.1/24
                    ports:
                      pp: {type: patch, peer: pq}
                  br-x:
                    ports:
                      pq: {type: patch, peer: pp}
                """.formatted(dir.resolve("vm1.sock")), "x.yaml"), ctl);
        daemon.start();
    }

    @AfterEach
    void stop() { daemon.close(); }

    private ControlClient.Reply call(String... args) throws Exception { return ControlClient.call(ctl, List.of(args)); }

    private String refused(String... args) throws Exception {
        ControlClient.Reply r = call(args);
        assertFalse(r.ok(), String.join(" ", args) + " was taken: " + r.text());
        return r.text();
    }

    @Test
    void theFileAddPortAndSetPortRunBfdOnTunnelPorts() throws Exception {
        assertEquals("down", daemon.bfdStatus("br-int", "vx0").get("state"), "the file's bfd: started vx0's session");
        String show = call("bfd/show").text();
        assertTrue(show.contains("vx0") && show.contains("detect mult 5"), show);
        assertEquals(Map.of(), daemon.bfdStatus("br-int", "vx1"));

        assertTrue(call("set-port", "br-int", "vx1", "bfd:enable=true", "bfd:min_tx=200").ok());
        assertEquals("down", daemon.bfdStatus("br-int", "vx1").get("state"));
        // a key removed, the others kept: still enabled, mult back to its default
        assertTrue(call("set-port", "br-int", "vx0", "bfd:mult=").ok());
        assertTrue(call("bfd/show").text().lines().anyMatch(l -> l.contains("vx0") && l.contains("detect mult 3")), call("bfd/show").text());
        assertTrue(call("set-port", "br-int", "vx0", "bfd:enable=false").ok());
        assertEquals(Map.of(), daemon.bfdStatus("br-int", "vx0"), "enable=false stops it");
        assertTrue(call("set-port", "br-int", "vx0", "bfd:enable=true").ok());
        assertTrue(call("bfd/show").text().lines().anyMatch(l -> l.contains("vx0") && l.contains("rx interval 500 ms")), "min_rx was kept: " + call("bfd/show").text());

        assertTrue(call("add-port", "br-int", "vx2", "type=vxlan", "remote_ip=172.31.0.4", "key=7", "bfd:enable=true").ok());
        assertEquals("down", daemon.bfdStatus("br-int", "vx2").get("state"));
        assertTrue(call("del-port", "br-int", "vx2").ok());
        assertTrue(call("add-port", "br-int", "vx2", "type=vxlan", "remote_ip=172.31.0.4", "key=7").ok());
        assertEquals(Map.of(), daemon.bfdStatus("br-int", "vx2"), "a port made again starts without the old one's settings");
    }

    @Test
    void badBfdSettingsAreRefusedAndChangeNothing() throws Exception {
        assertTrue(refused("set-port", "br-int", "vx1", "bfd:enable=true", "bfd:min_tx=fast").contains("min_tx=fast is not an integer"));
        assertTrue(refused("set-port", "br-int", "vx1", "bfd:enabled=true").contains("unknown key enabled"));
        assertTrue(refused("set-port", "br-int", "vx1", "bfd:=1").contains("is not bfd:KEY=VALUE"));
        assertEquals(Map.of(), daemon.bfdStatus("br-int", "vx1"), "nothing refused started a session");
        assertTrue(refused("set-port", "br-int", "vm1", "bfd:enable=true").contains("tunnel ports only"));
        assertTrue(refused("add-port", "br-int", "vm2", "type=vhostuser", "path=" + dir.resolve("vm2.sock"), "bfd:enable=true").contains("tunnel ports only"));
        assertNull(daemon.port("br-int", "vm2"));
        assertTrue(refused("add-port", "br-int", "vx3", "type=vxlan", "remote_ip=172.31.0.5", "key=7", "bfd:mult=0").contains("mult=0 is not an integer in [1, 255]"));
        assertNull(daemon.port("br-int", "vx3"));
        assertTrue(refused("add-port", "br-int", "vx4", "type=vxlan", "remote_ip=172.31.0.5", "key=7", "bfd:enable=true", "junk").contains("\"junk\" is not KEY=VALUE"));
        assertNull(daemon.port("br-int", "vx4"));

        String base = "bridges:\n  br-phy:\n    ip: 172.31.0.1/24\n    ports:\n      pp: {type: patch, peer: pq}\n  br-x:\n    ports:\n      pq: {type: patch, peer: pp}\n"
                + "  br-int:\n    ports:\n      vx0: {type: vxlan, remote_ip: 172.31.0.2, key: 1, ";
        ConfigException e = assertThrows(ConfigException.class, () -> Config.parse(base + "bfd: yes}\n", "y.yaml"));
        assertTrue(e.getMessage().contains("y.yaml: bridges.br-int.ports.vx0.bfd must be a mapping"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Config.parse(base + "bfd: {enable: maybe}}\n", "y.yaml"));
        assertTrue(e.getMessage().contains("bridges.br-int.ports.vx0.bfd: enable=maybe is not true or false"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Config.parse(base + "bfd: {min_tx: [1]}}\n", "y.yaml"));
        assertTrue(e.getMessage().contains("vx0.bfd.min_tx") && e.getMessage().contains("not a scalar"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> Config.parse(
                "bridges:\n  b:\n    ports:\n      t: {type: tap, bfd: {enable: true}}\n", "y.yaml"));
        assertTrue(e.getMessage().contains("bridges.b.ports.t.bfd: xvio runs BFD on tunnel ports only"), e.getMessage());
    }
}
