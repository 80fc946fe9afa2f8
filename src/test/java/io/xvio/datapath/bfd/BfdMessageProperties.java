package io.xvio.datapath.bfd;

import net.jqwik.api.*;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The BFD parser on untrusted bytes: any bytes of any length parse to a verdict without throwing, and a message a
 * session accepts never moves it out of its state machine's states; messages written with valid fields read back
 * the same.
 */
class BfdMessageProperties {
    @Property(tries = 2000)
    void anyBytesGetAVerdictAndLeaveTheSessionInAState(@ForAll byte[] bytes, @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int ttl) {
        BfdMessage m = new BfdMessage();
        String why = m.parse(bytes, 0, bytes.length);
        BfdSession s = new BfdSession("p", 0x5, 50000, new Random(1), BfdSettings.of(java.util.Map.of("enable", "true")));
        if (why == null) {
            s.receive(m, ttl, 0);
            s.run(1);
        }
        assertTrue(s.state() >= BfdMessage.ADMIN_DOWN && s.state() <= BfdMessage.UP);
        assertNotNull(s.status().get("state"));
    }

    @Property(tries = 1000)
    void validMessagesRoundTrip(@ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 31) int diag,
                                @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 3) int state,
                                @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 255) int mult,
                                @ForAll @net.jqwik.api.constraints.LongRange(min = 1, max = 0xffffffffL) long myDisc,
                                @ForAll @net.jqwik.api.constraints.LongRange(min = 1, max = 0xffffffffL) long yourDisc,
                                @ForAll @net.jqwik.api.constraints.LongRange(min = 0, max = 0xffffffffL) long minTx,
                                @ForAll boolean poll) {
        BfdMessage m = new BfdMessage();
        m.version = BfdMessage.VERSION;
        m.diag = diag;
        m.state = state;
        m.flags = poll ? BfdMessage.F_POLL : 0;
        m.mult = mult;
        m.myDisc = myDisc;
        m.yourDisc = yourDisc;
        m.minTxMicros = minTx;
        m.minRxMicros = minTx ^ 0x5555;
        byte[] b = new byte[30];
        m.write(b, 3);
        BfdMessage r = new BfdMessage();
        assertNull(r.parse(b, 3, 24), r::toString);
        assertEquals(m.toString().replace("length:0", "length:24"), r.toString());
    }
}
