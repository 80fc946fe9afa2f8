package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Action;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Paused packet-ins and their resumes as a controller would send them: any continuation xvio makes (random rest of
 * actions, table, cookie, stack, userdata) comes back out of NXT_PACKET_IN2 and NXT_RESUME unchanged; mutated resumes
 * sent to a switch that resumes get an error or run, never an exception, and the connection goes on.
 */
class PausedPacketInProperties {
    static final List<String> ACTIONS = List.of("output:2", "set_field:0x9->reg4", "resubmit(,5)", "controller(userdata=01,pause)",
            "pop:NXM_NX_REG5[]", "mod_dl_src:02:00:00:00:00:09", "ct(commit,zone=5)", "dec_ttl");

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF15); }

    @Provide
    Arbitrary<List<Action>> rests() {
        return Arbitraries.of(ACTIONS).list().ofMaxSize(5).map(l -> l.isEmpty() ? List.<Action>of() : FlowParser.parseActionList(String.join(",", l)));
    }

    static Continuation continuation(List<Action> rest, int table, long cookie, List<Long> stack) {
        return new Continuation(Continuation.bridgeId("br0"), stack, 0, false, List.of(new Continuation.Frame(table, cookie, rest)), List.of(), 1);
    }

    @Property(tries = 300)
    void aPausedPacketInsContinuationComesBackUnchanged(@ForAll("versions") int v, @ForAll("rests") List<Action> rest,
                                                          @ForAll @IntRange(max = OfStats.TABLES - 1) int table, @ForAll long cookie,
                                                          @ForAll @Size(max = 4) List<Long> stack, @ForAll @Size(min = 1, max = 20) byte[] userdata) {
        Continuation c = continuation(rest, table, cookie, stack);
        PacketIn pi = new PacketIn(60, 1, table, cookie, PausedPacketInTest.meta(), PausedPacketInTest.FRAME, userdata);
        byte[] m = pi.encode(v, PacketIn.FORMAT_NXT2, 0, c);
        Continuation back = PacketIn.continuation(m);
        assertEquals(c, back);
        Wire.Reader r = new Wire.Reader(Resume.encode(v, 3, PausedPacketInTest.FRAME, PausedPacketInTest.meta(), back));
        r.skip(16);
        assertEquals(back, Resume.decode(r, v).continuation());
        assertTrue(back.from("br0"));
    }

    @Property(tries = 500)
    void mutatedResumesGetAnErrorOrRun(@ForAll("versions") int v, @ForAll("rests") List<Action> rest,
                                       @ForAll @Size(max = 4) List<@IntRange(max = 400) Integer> at, @ForAll byte value, @ForAll @IntRange(min = 16, max = 300) int cutAt, @ForAll boolean cut) {
        byte[] m = Resume.encode(v, 7, PausedPacketInTest.FRAME, PausedPacketInTest.meta(), continuation(rest, 4, 0x42, List.of(7L)));
        for (int a : at) m[16 + a % (m.length - 16)] ^= (byte) (value == 0 ? 1 : value);     // the header stays NXT_RESUME
        if (cut && cutAt < m.length) {
            m = java.util.Arrays.copyOf(m, cutAt);
            m[2] = (byte) (cutAt >>> 8);
            m[3] = (byte) cutAt;
        }
        MemorySwitch sw = new MemorySwitch();
        sw.resumes = true;
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        byte[] msg = m;
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(msg));
        for (byte[] reply : replies) assertEquals(OfType.ERROR, reply[1]);
        if (replies.isEmpty()) assertEquals(1, sw.resumed.size(), "no error: it ran");
        assertEquals(OfType.ECHO_REPLY, c.handle(new Wire.Writer(v, OfType.ECHO_REQUEST, 3).finish()).getFirst()[1]);
    }
}
