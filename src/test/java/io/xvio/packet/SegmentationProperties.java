package io.xvio.packet;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;

import static io.xvio.packet.GsoFrames.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Segmentation over random GSO frames: random payload sizes (up to what a 64 KB frame holds) and gso_size, IPv4
 * or IPv6, TCP (with options) or UDP, VLAN tags in the frame or put back, segments taken a random number per call.
 * The payloads of the segments, concatenated, are the frame's payload; every segment carries at most gso_size
 * bytes of it (exactly that but the last); every length, id, sequence number and checksum checks out
 * ({@link GsoFrames#verify}).
 */
class SegmentationProperties {
    record Sizes(int payload, int gsoSize) {}

    @Provide
    Arbitrary<Sizes> sizes() {
        // at most 2000 segments a frame, so that a try stays quick; gso_size up to a jumbo MTU
        return Arbitraries.integers().between(1, 9000).flatMap(g ->
                Arbitraries.integers().between(1, Math.min(65_000, 2000 * g)).map(p -> new Sizes(p, g)));
    }

    @Property(tries = 300)
    void segmentsCarryThePayloadInOrderWithValidHeaders(@ForAll("sizes") Sizes sizes, @ForAll boolean v6, @ForAll boolean udp,
                                                       @ForAll @IntRange(max = 2) int inBandTags, @ForAll boolean tagPutBack,
                                                       @ForAll @IntRange(max = 10) int optionWords, @ForAll long seed,
                                                       @ForAll @IntRange(min = 1, max = 32) int perCall) {
        Random rnd = new Random(seed);
        Frame f = build(rnd, v6, udp, inBandTags, sizes.payload(), rnd.nextInt() & 0xffffffffL, rnd.nextInt(0x10000),
                rnd.nextInt(256), udp ? 0 : optionWords);
        int tag = tagPutBack ? 0x8100_0000 | rnd.nextInt(0x10000) : 0;
        long at = 64 + rnd.nextInt(64);
        MemorySegment s = place(f, at);
        Segmentation seg = new Segmentation();
        int r = start(seg, s, at, f, tag, sizes.gsoSize());
        int biggest = (tag != 0 ? 4 : 0) + f.hdr() + Math.min(sizes.gsoSize(), sizes.payload());
        if (biggest > PacketBatch.MAX_FRAME) {
            assertEquals(Segmentation.DROP_SIZE, r, "a segment would not fit a slot");
            return;
        }
        assertEquals(Segmentation.OK, r);
        List<byte[]> out = drain(seg, new PacketBatch(), perCall, 1 + rnd.nextInt(32));
        verify(f, tag, sizes.gsoSize(), out);
    }
}
