package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A paused translation's packet-in as a controller sees it (NXT_PACKET_IN2 with userdata and NXPINT_CONTINUATION;
 * the other formats without it, as OVS) and its NXT_RESUME, built from the packet-in, run by the switch with the
 * packet, metadata, stack, table, cookie and actions of the continuation.
 */
class PausedPacketInTest {
    static final byte[] FRAME = new byte[60];

    static Continuation paused() {
        return new Continuation(Continuation.bridgeId("br0"), List.of(7L), 0, false,
                List.of(new Continuation.Frame(4, 0x42, FlowParser.parseActionList("set_field:0x9->reg4,output:2"))), List.of(), 1);
    }

    static Match meta() {
        return new Match().set(Field.IN_PORT, 1, Field.IN_PORT.fullMask()).set(Field.REG3, 7, Field.REG3.fullMask());
    }

    @Test
    void packetIn2CarriesTheContinuationAndOtherFormatsGoWithout() {
        PacketIn pi = new PacketIn(60, 1, 4, 0x42, meta(), FRAME, new byte[] {1, 2});
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            byte[] m = pi.encode(v, PacketIn.FORMAT_NXT2, 0, paused());
            assertEquals(0, m.length % 8);
            assertEquals(paused(), PacketIn.continuation(m), OfVersion.name(v));
            PacketIn back = PacketIn.decode(m);
            assertEquals(pi, back, "the packet-in's own properties decode as before");
            assertArrayEquals(pi.encode(v, PacketIn.FORMAT_STANDARD, 0), pi.encode(v, PacketIn.FORMAT_STANDARD, 0, paused()),
                    "a standard packet-in has no room for a continuation");
            assertNull(PacketIn.continuation(pi.encode(v, PacketIn.FORMAT_NXT2, 0)));
        }
    }

    @Test
    void aResumeOfThisBridgesContinuationRunsIt() {
        MemorySwitch sw = new MemorySwitch();
        sw.resumes = true;
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            sw.resumed.clear();
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            byte[] pin = new PacketIn(60, 1, 4, 0x42, meta(), FRAME, new byte[] {1, 2}).encode(v, PacketIn.FORMAT_NXT2, 0, paused());
            // what a controller does (ovs-ofctl monitor ... resume): the packet-in's continuation back, unchanged
            Match changed = meta().set(Field.REG5, 3, Field.REG5.fullMask());
            assertEquals(List.of(), c.handle(Resume.encode(v, 9, FRAME, changed, PacketIn.continuation(pin))));
            assertEquals(1, sw.resumed.size());
            MemorySwitch.Resumed r = sw.resumed.getFirst();
            assertEquals(1, r.inPort());
            assertEquals(changed, r.metadata(), "the metadata the controller sent back");
            assertArrayEquals(new long[] {7}, r.stack());
            assertEquals(1, r.frames().size());
            assertEquals(4, r.frames().getFirst().table());
            assertEquals(0x42, r.frames().getFirst().cookie());
            assertEquals("set_field:0x9->reg4,output:2", io.xvio.datapath.action.ActionSyntax.format(r.frames().getFirst().rest()));
        }
    }
}
