package io.xvio.packet;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * PacketBatch's "checksums checked" mark (what lets conntrack verify a packet once, not at every ct()): it holds
 * while the packet's frame starts where it was checked, travels with an exact copy, and a new frame (a burst, a copy
 * of an unchecked packet, bytes copied in) never inherits it.
 */
class PacketBatchChecksumsTest {

    @Test
    void theMarkHoldsWhileTheFrameStaysWhereItWasChecked() {
        PacketBatch b = new PacketBatch();
        assertFalse(b.checksumsChecked(0), "nothing is checked in a new batch");
        b.checksumsGood(0);
        assertTrue(b.checksumsChecked(0));
        assertFalse(b.checksumsChecked(1), "only the packet found good");
        int at = b.off[0];
        b.off[0] = at - 4;                                      // a pushed VLAN tag, an outer header
        assertFalse(b.checksumsChecked(0), "a frame that moved is not the one checked");
        b.off[0] = at;
        assertTrue(b.checksumsChecked(0));
        b.checksumsUnknown(0);
        assertFalse(b.checksumsChecked(0));
    }

    @Test
    void slotsSwappedDoNotTakeEachOthersMark() {
        PacketBatch b = new PacketBatch();
        b.checksumsGood(0);
        int t = b.off[0]; b.off[0] = b.off[1]; b.off[1] = t;   // Underlay's swap, Policing's move
        assertFalse(b.checksumsChecked(0), "packet 0 is now packet 1's frame");
        assertFalse(b.checksumsChecked(1), "packet 1's mark was never set");
    }

    @Test
    void aResetBurstStartsUnchecked() {
        PacketBatch b = new PacketBatch();
        for (int i = 0; i < PacketBatch.SLOTS; i++) b.checksumsGood(i);
        b.reset();
        for (int i = 0; i < PacketBatch.SLOTS; i++) assertFalse(b.checksumsChecked(i), "slot " + i + " after reset");
    }

    @Test
    void aCopyIsCheckedExactlyWhenItsOriginalIs() {
        PacketBatch b = new PacketBatch();
        b.len[0] = b.len[1] = 60;
        b.checksumsGood(0);
        int j = b.copy(0);
        assertEquals(PacketBatch.BURST, j);
        assertTrue(b.checksumsChecked(j), "the same bytes, checked");
        b.copies = 0;                                           // the next chunk reuses the copy slots
        assertEquals(j, b.copy(1));
        assertFalse(b.checksumsChecked(j), "a copy of an unchecked packet in a slot that held a checked one");
        b.copies = 0;
        b.checksumsGood(j);
        assertEquals(j, b.copyIn(b.data, b.off[0], 60));
        assertFalse(b.checksumsChecked(j), "bytes copied in are not known");
    }
}
