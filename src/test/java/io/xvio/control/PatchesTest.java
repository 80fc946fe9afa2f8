package io.xvio.control;

import io.xvio.datapath.PatchLayout;
import io.xvio.port.PatchPort;
import io.xvio.port.Port;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Patch ports in the YAML file and how the control plane wires the pairs into the bridges' port arrays. */
class PatchesTest {
    private static Config parse(String ports) {
        return Config.parse("bridges:\n  br0:\n    ports:\n" + ports.indent(6), "x.yaml");
    }

    private static String error(String ports) {
        return assertThrows(ConfigException.class, () -> parse(ports)).getMessage();
    }

    @Test
    void aPatchPortHasAPeerAndNothingElse() {
        var p = parse("pa: {type: patch, peer: pb, ofport: 4}\npb: {type: patch, peer: pa}").bridges().get("br0").ports();
        assertEquals(List.of("patch", "pb", 4), List.of(p.get("pa").type(), p.get("pa").peer(), p.get("pa").ofport()));
        assertEquals(1, p.get("pb").ofport(), "lowest free ofport");
        assertTrue(error("pa: {type: patch}").contains("bridges.br0.ports.pa: missing \"peer\""), error("pa: {type: patch}"));
        assertTrue(error("pa: {type: patch, peer: pa}").contains("patch peer must not be self"));
        assertTrue(error("pa: {type: patch, peer: pb, device: x}").contains("device"), error("pa: {type: patch, peer: pb, device: x}"));
        assertTrue(error("pa: {type: patch, peer: pb, ingress-policing-rate: 100}").contains("policing on a patch port is not supported"));
        assertTrue(error("pa: {type: patchy}").contains("(supported: vhostuser, tap, afpacket, afxdp, vxlan, geneve, patch)"));
    }

    private static Bridge bridge(String name, Port... ports) {
        Bridge b = new Bridge(name);
        b.ports.addAll(List.of(ports));
        return b;
    }

    @Test
    void eachBridgeSendsToItsPortsThenThoseBeyondItsPatches() {
        PatchPort pi = new PatchPort("patch-int", 5, "patch-phy"), pp = new PatchPort("patch-phy", 1, "patch-int"),
                lone = new PatchPort("lone", 6, "nobody"), third = new PatchPort("third", 7, "patch-int"),
                notPatch = new PatchPort("np", 8, "vm");
        Port vm = new PatchPort("vm", 1, "x"), eth = new PatchPort("eth", 2, "y");     // stand-ins for other ports
        Bridge brInt = bridge("br-int", vm, pi, lone, third, notPatch), brPhy = bridge("br-phy", pp, eth), other = bridge("br-x");
        Patches.Plan plan = Patches.plan(List.of(brInt, brPhy, other), Bridge::portArray);
        assertEquals("up", plan.states().get(pi));
        assertEquals("up", plan.states().get(pp));
        assertEquals("down (peer nobody does not exist)", plan.states().get(lone));
        assertEquals("down (peer patch-int has peer patch-phy, not third)", plan.states().get(third));
        assertEquals("down (peer vm has peer x, not np)", plan.states().get(notPatch), "vm is a patch stand-in here");
        // br-int: its 5 ports, then br-phy's 2 from index 5; br-phy: its 2, then br-int's from 2
        assertArrayEquals(new Port[] {vm, pi, lone, third, notPatch, pp, eth}, plan.arrays().get(brInt));
        assertArrayEquals(new Port[] {pp, eth, vm, pi, lone, third, notPatch}, plan.arrays().get(brPhy));
        assertNull(plan.arrays().get(other), "a bridge without patches keeps its own array");
        List<PatchLayout.Hop> hops = plan.layouts().get(brInt).hops();
        assertEquals(2, hops.size(), "only the pair that is up");
        assertEquals(List.of(1, brInt.datapath, brPhy.datapath, 0, 1, 5), List.of(hops.get(0).at(), hops.get(0).from(), hops.get(0).peer(),
                hops.get(0).peerIndex(), hops.get(0).peerOfport(), hops.get(0).peerBase()));
        assertEquals(List.of(5, brPhy.datapath, brInt.datapath, 1, 5, 0), List.of(hops.get(1).at(), hops.get(1).from(), hops.get(1).peer(),
                hops.get(1).peerIndex(), hops.get(1).peerOfport(), hops.get(1).peerBase()));
        List<PatchLayout.Hop> phyHops = plan.layouts().get(brPhy).hops();
        // in br-phy's array patch-phy is at 0 (its peer's bridge from 2), patch-int at 3 (its peer's bridge from 0)
        assertEquals(Map.of(0, 2, 3, 0), Map.of(phyHops.get(0).at(), phyHops.get(0).peerBase(), phyHops.get(1).at(), phyHops.get(1).peerBase()));

        // the states reach the ports when the plan is applied
        Patches patches = new Patches();
        patches.apply(plan, List.of(brInt, brPhy, other));
        assertEquals("up", pi.status());
        assertTrue(lone.status().startsWith("down (peer nobody"));
        assertSame(plan.layouts().get(brInt), brInt.datapath.patches());
        assertNull(other.datapath.patches());
    }
}
