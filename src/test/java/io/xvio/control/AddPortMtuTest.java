package io.xvio.control;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code xvio add-port ... mtu=N} on a running daemon: the port's MTU in show; bad values refused as in the file. */
@org.junit.jupiter.api.Timeout(60)
class AddPortMtuTest {
    @TempDir Path dir;
    private Daemon daemon;
    private String ctl;

    @BeforeEach
    void start() {
        ctl = dir.resolve("ctl.sock").toString();
        daemon = new Daemon(Config.parse("bridges:\n  br0:\n    ports: {}\n", "x.yaml"), ctl);
        daemon.start();
    }

    @AfterEach
    void stop() { daemon.close(); }

    private ControlClient.Reply call(String... args) throws Exception { return ControlClient.call(ctl, List.of(args)); }

    @Test
    void addPortTakesMtuAndRefusesWhatTheConfigRefuses() throws Exception {
        ControlClient.Reply r = call("add-port", "br0", "up0", "type=vhostuser", "path=" + dir.resolve("up0.sock"), "mtu=1600");
        assertTrue(r.ok(), r.text());
        assertEquals(1600, daemon.port("br0", "up0").mtu());
        String show = call("show").text();
        assertTrue(show.contains("up0 type=vhostuser") && show.contains("      mtu: 1600\n"), show);

        r = call("add-port", "br0", "up1", "type=vhostuser", "path=" + dir.resolve("up1.sock"), "mtu=40");
        assertFalse(r.ok());
        assertTrue(r.text().contains("up1.mtu: 40 is outside 68..65535"), r.text());
        r = call("add-port", "br0", "up2", "type=afpacket", "device=veth9", "mtu=9000");
        assertFalse(r.ok());
        assertTrue(r.text().contains("up2.mtu: an afpacket port takes the MTU of the interface it attaches to"), r.text());
        assertNull(daemon.port("br0", "up1"));
        assertNull(daemon.port("br0", "up2"));
    }
}
