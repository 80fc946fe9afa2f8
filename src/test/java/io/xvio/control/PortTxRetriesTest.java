package io.xvio.control;

import io.xvio.port.VhostUserPort;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A vhostuser port's tx-retries-max (OVS's Interface option, 0..32, default 8): in the file, on add-port and
 * set-port; out of range, or on another port type, refused with the reason and nothing changed.
 */
@org.junit.jupiter.api.Timeout(60)
class PortTxRetriesTest {
    @TempDir Path dir;
    private Daemon daemon;
    private String ctl;

    @BeforeEach
    void start() {
        ctl = dir.resolve("ctl.sock").toString();
        daemon = new Daemon(Config.parse("bridges:\n  br0:\n    ports:\n"
                + "      vm1: {type: vhostuser, path: " + dir.resolve("vm1.sock") + ", tx-retries-max: 3}\n"
                + "      vm2: {type: vhostuser, path: " + dir.resolve("vm2.sock") + "}\n"
                + "      pa: {type: patch, peer: pb}\n", "x.yaml"), ctl);
        daemon.start();
    }

    @AfterEach
    void stop() { daemon.close(); }

    private ControlClient.Reply call(String... args) throws Exception { return ControlClient.call(ctl, List.of(args)); }

    private int retries(String port) { return ((VhostUserPort) daemon.port("br0", port)).txRetriesMax(); }

    @Test
    void theFileAndAddPortTakeTxRetriesMaxAndRefuseWhatIsOutOfRange() throws Exception {
        assertEquals(3, retries("vm1"));
        assertEquals(8, retries("vm2"), "not set: OVS's default");
        assertTrue(call("show").text().contains("tx-retries-max: 3"), "show names a value that is not the default");

        ControlClient.Reply r = call("add-port", "br0", "vm3", "type=vhostuser", "path=" + dir.resolve("vm3.sock"), "tx-retries-max=0");
        assertTrue(r.ok(), r.text());
        assertEquals(0, retries("vm3"));
        r = call("add-port", "br0", "vm4", "type=vhostuser", "path=" + dir.resolve("vm4.sock"), "tx-retries-max=33");
        assertFalse(r.ok());
        assertTrue(r.text().contains("vm4.tx-retries-max: 33 is outside 0..32"), r.text());
        assertNull(daemon.port("br0", "vm4"));

        ConfigException e = assertThrows(ConfigException.class, () -> Config.parse(
                "bridges:\n  b:\n    ports:\n      t: {type: tap, tx-retries-max: 2}\n", "y.yaml"));
        assertTrue(e.getMessage().contains("tx-retries-max"), "a tap port has no such key: " + e.getMessage());
    }

    @Test
    void setPortChangesARunningPortsRetriesAndRefusesBadValuesWithoutChangingAnything() throws Exception {
        ControlClient.Reply r = call("set-port", "br0", "vm2", "tx-retries-max=32");
        assertTrue(r.ok(), r.text());
        assertEquals(32, retries("vm2"));
        assertNull(daemon.port("br0", "vm2").counters().policing.ingress, "policing untouched");

        for (String bad : List.of("33", "-1", "x", "")) {
            r = call("set-port", "br0", "vm2", "ingress-policing-rate=1000", "tx-retries-max=" + bad);
            assertFalse(r.ok(), bad);
            assertTrue(r.text().contains("tx-retries-max=" + bad + " is not an integer in 0..32"), r.text());
            assertEquals(32, retries("vm2"));
            assertNull(daemon.port("br0", "vm2").counters().policing.ingress, "nothing applied when one setting is bad");
        }
        r = call("set-port", "br0", "pa", "tx-retries-max=1");
        assertFalse(r.ok());
        assertTrue(r.text().contains("tx-retries-max applies to vhostuser ports only"), r.text());

        r = call("set-port", "br0", "vm2", "ingress-policing-rate=1000");
        assertTrue(r.ok(), r.text());
        assertEquals(32, retries("vm2"), "a policing change leaves the retries");
        assertEquals(125_000, daemon.port("br0", "vm2").counters().policing.ingress.bytesPerSecond());
    }
}
