package io.xvio.pmd;

import io.xvio.packet.PacketBatch;
import io.xvio.port.CaptureRing;
import io.xvio.port.Mirror;
import io.xvio.port.Port;
import io.xvio.port.PortTaps;
import io.xvio.port.SoftwareOffload;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A PMD thread's side of captures and mirrors: captured frames land in the ring, mirrored ones reach the output once
 * per burst (a frame received on one selected port and sent on another is mirrored once), select_vlan picks by the
 * outer tag, a mirror output neither forwards what it receives nor sends anything but mirrored frames, and none of
 * it allocates per frame.
 */
class TappingTest {
    /** A port that remembers the first byte of every frame it was given. */
    static final class Sink extends StubPort {
        final List<Integer> got = new ArrayList<>();
        boolean record = true;
        Sink(String name) { super(name); }
        @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
        @Override public int rxQueues() { return 1; }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {
            if (record) for (int k = 0; k < n; k++) got.add((int) b.data.get(ValueLayout.JAVA_BYTE, b.off[which[k]]));
        }
    }

    /** n frames of 64 bytes; frame i starts with byte i and carries VLAN tag vlan(i) (0: untagged). */
    private static PacketBatch batch(int n, java.util.function.IntUnaryOperator vlan) {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < n; i++) {
            b.len[i] = 64;
            b.data.asSlice(b.off[i], 64).fill((byte) 0);
            b.data.set(ValueLayout.JAVA_BYTE, b.off[i], (byte) i);
            int v = vlan.applyAsInt(i);
            if (v != 0) {
                b.data.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), b.off[i] + 12, (short) 0x8100);
                b.data.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), b.off[i] + 14, (short) v);
            } else {
                b.data.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), b.off[i] + 12, (short) 0x0800);
            }
        }
        b.count = n;
        return b;
    }

    private static int drain(CaptureRing r) {
        int n = 0;
        while (r.poll((d, off, cap, orig, ns) -> {})) n++;
        return n;
    }

    @Test
    void capturesAndMirrorsEachFrameOnceAndTheOutputIsReserved() {
        Tapping t = new Tapping(0);
        SoftwareOffload offload = new SoftwareOffload();
        Sink vm1 = new Sink("vm1"), vm2 = new Sink("vm2"), out = new Sink("out");
        CaptureRing ring = new CaptureRing(1 << 16, 100);
        vm1.counters().taps.addRing(ring, true, false);
        Mirror m = new Mirror("m0", out, new int[0]);
        vm1.counters().taps.addMirror(m, true, true);
        vm2.counters().taps.addMirror(m, true, true);
        out.counters().taps.reserve(true);
        PacketBatch b = batch(8, i -> 0);

        assertEquals(8, t.rx(vm1.counters().taps.rx, vm1, b, 8, 1, offload));
        assertEquals(8, drain(ring));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7), out.got);
        int[] which = {1, 3, 5};
        assertTrue(t.tx(vm2.counters().taps.tx, vm2, b, which, 3, 1, 0, offload), "vm2 sends its frames");
        assertEquals(8, out.got.size(), "frames mirrored as they came in are not mirrored again as they leave");
        assertTrue(t.tx(vm2.counters().taps.tx, vm2, b, which, 3, 2, 0, offload));
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 1, 3, 5), out.got, "the next burst's frames are new frames");
        assertEquals(11, m.mirrored());

        assertEquals(0, t.rx(out.counters().taps.rx, out, b, 8, 3, offload), "a mirror output drops what it receives");
        assertFalse(t.tx(out.counters().taps.tx, out, b, which, 3, 3, 0, offload), "and sends only mirrored frames");
        out.counters().taps.reserve(false);
        assertNull(out.counters().taps.rx, "no tap left: the PMD's check is one null test");

        vm1.counters().taps.removeRing(ring);
        vm1.counters().taps.removeMirror(m);
        vm2.counters().taps.removeMirror(m);
        assertNull(vm1.counters().taps.rx);
        assertNull(vm2.counters().taps.tx);
    }

    /**
     * A burst sent in chunks (the datapath reuses its copy slots after each): a copy slot in a later chunk holds
     * another frame and is mirrored again; a received frame, mirrored as it came in, is not.
     */
    @Test
    void aCopySlotOfALaterChunkIsANewFrame() {
        Tapping t = new Tapping(0);
        SoftwareOffload offload = new SoftwareOffload();
        Sink vm1 = new Sink("vm1"), vm2 = new Sink("vm2"), out = new Sink("out");
        Mirror m = new Mirror("m0", out, new int[0]);
        vm1.counters().taps.addMirror(m, true, false);
        vm2.counters().taps.addMirror(m, false, true);
        PacketBatch b = batch(PacketBatch.SLOTS, i -> 0);
        t.rx(vm1.counters().taps.rx, vm1, b, 2, 5, offload);
        int copy = PacketBatch.BURST;
        t.tx(vm2.counters().taps.tx, vm2, b, new int[] {0, copy}, 2, 5, 0, offload);
        t.tx(vm2.counters().taps.tx, vm2, b, new int[] {copy}, 1, 5, 0, offload);
        assertEquals(List.of(0, 1, copy), out.got, "once per frame in a chunk");
        t.tx(vm2.counters().taps.tx, vm2, b, new int[] {1, copy}, 2, 5, 1, offload);
        assertEquals(List.of(0, 1, copy, copy), out.got, "the next chunk's copy is mirrored, the received frame is not again");
    }

    @Test
    void twoMirrorsToOneOutputSendAFrameOnce() {
        Tapping t = new Tapping(0);
        Sink vm1 = new Sink("vm1"), vm2 = new Sink("vm2"), out = new Sink("out"), other = new Sink("other");
        Mirror a = new Mirror("a", out, new int[0]), b = new Mirror("b", out, new int[0], a), c = new Mirror("c", other, new int[0]);
        vm1.counters().taps.addMirror(a, true, false);
        vm2.counters().taps.addMirror(b, false, true);
        vm2.counters().taps.addMirror(c, false, true);
        PacketBatch batch = batch(4, i -> 0);
        t.rx(vm1.counters().taps.rx, vm1, batch, 4, 7, new SoftwareOffload());
        t.tx(vm2.counters().taps.tx, vm2, batch, new int[] {0, 1, 2, 3}, 4, 7, 0, new SoftwareOffload());
        assertEquals(List.of(0, 1, 2, 3), out.got, "a frame a and b both select reaches their output once");
        assertEquals(List.of(0, 1, 2, 3), other.got, "another output gets its own copy");
        assertThrows(IllegalArgumentException.class, () -> new Mirror("d", other, new int[0], a));
    }

    @Test
    void selectVlanPicksFramesByTheirOuterTag() {
        Tapping t = new Tapping(0);
        Sink vm1 = new Sink("vm1"), out = new Sink("out");
        vm1.counters().taps.addMirror(new Mirror("m", out, new int[] {10, 0}), true, false);
        PacketBatch b = batch(6, i -> i % 3 == 0 ? 10 : i % 3 == 1 ? 20 : 0);
        t.rx(vm1.counters().taps.rx, vm1, b, 6, 1, new SoftwareOffload());
        assertEquals(List.of(0, 2, 3, 5), out.got, "VLAN 10 and untagged (0), not VLAN 20");
        Sink access = new Sink("access"), out2 = new Sink("out2");
        access.counters().taps.addMirror(new Mirror("m2", out2, new int[] {30}), true, false);
        t.rx(access.counters().taps.rx, access, b, 6, 2, new SoftwareOffload());
        assertEquals(List.of(), out2.got, "a trunk's frames are on their tags' VLANs");
        access.counters().taps.accessVlan(30);
        t.rx(access.counters().taps.rx, access, b, 6, 3, new SoftwareOffload());
        assertEquals(List.of(0, 1, 2, 3, 4, 5), out2.got, "an access port's frames are on its VLAN");
    }

    @Test
    void tappingAllocatesNothingPerFrame() {
        Tapping t = new Tapping(0);
        SoftwareOffload offload = new SoftwareOffload();
        Sink vm1 = new Sink("vm1"), out = new Sink("out");
        out.record = false;
        CaptureRing ring = new CaptureRing(1 << 20, 128);
        vm1.counters().taps.addRing(ring, true, true);
        vm1.counters().taps.addMirror(new Mirror("m", out, new int[] {0}), true, true);
        PacketBatch b = batch(32, i -> 0);
        int[] all = new int[32];
        for (int i = 0; i < 32; i++) all[i] = i;
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long allocated = 0, serial = 0;
        for (int round = 0; round < 400; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int k = 0; k < 50; k++) {
                PortTaps.Tap rx = vm1.counters().taps.rx, tx = vm1.counters().taps.tx;
                t.rx(rx, vm1, b, 32, ++serial, offload);
                t.tx(tx, vm1, b, all, 32, ++serial, 0, offload);
            }
            long used = mx.getCurrentThreadAllocatedBytes() - before;
            if (round >= 200) allocated += used;      // the first rounds warm the JIT up
            drain(ring);                              // the consumer (another thread in the daemon) may allocate
        }
        // 200 rounds x 50 bursts x 64 frames: a byte per frame would be 640 KB
        assertTrue(allocated < 4096, "tapping allocated " + allocated + " bytes for 640,000 frames");
        assertTrue(ring.dropped() == 0, "the ring kept up: " + ring.dropped());
    }

    /**
     * A mirror whose output is a tunnel port with key=flow: frames mirrored as they come in have no tunnel fields yet
     * (the pipeline has not run), so they leave in VNI 0, whatever key an earlier packet left in their slots.
     */
    @Test
    void framesMirroredOnReceiptToAKeyFlowTunnelPortLeaveInVniZero() throws Exception {
        Tapping t = new Tapping(0);
        SoftwareOffload offload = new SoftwareOffload();
        Sink vm1 = new Sink("vm1"), up = new Sink("up0");
        io.xvio.port.TunnelPort vx = new io.xvio.port.TunnelPort("vx0", 5, io.xvio.datapath.tunnel.TunnelConfig.parse(
                java.util.Map.of("type", "vxlan", "remote_ip", "172.31.0.2", "key", "flow"), "vx0"));
        io.xvio.datapath.tunnel.TunnelHeader h = new io.xvio.datapath.tunnel.TunnelHeader(new io.xvio.datapath.tunnel.TunnelHeader.Spec(
                io.xvio.datapath.tunnel.TunnelType.VXLAN, 1, 2, java.net.InetAddress.getByName("172.31.0.1"),
                java.net.InetAddress.getByName("172.31.0.2"), 4789, 0, 0, 64, true, false, false, null));
        vx.flowHeaders().publish(java.util.Map.of(new io.xvio.datapath.tunnel.FlowHeaders.Key(io.xvio.datapath.tunnel.IpAddr.V4_HI,
                io.xvio.datapath.tunnel.IpAddr.V4_LO_TAG | 0xac1f0002L, 0), new io.xvio.port.TunnelPort.Egress(h, up, 1500, "br-phy", null)));
        vm1.counters().taps.addMirror(new Mirror("m", vx, new int[0]), true, false);
        PacketBatch b = batch(4, i -> 0);
        for (int i = 0; i < 4; i++) {                    // what a decapsulated packet left in the slot's key
            b.keys[i].w[io.xvio.packet.FlowKey.TUN_ID] = 555;
            b.keys[i].extended = true;
        }
        assertEquals(4, t.rx(vm1.counters().taps.rx, vm1, b, 4, 1, offload));
        assertEquals(4, up.got.size(), "mirrored in VNI 0 (VNI 555 has no way out): " + vx.extraCounters());
    }
}
