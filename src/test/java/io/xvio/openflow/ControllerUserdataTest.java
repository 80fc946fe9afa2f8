package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Controller;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** controller(userdata=...,pause): NXAST_CONTROLLER2 on the wire and NXPINT_USERDATA in NXT_PACKET_IN2. */
class ControllerUserdataTest {

    @Test
    void controller2RoundTripsAndPrintsAsOvs() {
        for (String text : List.of("controller(userdata=01.02.0a)", "controller(max_len=128,userdata=00.00.00.01.ff)",
                "controller(userdata=01.02,pause)", "controller(pause)", "controller(max_len=64,pause)")) {
            List<Action> acts = FlowParser.parseActionList(text);
            for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
                Wire.Writer w = new Wire.Writer();
                OfActions.encodeActions(acts, v, w);
                byte[] b = w.toBytes();
                assertEquals(0, b.length % 8);
                List<Action> back = OfActions.decodeActions(new Wire.Reader(b), v);
                assertEquals(text, back.getFirst().format(), OfVersion.name(v));
                assertEquals(acts.getFirst(), back.getFirst());
            }
        }
        assertEquals("CONTROLLER:65535", FlowParser.parseActionList("controller").getFirst().format(), "no userdata: a plain output");
    }

    static byte[] controller2(int... props) {
        Wire.Writer w = new Wire.Writer();
        w.u16(0xffff).u16(0).u32(OfVersion.NX_VENDOR).u16(OfActions.NX_CONTROLLER2).zeros(6);
        for (int p : props) w.u16(p >>> 16).u16(4 + (p & 0xff)).zeros(p & 0xff).pad8(0);
        w.put16(2, w.size());
        return w.toBytes();
    }

    @Test
    void badPropertiesAreRefusedAsErrors() {
        assertTrue(((Controller) OfActions.decodeActions(new Wire.Reader(controller2(4 << 16)), OfVersion.OF13).getFirst()).pause());
        OfError.Failure f = assertThrows(OfError.Failure.class, () -> OfActions.decodeActions(new Wire.Reader(controller2(4 << 16 | 4)), OfVersion.OF13));
        assertEquals(OfError.PROP_BAD_LEN, f.error, "pause has no value");
        f = assertThrows(OfError.Failure.class, () -> OfActions.decodeActions(new Wire.Reader(controller2(9 << 16)), OfVersion.OF13));
        assertEquals(OfError.PROP_BAD_TYPE, f.error);
        f = assertThrows(OfError.Failure.class, () -> OfActions.decodeActions(new Wire.Reader(controller2(1)), OfVersion.OF13));
        assertEquals(OfError.PROP_BAD_LEN, f.error, "max_len of 1 byte (OVS reads 2 or more)");
    }

    @Test
    void packetIn2CarriesTheUserdata() {
        Match m = new Match().set(Field.IN_PORT, 1, Field.IN_PORT.fullMask());
        PacketIn pi = new PacketIn(60, 1, 0, 0, m, new byte[60], new byte[] {1, 2, 10});
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15}) {
            PacketIn back = PacketIn.decode(pi.encode(v, PacketIn.FORMAT_NXT2, 3));
            assertEquals(pi, back);
            assertArrayEquals(new byte[] {1, 2, 10}, back.userdata());
        }
    }
}
