package io.xvio.virtio;

import io.xvio.packet.PacketBatch;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

import static io.xvio.testing.TestFrontend.withHeader;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a transmit queue of either kind reads of a frame's virtio-net header: only what CSUM gives meaning. */
final class TxHeaderCheck {
    private TxHeaderCheck() {}

    /**
     * Sends frame with a NEEDS_CSUM header (csum_start 34, csum_offset 16) through send, pops it with pop into batch
     * (whose first slot's header bytes are filled with 0x5a first), and checks the frame and the header bytes: the
     * driver's with csum, the fill untouched without (the header not read, nor its cache line).
     */
    static void headerReadOnlyWithCsum(boolean csum, PacketBatch batch, byte[] frame, Consumer<byte[]> send, IntSupplier pop) {
        byte[] sent = withHeader(frame);
        sent[0] = 1;
        sent[6] = 34;
        sent[8] = 16;
        send.accept(sent);
        batch.reset();
        batch.data.asSlice(batch.off[0] - 12, 12).fill((byte) 0x5a);
        assertEquals(1, pop.getAsInt());
        assertArrayEquals(frame, batch.data.asSlice(batch.off[0], batch.len[0]).toArray(JAVA_BYTE));
        byte[] untouched = new byte[12];
        Arrays.fill(untouched, (byte) 0x5a);
        assertArrayEquals(csum ? Arrays.copyOf(sent, 12) : untouched, batch.data.asSlice(batch.off[0] - 12, 12).toArray(JAVA_BYTE),
                csum ? "the header copied for the port to read" : "without CSUM the header is not read (nor its cache line)");
    }
}
