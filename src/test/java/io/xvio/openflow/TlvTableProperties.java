package io.xvio.openflow;

import net.jqwik.api.*;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * NXT_TLV_TABLE_MOD with random bodies (and NXT_TLV_TABLE_REQUEST after it): an error or nothing, never an
 * exception; what the switch holds afterwards is what the reply lists, each mapping within OVS's limits.
 */
class TlvTableProperties {

    @Property(tries = 1000)
    void randomTlvTableModsGetAnErrorOrApply(@ForAll("versions") int version, @ForAll byte[] body) {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, version);
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, 9).u32(OfVersion.NX_VENDOR).u32(TlvTable.NXT_TLV_TABLE_MOD);
        w.bytes(body, 0, Math.min(body.length, 4000));
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(w.finish()));
        for (byte[] r : replies) assertEquals(OfType.ERROR, r[1]);
        byte[] reply = c.handle(TlvTable.encodeRequest(version, 10)).getFirst();
        Wire.Reader r = new Wire.Reader(reply);
        r.skip(16);
        List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> listed = TlvTable.decodeReply(r);
        assertEquals(sw.tlv.mappings(), listed);
        for (var m : listed) assertTrue(m.index() < 64 && m.len() % 4 == 0 && m.len() <= 124, m.toString());
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF15); }
}
