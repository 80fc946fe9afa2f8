package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.GroupParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A packet-out's actions may only name groups and meters that exist, inside clone(...) too (OVS's
 * ofproto_check_ofpacts on packet-outs): else OFPBAC_BAD_OUT_GROUP / OFPMMFC_INVALID_METER, and nothing is sent.
 */
class PacketOutReferencesTest {
    private static byte[] actions(String text, int v) {
        Wire.Writer w = new Wire.Writer();
        OfActions.encodeActions(FlowParser.parse("actions=" + text).actions, v, w);
        return w.toBytes();
    }

    private static final byte[] FRAME = new byte[60];

    /** An error's type/code (OpenFlow 1.1+ numbering). */
    private static String error(OfError e) { return e.type + "/" + e.code; }

    private static String error(byte[] m) {
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        return r.u16() + "/" + r.u16();
    }

    @Test
    void aPacketOutNamingAMissingGroupOrMeterIsRefused() {
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF15}) {
            MemorySwitch sw = new MemorySwitch();
            sw.groups.put(5L, GroupParser.parse("group_id=5,type=all,bucket=actions=output:1"));
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            for (String a : List.of("group:9", "clone(group:9)", "clone(output:2,group:9)")) {
                List<byte[]> r = c.handle(OfMessages.packetOut(v, 11, actions(a, v), FRAME));
                assertEquals(1, r.size(), a);
                assertEquals(error(OfError.BAD_OUT_GROUP), error(r.getFirst()), a);
            }
            if (v == OfVersion.OF15) {                   // meter is an action from OpenFlow 1.5 (an instruction before)
                List<byte[]> m = c.handle(OfMessages.packetOut(v, 12, actions("meter:3,output:2", v), FRAME));
                assertEquals(1, m.size());
                assertEquals(error(OfError.INVALID_METER), error(m.getFirst()));
            }
            assertEquals(List.of(), c.handle(OfMessages.packetOut(v, 13, actions("clone(group:5)", v), FRAME)), "group 5 exists");
            assertEquals(1, sw.packetOuts.size(), "only the last packet-out was run");
        }
    }
}
