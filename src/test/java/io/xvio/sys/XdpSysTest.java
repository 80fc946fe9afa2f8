package io.xvio.sys;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.xvio.sys.NetdevSysTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * AF_XDP sockets and the hand-built redirect program against the real kernel, on a veth pair this test creates
 * (unique names, deleted afterwards, IPv6 off): frames sent into the peer arrive through the XSK's rx ring, frames
 * the XSK sends arrive at the peer, and closing leaves no XDP program on the interface.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class XdpSysTest {
    private final NetLab lab = new NetLab();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final MemorySegment buf = Arena.ofAuto().allocate(32L * SLOT, 64);

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        lab.close();
    }

    private <T extends AutoCloseable> T own(T c) { open.add(c); return c; }

    private static String link(String dev) { return NetLab.ok("ip", "-d", "link", "show", dev); }

    /** Receives on xsk until want test frames arrived or 5 s passed; returns their seqs (and lengths into lens). */
    private List<Integer> receive(XdpSocket xsk, int want, List<Integer> lens) throws InterruptedException {
        int[] off = new int[32], len = new int[32];
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (seqs.size() < want && System.nanoTime() < deadline) {
            for (int i = 0; i < 32; i++) off[i] = i * SLOT + 64;
            int n = xsk.receive(buf, off, len, SLOT - 64, 32);
            for (int i = 0; i < n; i++) {
                if (type(buf, off[i]) == TYPE) { seqs.add(seq(buf, off[i])); if (lens != null) lens.add(len[i]); }
            }
            if (n == 0) Thread.sleep(1);
        }
        return seqs;
    }

    private String[] vethUp() {
        String a = lab.name("xxa"), b = lab.name("xxb");
        lab.veth(a, b);
        Netdev.setUp(a);
        Netdev.setUp(b);
        return new String[] {a, b};
    }

    private void exchange(String a, String b, XdpSocket xsk, int rounds) throws Exception {
        Netdev.Info ib = Netdev.query(b);
        try (PacketTxRing peerTx = PacketTxRing.open(b, ib.ifindex(), 1518, 256);
             PacketRxRing peerRx = PacketRxRing.open(b, ib.ifindex(), 1 << 16, 8, true)) {
            int next = 0;
            for (int r = 0; r < rounds; r++) {
                // peer -> xsk: 40 frames (more than a burst), lengths 60..1518
                List<Integer> want = new ArrayList<>(), wantLen = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    int len = i == 39 ? 1514 : 60 + 37 * i;
                    assertTrue(peerTx.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd01L, 0x020000000002L, next, len), len));
                    want.add(next++);
                    wantLen.add(len);
                }
                assertEquals(0, peerTx.flush());
                List<Integer> lens = new ArrayList<>();
                assertEquals(want, receive(xsk, 40, lens), "peer -> AF_XDP, round " + r);
                assertEquals(wantLen, lens);
                // xsk -> peer: 100 frames in bursts of 32 (the tx ring wraps over the rounds)
                List<Integer> sent = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    assertTrue(xsk.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd02L, 0x020000000001L, next, 64 + i), 64 + i),
                            "free tx chunk for frame " + i);
                    sent.add(next++);
                    if (i % 32 == 31 || i == 99) assertEquals(0, xsk.flush());
                }
                assertEquals(sent, receiveTestFrames(peerRx, 100, null), "AF_XDP -> peer, round " + r);
            }
        }
    }

    /** Like NetdevSysTest's, for a peer rx ring. */
    private List<Integer> receiveTestFrames(PacketRxRing rx, int want, List<Integer> lengths) throws InterruptedException {
        return receiveTestFrames(rx, want, 5000);
    }

    /** Test frames the peer received until want arrived or ms passed. */
    private List<Integer> receiveTestFrames(PacketRxRing rx, int want, long ms) throws InterruptedException {
        int[] off = new int[32], len = new int[32], flags = new int[32];
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (seqs.size() < want && System.nanoTime() < deadline) {
            for (int i = 0; i < 32; i++) off[i] = 16 * SLOT + i * (SLOT / 2);
            int n = rx.receive(buf, off, len, flags, SLOT / 2, 32);
            for (int i = 0; i < n; i++) if (type(buf, off[i]) == TYPE) seqs.add(seq(buf, off[i]));
            if (n == 0) Thread.sleep(1);
        }
        return seqs;
    }

    @Test
    void framesCrossBothWaysInGenericModeAndCloseLeavesNoProgram() throws Exception {
        String[] v = vethUp();
        Netdev.Info ia = Netdev.query(v[0]);
        XdpSocket xsk = own(XdpSocket.open(v[0], ia.ifindex(), 0, 2048, 256, 128));
        XdpRedirect prog = own(XdpRedirect.attach(v[0], ia.ifindex(), 0, xsk.fd(), true));
        assertEquals(XdpRedirect.Mode.GENERIC, prog.mode());
        assertTrue(link(v[0]).contains("xdpgeneric"), link(v[0]));
        assertEquals(1792, xsk.maxFrame());
        exchange(v[0], v[1], xsk, 12);      // 12 x 40 > 256 rx chunks: the fill ring is recycled
        XdpSocket.Stats st = xsk.stats();
        assertEquals(0, st.rxInvalid() + st.txInvalid(), st.toString());
        prog.close();
        xsk.close();
        assertFalse(link(v[0]).contains("xdp"), link(v[0]));
    }

    /**
     * Where the kernel takes XDP_MAX_TX_SKB_BUDGET (6.17+), flushOrHold keeps bursts on the tx ring until KICK_AT
     * frames wait, then one flush sends them all, in order; flush sends held frames at once. On an older kernel every
     * flushOrHold sends (budget 32).
     */
    @Test
    void flushOrHoldKeepsBurstsBackUntilThreeWaitThenSendsThemInOrder() throws Exception {
        String[] v = vethUp();
        Netdev.Info ia = Netdev.query(v[0]), ib = Netdev.query(v[1]);
        XdpSocket xsk = own(XdpSocket.open(v[0], ia.ifindex(), 0, 2048, 256, 1024));
        try (PacketRxRing peerRx = PacketRxRing.open(v[1], ib.ifindex(), 1 << 16, 8, true)) {
            int next = 0;
            List<Integer> sent = new ArrayList<>();
            if (xsk.txBudget() == XdpSocket.KERNEL_TX_BATCH) {   // an older kernel: nothing is ever held
                for (int i = 0; i < 32; i++) { assertTrue(xsk.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd02L, 0x020000000001L, next, 64), 64)); sent.add(next++); }
                assertEquals(0, xsk.flushOrHold());
                assertEquals(0, xsk.heldSince());
                assertEquals(sent, receiveTestFrames(peerRx, 32, null));
                return;
            }
            assertEquals(256, xsk.txBudget());
            for (int round = 0; round < 3; round++) {
                sent.clear();
                int bursts = XdpSocket.KICK_AT / 32;
                for (int burst = 0; burst < bursts; burst++) {
                    for (int i = 0; i < 32; i++) {
                        assertTrue(xsk.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd02L, 0x020000000001L, next, 64 + i), 64 + i));
                        sent.add(next++);
                    }
                    assertEquals(0, xsk.flushOrHold());
                    if (burst < bursts - 1) {
                        assertNotEquals(0, xsk.heldSince(), "burst " + burst + " of round " + round + " is held");
                        assertEquals(List.of(), receiveTestFrames(peerRx, 1, 50), "nothing sent while held");
                    }
                }
                assertEquals(0, xsk.heldSince(), "the last burst sends them all");
                assertEquals(sent, receiveTestFrames(peerRx, XdpSocket.KICK_AT, null), "round " + round);
            }
            // large frames are held only up to KICK_BYTES: fewer than KICK_AT frames of 1,000 bytes over it go at once
            int big = 1000, over = XdpSocket.KICK_BYTES / big + 1;   // (the peer reads frames up to SLOT / 2)
            assertTrue(over < XdpSocket.KICK_AT);
            sent.clear();
            for (int i = 0; i < over; i++) { assertTrue(xsk.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd02L, 0x020000000001L, next, big), big)); sent.add(next++); }
            assertEquals(0, xsk.flushOrHold());
            assertEquals(0, xsk.heldSince(), over + " x " + big + " bytes are not held");
            assertEquals(sent, receiveTestFrames(peerRx, over, null));
            // a held burst goes with a plain flush (what the PMD thread's idle loop and HeldTx do)
            sent.clear();
            for (int i = 0; i < 32; i++) { assertTrue(xsk.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd02L, 0x020000000001L, next, 80), 80)); sent.add(next++); }
            assertEquals(0, xsk.flushOrHold());
            assertNotEquals(0, xsk.heldSince());
            assertEquals(0, xsk.flush());
            assertEquals(0, xsk.heldSince());
            assertEquals(sent, receiveTestFrames(peerRx, 32, null));
        }
    }

    @Test
    void framesCrossBothWaysInNativeModeWhereTheDriverHasIt() throws Exception {
        String[] v = vethUp();
        Netdev.Info ia = Netdev.query(v[0]);
        XdpSocket xsk = own(XdpSocket.open(v[0], ia.ifindex(), 0, 4096, 64, 64));
        XdpRedirect prog = own(XdpRedirect.attach(v[0], ia.ifindex(), 0, xsk.fd(), false));
        assertEquals(XdpRedirect.Mode.NATIVE, prog.mode(), "veth has native XDP");
        assertTrue(link(v[0]).contains("xdp"), link(v[0]));
        exchange(v[0], v[1], xsk, 3);
        prog.close();
        assertFalse(link(v[0]).contains("xdp"), link(v[0]));
    }

    @Test
    void programBytesAreTheSixInstructions() {
        byte[] p = XdpRedirect.program(7);
        assertEquals(48, p.length);
        assertEquals(0x61, p[0] & 0xff);
        assertEquals(0x12, p[1] & 0xff);     // dst r2, src r1
        assertEquals(16, p[2]);              // rx_queue_index
        assertEquals(0x18, p[8] & 0xff);
        assertEquals(0x11, p[9] & 0xff);     // dst r1, src BPF_PSEUDO_MAP_FD
        assertEquals(7, p[12]);
        assertEquals(0xb7, p[24] & 0xff);
        assertEquals(2, p[28]);              // XDP_PASS
        assertEquals(0x85, p[32] & 0xff);
        assertEquals(51, p[36]);             // bpf_redirect_map
        assertEquals(0x95, p[40] & 0xff);
    }

    @Test
    void aRefusedProgramCarriesTheVerifiersReason() {
        byte[] exitOnly = {(byte) 0x95, 0, 0, 0, 0, 0, 0, 0};   // returns r0, which was never set
        Bpf.BpfException e = assertThrows(Bpf.BpfException.class, () -> Bpf.loadXdp("xvio_bad", exitOnly));
        assertEquals(Errno.EACCES, e.errno(), e.getMessage());
        assertTrue(e.verifierLog().contains("R0 !read_ok"), e.verifierLog());
        assertTrue(e.getMessage().startsWith("bpf(BPF_PROG_LOAD(XDP xvio_bad)): EACCES") && e.getMessage().contains("verifier: "), e.getMessage());
    }

    @Test
    void aQueueTheInterfaceDoesNotHaveFailsAtBindNamingIt() {
        String[] v = vethUp();
        Netdev.Info ia = Netdev.query(v[0]);
        SysException e = assertThrows(SysException.class, () -> XdpSocket.open(v[0], ia.ifindex(), 5, 2048, 64, 64));
        assertTrue(e.getMessage().contains("bind(") && e.getMessage().contains("queue 5") && e.getMessage().contains("EINVAL"), e.getMessage());
    }

    @Test
    void aSecondProgramIsRefusedWhileTheFirstIsAttached() {
        String[] v = vethUp();
        Netdev.Info ia = Netdev.query(v[0]);
        XdpSocket xsk = own(XdpSocket.open(v[0], ia.ifindex(), 0, 2048, 64, 64));
        own(XdpRedirect.attach(v[0], ia.ifindex(), 0, xsk.fd(), true));
        XdpSocket other = own(XdpSocket.open(v[1], Netdev.query(v[1]).ifindex(), 0, 2048, 64, 64));
        SysException e = assertThrows(SysException.class, () -> XdpRedirect.attach(v[0], ia.ifindex(), 0, other.fd(), true));
        assertTrue(e.getMessage().contains("BPF_LINK_CREATE"), e.getMessage());
    }

    @Test
    void sendingOnADownOrDeletedInterfaceFailsWithEnetdownOrEnxio() {
        String[] v = vethUp();
        Netdev.Info ia = Netdev.query(v[0]);
        XdpSocket xsk = own(XdpSocket.open(v[0], ia.ifindex(), 0, 2048, 64, 64));
        own(XdpRedirect.attach(v[0], ia.ifindex(), 0, xsk.fd(), true));
        lab.down(null, v[0]);
        assertTrue(xsk.queue(buf, frame(buf, 0, 1, 2, 1, 60), 60));
        assertEquals(-Errno.ENETDOWN, xsk.flush());
        lab.delete(v[0]);
        assertTrue(xsk.needsFlush());
        assertEquals(-Errno.ENXIO, xsk.flush());
    }
}
