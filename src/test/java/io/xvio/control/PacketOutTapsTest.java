package io.xvio.control;

import io.xvio.packet.PacketBatch;
import io.xvio.pmd.PmdSet;
import io.xvio.port.CaptureRing;
import io.xvio.port.Mirror;
import io.xvio.port.Port;
import io.xvio.testing.InertPort;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What a packet-out (or an NXT_RESUME: OVN's DHCP and DNS answers) sends leaves as a PMD thread's own bursts do: a
 * capture on the port sees it (as tcpdump sees a packet-out with OVS) and a mirror of the port's transmissions
 * mirrors it (OVS mirrors in its translation, packet-outs included).
 */
class PacketOutTapsTest {
    /** A port that remembers the first byte of every frame it sends. */
    static final class Sink extends InertPort {
        final List<Integer> got = new ArrayList<>();
        Sink(String name) { super(name); }
        @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {
            for (int k = 0; k < n; k++) got.add((int) b.data.get(ValueLayout.JAVA_BYTE, b.off[which[k]]));
        }
    }

    @Test
    void aPacketOutsFramesAreCapturedAndMirrored() {
        Sink vm = new Sink("vm"), out = new Sink("out");
        CaptureRing ring = new CaptureRing(1 << 16, 100);
        vm.counters().taps.addRing(ring, false, true);
        Mirror m = new Mirror("m0", out, new int[0]);
        vm.counters().taps.addMirror(m, false, true);
        out.counters().taps.reserve(true);
        PmdSet pmds = new PmdSet(List.of(), "adaptive");
        pmds.start();
        try {
            PacketOutTask task = new PacketOutTask(new Port[] {vm, out}, (b, outputs, thread) -> {
                b.len[0] = 60;
                b.data.asSlice(b.off[0], 60).fill((byte) 0);
                b.data.set(ValueLayout.JAVA_BYTE, b.off[0], (byte) 7);
                b.count = 1;
                outputs.add(0, 0);
            });
            assertTrue(pmds.submit(task));
            assertNull(task.await(10_000_000_000L), "the PMD thread ran the packet-out");
            assertEquals(List.of(7), vm.got, "the port sent the frame");
            int captured = 0;
            while (ring.poll((d, off, cap, orig, ns) -> {})) captured++;
            assertEquals(1, captured, "the capture on the port saw it");
            assertEquals(List.of(7), out.got, "the mirror of the port's transmissions mirrored it");
            PacketOutTask next = new PacketOutTask(new Port[] {vm, out}, (b, outputs, thread) -> {
                b.len[0] = 60;
                b.data.set(ValueLayout.JAVA_BYTE, b.off[0], (byte) 8);
                b.count = 1;
                outputs.add(0, 0);
            });
            assertTrue(pmds.submit(next));
            assertNull(next.await(10_000_000_000L));
            assertEquals(List.of(7, 8), out.got, "the next packet-out's frame in the same slot is a new frame: mirrored too");
        } finally {
            pmds.stop();
        }
    }
}
