package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.testing.TestFrontend;
import io.xvio.util.Quiescence;
import io.xvio.vhost.VhostUserEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * A vhost-user port's transmit only reads the caller's packet indices: a PMD thread passes one index array, shared
 * by every thread and port, for a burst that goes to a single output. A guest without mergeable buffers whose
 * buffer cannot hold a frame makes the ring skip that frame; the next burst must still find the array as it was.
 */
class VhostUserSharedIndexTest {
    @TempDir Path dir;

    @Test
    void aFrameTooBigForTheGuestsBufferLeavesTheSharedIndicesIntact() throws Exception {
        VhostUserPort p = new VhostUserPort("vh", 1, dir.resolve("vh.sock").toString(), VhostUserEndpoint.Mode.SERVER, 1,
                true, false, false, 0, Quiescence.NONE, null);
        p.start();
        TestFrontend.Options small = TestFrontend.Options.defaults().mergeable(false).indirect(false).bufSize(256);
        try (TestFrontend f = TestFrontend.connect(dir.resolve("vh.sock").toString(), small).start()) {
            int[] shared = new int[PacketBatch.BURST];
            for (int i = 0; i < shared.length; i++) shared[i] = i;
            int[] before = shared.clone();
            PacketBatch b = new PacketBatch();

            burst(b, 100, 1000, 101, 102);               // frame 1 does not fit a 256-byte buffer
            p.transmit(0, b, shared, 4);
            assertArrayEquals(before, shared, "the transmit wrote the caller's indices");
            assertEquals(List.of(100, 101, 102), lengths(f.awaitFrames(3, Duration.ofSeconds(5))));

            burst(b, 110, 111, 112, 113);                // the next burst, through the same array
            p.transmit(0, b, shared, 4);
            List<byte[]> got = f.awaitFrames(4, Duration.ofSeconds(5));
            assertEquals(List.of(110, 111, 112, 113), lengths(got), "each frame once, in order");
            for (int i = 0; i < 4; i++) assertEquals((byte) (0x40 + i), got.get(i)[20], "frame " + i + "'s own bytes");
            assertEquals(7, p.counters().get(PortCounters.Counter.TX_PACKETS));
            assertEquals(100 + 101 + 102 + 110 + 111 + 112 + 113, p.counters().get(PortCounters.Counter.TX_BYTES),
                    "the bytes of the frames delivered, not of the one skipped");
        } finally {
            p.close();
        }
    }

    /** Fills b with frames of the given lengths, frame i's payload bytes 0x40 + i. */
    private static void burst(PacketBatch b, int... lens) {
        b.reset();
        MemorySegment d = b.data;
        for (int i = 0; i < lens.length; i++) {
            d.asSlice(b.off[i], lens[i]).fill((byte) (0x40 + i));
            d.set(JAVA_BYTE, b.off[i], (byte) 0x02);     // a unicast destination
            b.len[i] = lens[i];
        }
        b.count = lens.length;
    }

    private static List<Integer> lengths(List<byte[]> frames) { return frames.stream().map(x -> x.length).toList(); }
}
