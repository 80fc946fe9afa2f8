package io.xvio.control;

import io.xvio.datapath.MacTable;
import io.xvio.datapath.PortVlan;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A running port's VLAN mode changed in place (OVSDB's Port tag): as OVS's bundle_set, the MACs learned on that port
 * are forgotten, the other ports' stay; setting the mode it already has forgets nothing.
 */
@org.junit.jupiter.api.Timeout(60)
class PortVlanChangeTest {
    @TempDir Path dir;
    private Daemon daemon;

    @BeforeEach
    void start() {
        daemon = new Daemon(Config.parse("bridges:\n  br0:\n    ports:\n"
                + "      vm1: {type: vhostuser, path: " + dir.resolve("vm1.sock") + ", tag: 10}\n"
                + "      vm2: {type: vhostuser, path: " + dir.resolve("vm2.sock") + ", tag: 10}\n", "x.yaml"),
                dir.resolve("ctl.sock").toString());
        daemon.start();
    }

    @AfterEach
    void stop() { daemon.close(); }

    private List<Integer> learnedPorts() {
        return daemon.datapath("br0").macs().entries(System.nanoTime()).stream().map(MacTable.Entry::port).sorted().toList();
    }

    @Test
    void onlyThePortWhoseModeChangedForgetsItsMacs() {
        MacTable macs = daemon.datapath("br0").macs();
        long now = System.nanoTime();
        macs.learn(0x0200_0000_0001L, 10, 0, now);
        macs.learn(0x0200_0000_0002L, 10, 1, now);
        assertEquals(List.of(0, 1), learnedPorts());
        daemon.setVlan("br0", "vm2", new PortVlan(10, null));
        assertEquals(List.of(0, 1), learnedPorts(), "the same mode: nothing forgotten");
        daemon.setVlan("br0", "vm1", new PortVlan(20, null));
        assertEquals(List.of(1), learnedPorts(), "vm1's MAC forgotten, vm2's kept");
    }
}
