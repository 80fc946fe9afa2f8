package io.xvio.datapath.tunnel;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TunnelTlvMapTest {
    static String err(Runnable r) { return assertThrows(TunnelTlvMap.TlvMapException.class, r::run).getMessage(); }

    @Test
    void addDumpFindDelete() {
        TunnelTlvMap m = TunnelTlvMap.EMPTY.add(TunnelTlvMap.parse("{class=0x0102,type=0x80,len=4}->tun_metadata0,{class=0xffff,type=0,len=8}->tun_metadata3"));
        assertEquals("""
                 max option space=256 max fields=64
                 allocated option space=12

                 mapping table:
                  class  type  length  match field
                 ------  ----  ------  --------------
                  0x102  0x80       4  tun_metadata0
                 0xffff     0       8  tun_metadata3
                """, m.dump());
        assertTrue(m.known(0x102, 0x80, 4));
        assertFalse(m.known(0x102, 0x80, 8));
        assertFalse(m.known(0x102, 0x81, 4));
        byte[] opts = new byte[32];
        int n = GeneveOptions.encode(List.of(new GeneveOptions.Option(0xffff, 0, new byte[8]), new GeneveOptions.Option(0x102, 0x80, new byte[]{0, 0, 0, 7})), opts);
        assertEquals(16, m.find(opts, n, 0));
        assertEquals(4, m.find(opts, n, 3));
        assertEquals(-1, m.find(opts, n, 1));
        TunnelTlvMap d = m.delete(TunnelTlvMap.parse("{class=0x0102,type=0x80,len=4}->tun_metadata0"), i -> false);
        assertEquals(List.of(new TunnelTlvMap.Mapping(0xffff, 0, 8, 3)), d.mappings());
        assertEquals(2, m.mappings().size());                     // immutable
        assertTrue(m.clear(i -> false).mappings().isEmpty());
        assertEquals("{class=0x102,type=0x80,len=4}->tun_metadata0", m.get(0).toString());
    }

    @Test
    void ovsErrors() {
        TunnelTlvMap m = TunnelTlvMap.EMPTY.add(TunnelTlvMap.parse("{class=0x0102,type=0x80,len=4}->tun_metadata0"));
        assertEquals("NXTTMFC_ALREADY_MAPPED: tun_metadata0 is already mapped to {class=0x102,type=0x80,len=4}->tun_metadata0",
                err(() -> m.add(TunnelTlvMap.parse("{class=1,type=1,len=4}->tun_metadata0"))));
        assertEquals("NXTTMFC_DUP_ENTRY: option class=0x102,type=0x80 is already mapped: {class=0x102,type=0x80,len=4}->tun_metadata0",
                err(() -> m.add(TunnelTlvMap.parse("{class=0x102,type=0x80,len=8}->tun_metadata1"))));
        assertEquals("NXTTMFC_BAD_OPT_LEN: option length 6 is not a multiple of 4 up to 124", err(() -> TunnelTlvMap.parse("{class=1,type=1,len=6}->tun_metadata1")));
        assertEquals("NXTTMFC_BAD_OPT_LEN: option length 128 is not a multiple of 4 up to 124", err(() -> TunnelTlvMap.parse("{class=1,type=1,len=128}->tun_metadata1")));
        assertEquals("NXTTMFC_BAD_FIELD_IDX: tun_metadata64: fields are tun_metadata0..tun_metadata63", err(() -> TunnelTlvMap.parse("{class=1,type=1,len=4}->tun_metadata64")));
        assertEquals("invalid tlv mapping: \"{class=1,type=1}->tun_metadata1\" is not {class=C,type=T,len=L}->tun_metadataN",
                err(() -> TunnelTlvMap.parse("{class=1,type=1}->tun_metadata1")));
        assertEquals("invalid tlv mapping: type 0x100 is over 255", err(() -> TunnelTlvMap.parse("{class=1,type=0x100,len=4}->tun_metadata1")));
        assertEquals("NXTTMFC_TABLE_FULL: the mappings need 372 bytes of option space, the switch has 256",
                err(() -> m.add(TunnelTlvMap.parse("{class=1,type=1,len=124}->tun_metadata1,{class=1,type=2,len=124}->tun_metadata2,{class=1,type=3,len=120}->tun_metadata3"))));
        assertEquals("NXTTMFC_INVALID_TLV_DEL: tun_metadata0 is used by a flow", err(() -> m.delete(TunnelTlvMap.parse("{class=0x0102,type=0x80,len=4}->tun_metadata0"), i -> i == 0)));
        assertEquals("NXTTMFC_INVALID_TLV_DEL: tun_metadata0 is used by a flow", err(() -> m.clear(i -> true)));
        // all or nothing: the failed add above left m as it was
        assertEquals(1, m.mappings().size());
        assertTrue(TunnelTlvMap.parse("").isEmpty());
    }

    /** What parse reads, toString writes back, and parse reads the same; random text parses or fails with a message. */
    @Property(tries = 1000)
    void mappingsRoundTrip(@ForAll @IntRange(max = 0xffff) int c, @ForAll @IntRange(max = 255) int t, @ForAll @IntRange(max = 31) int words,
                           @ForAll @IntRange(max = 63) int idx) {
        TunnelTlvMap.Mapping m = new TunnelTlvMap.Mapping(c, t, words * 4, idx);
        assertEquals(List.of(m, m), TunnelTlvMap.parse(m + "," + m));
    }

    @Property(tries = 2000)
    void randomTextNeverThrowsOtherwise(@ForAll("texts") String s) {
        try {
            for (TunnelTlvMap.Mapping m : TunnelTlvMap.parse(s)) assertTrue(m.index() < 64 && m.len() <= 124 && m.len() % 4 == 0);
        } catch (TunnelTlvMap.TlvMapException e) {
            assertFalse(e.getMessage().isEmpty());
        }
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(60),
                Arbitraries.strings().withChars("{}=,->xclasstypelentun_metadata0123456789abcdef").ofMaxLength(80),
                Arbitraries.of("{class=0x99999999999999999999,type=1,len=4}->tun_metadata0", "{class=1,type=1,len=4}->tun_metadata99999999999999"));
    }
}
