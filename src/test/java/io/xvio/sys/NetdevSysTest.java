package io.xvio.sys;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * TAP devices, interface ioctls and AF_PACKET rings against the real kernel, on interfaces this test creates
 * (unique names, deleted afterwards, IPv6 off, no addresses: only the test's own raw frames move). Test frames
 * use the local experimental EtherType 0x88b5 so that nothing else on the link is mistaken for them.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class NetdevSysTest {
    static final int SLOT = 2048, TYPE = 0x88b5;
    private final NetLab lab = new NetLab();
    private final List<AutoCloseable> open = new ArrayList<>();
    private final MemorySegment buf = Arena.ofAuto().allocate(32L * SLOT, 64);

    @AfterEach
    void cleanUp() throws Exception {
        for (AutoCloseable c : open.reversed()) c.close();
        lab.close();
    }

    private <T extends AutoCloseable> T own(T c) { open.add(c); return c; }

    /** Writes a test frame (dst, src, 0x88b5, seq, then fill bytes) of len bytes at off; returns off. */
    static long frame(MemorySegment s, long off, long dst, long src, int seq, int len) {
        for (int i = 0; i < 6; i++) {
            s.set(JAVA_BYTE, off + i, (byte) (dst >>> (40 - 8 * i)));
            s.set(JAVA_BYTE, off + 6 + i, (byte) (src >>> (40 - 8 * i)));
        }
        s.set(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off + 12, (short) TYPE);
        s.set(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off + 14, seq);
        for (int i = 18; i < len; i++) s.set(JAVA_BYTE, off + i, (byte) (seq + i));
        return off;
    }

    static int type(MemorySegment s, long off) { return s.get(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off + 12) & 0xffff; }

    static int seq(MemorySegment s, long off) { return s.get(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off + 14); }

    /** Receives until want test frames (EtherType 0x88b5, or tagged ones) arrived or 5 s passed; returns their seqs. */
    private List<Integer> receiveTestFrames(PacketRxRing rx, int want, List<Integer> lengths) throws InterruptedException {
        int[] off = new int[32], len = new int[32], flags = new int[32];
        List<Integer> seqs = new ArrayList<>();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (seqs.size() < want && System.nanoTime() < deadline) {
            for (int i = 0; i < 32; i++) off[i] = i * SLOT + 64;
            int n = rx.receive(buf, off, len, flags, SLOT - 64, 32);
            for (int i = 0; i < n; i++) {
                int t = type(buf, off[i]);
                if (t == TYPE) { seqs.add(seq(buf, off[i])); if (lengths != null) lengths.add(len[i]); }
                else if (t == 0x8100) { seqs.add(seq(buf, off[i] + 4)); if (lengths != null) lengths.add(len[i]); }
            }
            if (n == 0) Thread.sleep(1);
        }
        return seqs;
    }

    @Test
    void aMissingInterfaceIsNullAndSettingItUpNamesIt() {
        String name = lab.name("xvn");
        assertNull(Netdev.query(name));
        SysException e = assertThrows(SysException.class, () -> Netdev.setUp(name));
        assertTrue(e.getMessage().contains(name) && e.getMessage().contains("ENODEV"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Netdev.query("a/b"));
        assertFalse(Netdev.validName("0123456789abcdef"));
        assertTrue(Netdev.validName("veth0.100"));
    }

    @Test
    void queryReportsIndexFlagsMtuAndMac() throws InterruptedException {
        Netdev.Info lo = Netdev.query("lo");
        assertNotNull(lo);
        assertEquals(1, lo.ifindex());
        assertTrue(lo.up() && (lo.flags() & Netdev.IFF_LOOPBACK) != 0);
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        NetLab.ok("ip", "link", "set", a, "mtu", "1400", "address", "02:00:00:12:34:56");
        Netdev.Info i = Netdev.query(a);
        assertEquals(1400, i.mtu());
        assertEquals("02:00:00:12:34:56", Netdev.formatMac(i.mac()));
        assertFalse(i.up());
        Netdev.setUp(a);
        assertTrue(Netdev.query(a).up());
        assertFalse(Netdev.query(a).running(), "the peer is down: no carrier");
        Netdev.setUp(b);
        long deadline = System.nanoTime() + 3_000_000_000L;      // IFF_RUNNING follows the carrier via linkwatch, later
        while (!Netdev.query(a).running() && System.nanoTime() < deadline) Thread.sleep(10);
        assertTrue(Netdev.query(a).running(), "carrier once the peer is up");
    }

    @Test
    void aTapCarriesFramesBothWaysAndVanishesWhenClosed() throws Exception {
        String name = lab.name("xvt");
        TapDevice tap = TapDevice.create(name);
        lab.own(name);
        Netdev.setUp(name);
        lab.quietIpv6(null, name);
        Netdev.Info info = Netdev.query(name);
        assertEquals(tap.ifindex(), info.ifindex());
        assertEquals(0, tap.attachedErrno());
        assertEquals(-Errno.EAGAIN, drainTap(tap));
        // the host sends out of the tap (an AF_PACKET tx ring on it): the tap fd reads those frames
        try (PacketTxRing tx = PacketTxRing.open(name, info.ifindex(), 1518, 64);
             PacketRxRing rx = PacketRxRing.open(name, info.ifindex(), 1 << 16, 4, false)) {
            for (int i = 0; i < 5; i++) assertTrue(tx.queue(buf, frame(buf, i * SLOT, 0x020000000001L, 0x020000000002L, 100 + i, 60 + i), 60 + i));
            assertEquals(0, tx.flush());
            List<Integer> got = new ArrayList<>();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (got.size() < 5 && System.nanoTime() < deadline) {
                int n = tap.read(buf, 16 * SLOT, SLOT);
                if (n == -Errno.EAGAIN) { Thread.sleep(1); continue; }
                assertTrue(n > 0, "read " + n);
                if (type(buf, 16 * SLOT) == TYPE) { got.add(seq(buf, 16 * SLOT)); assertEquals(60 + got.size() - 1, n); }
            }
            assertEquals(List.of(100, 101, 102, 103, 104), got);
            // the tap fd writes: the host receives them on the interface (the rx ring sees them as incoming)
            for (int i = 0; i < 3; i++) assertEquals(70, tap.write(0, buf, frame(buf, i * SLOT, -1L & 0xffffffffffffL, 0x020000000003L, 200 + i, 70), 70));
            assertEquals(List.of(200, 201, 202), receiveTestFrames(rx, 3, null));
        }
        tap.close();
        assertNull(Netdev.query(name), "closing the fd deletes a non-persistent tap");
    }

    private int drainTap(TapDevice tap) {
        int n;
        while ((n = tap.read(buf, 0, SLOT)) > 0) { /* whatever the host had queued */ }
        return n;
    }

    @Test
    void aDeletedTapReportsEbadfdAndItsNameCanBeTakenAgain() {
        String name = lab.name("xvt");
        TapDevice tap = own(TapDevice.create(name));
        lab.own(name);
        lab.delete(name);
        assertEquals(TapDevice.EBADFD, tap.attachedErrno());
        assertEquals(-TapDevice.EBADFD, tap.read(buf, 0, SLOT));
        assertEquals(-TapDevice.EBADFD, tap.write(3, buf, frame(buf, 0, 1, 2, 1, 60), 60));
        TapDevice again = own(TapDevice.create(name));
        assertNotEquals(tap.ifindex(), again.ifindex());
    }

    @Test
    void aTapNameHeldByAnotherKindOfInterfaceIsRefusedNamingIt() {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        SysException e = assertThrows(SysException.class, () -> TapDevice.create(a));
        assertTrue(e.getMessage().contains("TUNSETIFF") && e.getMessage().contains(a), e.getMessage());
    }

    @Test
    void rxAndTxRingsAcrossAVethPairPromiscuouslyWithVlanTagsRestored() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        Netdev.setUp(a);
        Netdev.setUp(b);
        Netdev.Info ia = Netdev.query(a), ib = Netdev.query(b);
        PacketRxRing rx = own(PacketRxRing.open(a, ia.ifindex(), 1 << 16, 8, true));
        // PACKET_MR_PROMISC raises the promiscuity count (SIOCGIFFLAGS only shows the administrator's IFF_PROMISC)
        assertTrue(NetLab.ok("ip", "-d", "link", "show", a).contains("promiscuity 1"), NetLab.ok("ip", "-d", "link", "show", a));
        PacketTxRing tx = own(PacketTxRing.open(b, ib.ifindex(), 1518, 64));
        PacketTxRing txOnA = own(PacketTxRing.open(a, ia.ifindex(), 1518, 64));
        assertEquals(2048, tx.frameSize());
        assertTrue(tx.frameCount() >= 64);
        // unicast to a MAC that is neither end's: seen only because of promiscuous mode
        List<Integer> lens = new ArrayList<>();
        for (int i = 0; i < 40; i++) assertTrue(tx.queue(buf, frame(buf, (i % 16) * SLOT, 0x02aabbccdd01L, 0x020000000002L, i, 60 + 20 * i), 60 + 20 * i));
        assertEquals(0, tx.flush());
        // what a's own tx ring sends leaves through a; a's rx ring must not see it (outgoing)
        assertTrue(txOnA.queue(buf, frame(buf, 0, 0x02aabbccdd01L, 0x020000000009L, 999, 60), 60));
        assertEquals(0, txOnA.flush());
        List<Integer> seqs = receiveTestFrames(rx, 40, lens);
        List<Integer> want = new ArrayList<>();
        for (int i = 0; i < 40; i++) want.add(i);
        assertEquals(want, seqs);
        for (int i = 0; i < 40; i++) assertEquals(60 + 20 * i, lens.get(i));
        assertEquals(List.of(), receiveTestFrames(rx, 1, null).stream().filter(s -> s == 999).toList());
        // a VLAN-tagged frame: veth hands the tag over out of band; the ring puts it back into the frame
        long f = 20 * SLOT;
        frame(buf, f, 0x02aabbccdd01L, 0x020000000002L, 0, 80);
        MemorySegment.copy(buf, f + 12, buf, f + 16, 64);                       // make room for the tag
        buf.set(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), f + 12, (short) 0x8100);
        buf.set(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), f + 14, (short) 0x2064);   // PCP 1, VID 100
        buf.set(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), f + 18, 4242);
        assertTrue(tx.queue(buf, f, 84));
        assertEquals(0, tx.flush());
        int[] off = new int[32], len = new int[32], flags = new int[32];
        long deadline = System.nanoTime() + 5_000_000_000L;
        int found = -1;
        while (found < 0 && System.nanoTime() < deadline) {
            for (int i = 0; i < 32; i++) off[i] = i * SLOT + 64;
            int n = rx.receive(buf, off, len, flags, SLOT - 64, 32);
            for (int i = 0; i < n; i++) if (type(buf, off[i]) == 0x8100) found = i;
            if (found < 0) Thread.sleep(1);
        }
        assertTrue(found >= 0, "tagged frame received");
        assertEquals(84, len[found]);
        assertEquals(0x2064, buf.get(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off[found] + 14) & 0xffff);
        assertEquals(TYPE, buf.get(JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off[found] + 16) & 0xffff);
        assertEquals(4242, buf.get(JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), off[found] + 18));
        assertEquals(0, rx.takeKernelDrops());
    }

    @Test
    void framesLongerThanTheCallersSlotAreCountedNotCopied() throws Exception {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        NetLab.ok("ip", "link", "set", a, "mtu", "4000");
        NetLab.ok("ip", "link", "set", b, "mtu", "4000");
        Netdev.setUp(a);
        Netdev.setUp(b);
        PacketRxRing rx = own(PacketRxRing.open(a, Netdev.query(a).ifindex(), 1 << 16, 4, true));
        PacketTxRing tx = own(PacketTxRing.open(b, Netdev.query(b).ifindex(), 4018, 16));
        assertTrue(tx.maxFrame() >= 4018);
        assertTrue(tx.queue(buf, frame(buf, 0, 0x02aabbccdd01L, 2, 1, 3000), 3000));
        assertTrue(tx.queue(buf, frame(buf, SLOT, 0x02aabbccdd01L, 2, 2, 100), 100));
        assertEquals(0, tx.flush());
        assertEquals(List.of(2), receiveTestFrames(rx, 1, null));   // 3000 > SLOT - 64
        assertEquals(1, rx.droppedTooBig());
    }

    @Test
    void sendingOnADownOrDeletedInterfaceFailsWithEnetdownOrEnxio() {
        String a = lab.name("xva"), b = lab.name("xvb");
        lab.veth(a, b);
        Netdev.setUp(a);
        PacketTxRing tx = own(PacketTxRing.open(a, Netdev.query(a).ifindex(), 1518, 16));
        lab.down(null, a);
        assertTrue(tx.queue(buf, frame(buf, 0, 1, 2, 1, 60), 60));
        assertEquals(-Errno.ENETDOWN, tx.flush());
        lab.delete(a);
        assertEquals(-Errno.ENXIO, tx.flush());
        // the slot stays taken until the ring is closed: a full ring refuses instead of overwriting
        for (int i = 1; i < tx.frameCount(); i++) assertTrue(tx.queue(buf, 0, 60));
        assertFalse(tx.queue(buf, 0, 60));
        assertTrue(tx.needsFlush());
    }
}
