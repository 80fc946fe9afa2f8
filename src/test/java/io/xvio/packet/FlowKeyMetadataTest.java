package io.xvio.packet;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/** Tunnel and conntrack words: a packet never inherits them from the packet before it in the same key slot. */
class FlowKeyMetadataTest {
    private static MemorySegment frame(Arena a) {
        byte[] f = new byte[60];
        f[12] = 0x08;                                   // IPv4 ethertype, header left zero (invalid: only L2 is read)
        MemorySegment s = a.allocate(f.length);
        MemorySegment.copy(f, 0, s, JAVA_BYTE, 0, f.length);
        return s;
    }

    @Test
    void extendedWordsAreClearedByTheNextExtract() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = frame(a);
            FlowKey k = new FlowKey();
            k.extract(s, 0, 60, 1);
            k.w[FlowKey.TUN_ID] = 100;
            k.w[FlowKey.CT_MARK] = 7;
            k.w[FlowKey.CT_TP] = 9;
            k.extended = true;
            FlowKey copy = new FlowKey();
            copy.copyFrom(k);
            assertEquals(100, copy.w[FlowKey.TUN_ID], "a copy keeps the packet's metadata");
            assertEquals(9, copy.w[FlowKey.CT_TP]);
            assertTrue(copy.extended);

            k.extract(s, 0, 60, 2);
            for (int w = FlowKey.PACKET_WORDS; w < FlowKey.WORDS; w++) assertEquals(0, k.w[w], "word " + w + " after receive");
            assertFalse(k.extended);
            copy.copyFrom(k);
            assertEquals(0, copy.w[FlowKey.TUN_ID], "copying a plain key over an extended one clears the metadata");
            assertFalse(copy.extended);
        }
    }

    @Test
    void theMetadataWordsFitTheKey() {
        assertTrue(FlowKey.TUN_METADATA0 + FlowKey.TUN_METADATA_WORDS <= FlowKey.CT_MISC);
        assertTrue(FlowKey.CT_TP < FlowKey.WORDS);
        assertTrue(FlowKey.WORDS <= 64, "Recorder.rewritten is one long: a bit per word");
    }
}
