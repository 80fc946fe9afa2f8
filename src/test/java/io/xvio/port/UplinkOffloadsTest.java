package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.packet.Rewrite;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.xvio.port.PortCounters.Counter.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Transmit offloads of the uplinks (issue 19): TCP between a namespace behind a {@code tap} port and one behind a
 * veth whose other end is an {@code afpacket} port, the test thread forwarding between the two like a PMD (with
 * {@link SoftwareOffload} in between, as the datapath has). The tap hands xvio the namespace's 64 KB TSO frames
 * with their virtio-net header; they must leave the afpacket port whole (tx_gso_whole, nothing segmented by
 * xvio), for the kernel to segment: across the veth as they are, or, with the veth's transmit offloads off (a NIC
 * without TSO), cut and checksummed by the kernel from the header xvio wrote, which the far namespace checks
 * (its veth's receive checksumming is off). The other way, the afpacket port's segments go out of the tap.
 * With a VLAN on the way (this kernel has no 8021q module, so the tagged link is between two afpacket ports), the
 * forwarder pushes a tag on what goes to the first and pops it from what the second receives, as a datapath's
 * push_vlan/pop_vlan would.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class UplinkOffloadsTest {
    private final PmdStandIn pmd = new PmdStandIn();
    private final NetLab lab = pmd.net;

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    /** One way a forwarder moves frames: from a port to another, pushing a VLAN tag (push: its TCI) or popping one. */
    record Hop(Port from, Port to, int push, boolean pop) {
        static Hop of(Port from, Port to) { return new Hop(from, to, 0, false); }
    }

    /** Moves frames along hops through a SoftwareOffload, as a PMD and the datapath would. */
    private final class Forwarder implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;

        Forwarder(Hop... hops) {
            PacketBatch batch = new PacketBatch();
            SoftwareOffload offload = new SoftwareOffload();
            int[] which = new int[PacketBatch.BURST];
            for (int i = 0; i < which.length; i++) which[i] = i;
            thread = Thread.ofPlatform().daemon().name("forwarder").start(() -> {
                while (!stop) {
                    int moved = 0;
                    synchronized (pmd.lock) {
                        for (Hop h : hops) {
                            batch.reset();
                            int n = h.from().receive(0, batch, 0);
                            for (int i = 0; i < n; i++) {
                                if (h.push() != 0) {
                                    batch.off[i] = (int) Rewrite.pushVlan(batch.data, batch.off[i], 0x8100, h.push());
                                    batch.len[i] += 4;
                                } else if (h.pop() && batch.data.get(PmdStandIn.BE_SHORT, batch.off[i] + 12) == (short) 0x8100) {
                                    batch.off[i] = (int) Rewrite.popVlan(batch.data, batch.off[i]);
                                    batch.len[i] -= 4;
                                }
                            }
                            if (n > 0) offload.transmit(h.to(), 0, batch, which, n);
                            moved += n;
                        }
                        if (moved == 0) for (Hop h : hops) h.to().flushIdle(0);
                    }
                    if (moved == 0) Thread.onSpinWait();
                }
            });
        }

        long allocatedBytes() {
            return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getThreadAllocatedBytes(thread.threadId());
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5000);
        }
    }

    private void addresses(int ip, String ns, String dev, int host) {
        if (ip == 4) {
            lab.address(ns, dev, "10.96.0." + host + "/24");
        } else {
            lab.exec(ns, "sysctl", "-qw", "net.ipv6.conf." + dev + ".disable_ipv6=0");
            NetLab.ok("ip", "-n", ns, "addr", "add", "fd96::" + host + "/64", "dev", dev, "nodad");
            lab.up(ns, dev);
        }
    }

    @ParameterizedTest(name = "IPv{0}, veth transmit offloads {1}")
    @CsvSource({"4, on", "6, on", "4, off", "6, off"})
    void largeFramesFromATapLeaveAnAfPacketPortWholeAndArriveIntact(int ip, String vethOffloads, @TempDir Path dir) throws Exception {
        String ns1 = lab.netns(), ns2 = lab.netns();
        String tap = lab.name("xvt"), a2 = lab.name("xva"), b2 = lab.name("xvb");
        lab.own(tap);
        lab.veth(a2, b2);
        lab.move(b2, ns2);
        lab.up(ns2, b2);
        lab.up(null, a2);
        if (vethOffloads.equals("off")) assertEquals(0, lab.exec(null, "ethtool", "-K", a2, "tx", "off", "tso", "off", "gso", "off").rc());
        // ns2's stack checks every checksum that arrives complete (CHECKSUM_NONE instead of a veth's UNNECESSARY)
        assertEquals(0, lab.exec(ns2, "ethtool", "-K", b2, "rx", "off").rc());

        TapPort pt = pmd.own(new TapPort("pt", 1, tap, pmd.quiescence));
        AfPacketPort pa = pmd.own(new AfPacketPort("pa", 2, a2, pmd.quiescence));
        pt.start();
        pa.start();
        assertEquals("up", pt.status());
        assertEquals("up", pa.status());
        assertTrue(pt.details().get("offloads").startsWith("transmit CSUM TSO4 TSO6 ECN, receive CSUM TSO4 TSO6 ECN"), pt.details().toString());
        assertTrue(pa.details().get("offloads").startsWith("CSUM TSO4 TSO6 ECN"), pa.details().toString());
        lab.move(tap, ns1);
        addresses(ip, ns1, tap, 1);
        addresses(ip, ns2, b2, 2);
        String addr1 = ip == 4 ? "10.96.0.1" : "fd96::1", addr2 = ip == 4 ? "10.96.0.2" : "fd96::2";
        Random rnd = new Random(ip);
        try (Forwarder f = new Forwarder(Hop.of(pt, pa), Hop.of(pa, pt))) {
            byte[] warm = new byte[1 << 20];
            rnd.nextBytes(warm);
            assertArrayEquals(warm, lab.stream(ns1, ns2, addr2, 5001, warm, dir), "first stream intact\n" + pa.extraCounters());
            byte[] data = new byte[4 << 20];
            rnd.nextBytes(data);
            long before = f.allocatedBytes();
            byte[] got = lab.stream(ns1, ns2, addr2, 5002, data, dir);
            long allocated = f.allocatedBytes() - before;
            assertEquals(data.length, got.length, "bytes arrived\n" + pa.extraCounters());
            assertTrue(Arrays.equals(data, got), "stream tap -> afpacket intact");
            byte[] back = new byte[2 << 20];
            rnd.nextBytes(back);
            assertTrue(Arrays.equals(back, lab.stream(ns2, ns1, addr1, 5003, back, dir)), "stream afpacket -> tap intact");
            System.out.printf("UPLINK-OFFLOADS IPv%d veth %s: tap rx_gso_whole=%d, afpacket tx_gso_whole=%d tx_packets=%d, "
                            + "tx_gso_segmented=%d; %d bytes allocated while forwarding%n", ip, vethOffloads, pt.counters().get(RX_GSO_WHOLE),
                    pa.counters().get(TX_GSO_WHOLE), pa.counters().get(TX_PACKETS), pa.counters().get(TX_GSO_SEGMENTED), allocated);
            assertTrue(allocated < 1024 * 1024, allocated + " bytes allocated while forwarding");
        }
        assertTrue(pt.counters().get(RX_GSO_WHOLE) > 0, "the tap handed over the namespace's TSO frames whole");
        assertTrue(pa.counters().get(TX_GSO_WHOLE) > 0, "they left the afpacket port whole");
        assertEquals(0, pa.counters().get(TX_GSO_SEGMENTED), "xvio cut nothing for the afpacket port");
        assertEquals(0, pa.counters().get(TX_CSUM_COMPLETED), "xvio completed no checksum for the afpacket port");
        // the other way: the veth hands the afpacket port ns2's TSO frames, which go on whole to the tap
        assertTrue(pa.counters().get(RX_GSO_WHOLE) > 0, "the afpacket port passed ns2's TSO frames on whole");
        assertEquals(0, pa.counters().get(RX_GSO_FRAMES), "and cut none");
        assertTrue(pt.counters().get(TX_GSO_WHOLE) > 0, "they left the tap whole");
        assertEquals(0, pt.counters().get(TX_GSO_SEGMENTED), "xvio cut nothing for the tap");
        String tcp = "ns1 retransmitted " + lab.snmp(ns1, "Tcp", "RetransSegs") + ", ns2 " + lab.snmp(ns2, "Tcp", "RetransSegs");
        assertEquals(0, lab.snmp(ns2, "Tcp", "InCsumErrors"), tcp);
        assertEquals(0, lab.snmp(ns1, "Tcp", "InCsumErrors"), tcp);
        for (var e : pa.extraCounters().entrySet()) if (e.getKey().startsWith("tx_")) assertEquals(0L, e.getValue(), e.getKey() + " " + pa.extraCounters());
        for (var e : pt.extraCounters().entrySet()) assertEquals(0L, e.getValue(), e.getKey() + " " + pt.extraCounters());
    }

    @ParameterizedTest(name = "IPv{0}, veth transmit offloads {1}")
    @CsvSource({"4, on", "6, off"})
    void largeFramesKeepTheirOffloadsBehindAVlanTag(int ip, String vethOffloads, @TempDir Path dir) throws Exception {
        String ns1 = lab.netns(), ns2 = lab.netns();
        String tap = lab.name("xvt"), a2 = lab.name("xva"), b2 = lab.name("xvb"), a3 = lab.name("xva"), b3 = lab.name("xvb");
        lab.own(tap);
        pmd.vethUp(a2, b2);                          // the tagged link: afpacket pa on a2, afpacket pb on b2
        lab.veth(a3, b3);
        lab.move(b3, ns2);
        lab.up(ns2, b3);
        lab.up(null, a3);
        if (vethOffloads.equals("off")) assertEquals(0, lab.exec(null, "ethtool", "-K", a2, "tx", "off", "tso", "off", "gso", "off").rc());
        assertEquals(0, lab.exec(ns2, "ethtool", "-K", b3, "rx", "off").rc());
        TapPort pt = pmd.own(new TapPort("pt", 1, tap, pmd.quiescence));
        AfPacketPort pa = pmd.own(new AfPacketPort("pa", 2, a2, pmd.quiescence)), pb = pmd.own(new AfPacketPort("pb", 3, b2, pmd.quiescence));
        AfPacketPort pc = pmd.own(new AfPacketPort("pc", 4, a3, pmd.quiescence));
        for (Port p : List.of(pt, pa, pb, pc)) p.start();
        for (Port p : List.of(pt, pa, pb, pc)) assertEquals("up", p.status(), p.name());
        lab.move(tap, ns1);
        addresses(ip, ns1, tap, 1);
        addresses(ip, ns2, b3, 2);
        String addr1 = ip == 4 ? "10.96.0.1" : "fd96::1", addr2 = ip == 4 ? "10.96.0.2" : "fd96::2";
        Random rnd = new Random(ip + 10);
        try (Forwarder f = new Forwarder(new Hop(pt, pa, 100, false), new Hop(pb, pc, 0, true),
                new Hop(pc, pb, 100, false), new Hop(pa, pt, 0, true))) {
            byte[] data = new byte[4 << 20];
            rnd.nextBytes(data);
            assertTrue(Arrays.equals(data, lab.stream(ns1, ns2, addr2, 5011, data, dir)), "tap -> VLAN 100 -> namespace intact\n" + pa.extraCounters());
            byte[] back = new byte[1 << 20];
            rnd.nextBytes(back);
            assertTrue(Arrays.equals(back, lab.stream(ns2, ns1, addr1, 5012, back, dir)), "namespace -> VLAN 100 -> tap intact");
        }
        System.out.printf("UPLINK-OFFLOADS VLAN IPv%d veth %s: pa tx_gso_whole=%d, pb rx_gso_whole=%d rx_gso_frames=%d rx_packets=%d, pc tx_gso_whole=%d%n",
                ip, vethOffloads, pa.counters().get(TX_GSO_WHOLE), pb.counters().get(RX_GSO_WHOLE), pb.counters().get(RX_GSO_FRAMES),
                pb.counters().get(RX_PACKETS), pc.counters().get(TX_GSO_WHOLE));
        assertTrue(pa.counters().get(TX_GSO_WHOLE) > 0, "tagged large frames left pa whole");
        assertEquals(0, pa.counters().get(TX_GSO_SEGMENTED), "xvio cut nothing for pa");
        if (vethOffloads.equals("on")) {
            assertTrue(pb.counters().get(RX_GSO_WHOLE) > 0, "they crossed the veth whole, tag and all, and pb passed them on whole");
            assertTrue(pc.counters().get(TX_GSO_WHOLE) > 0, "untagged, they left pc whole");
        }
        assertEquals(0, lab.snmp(ns2, "Tcp", "InCsumErrors"));
        assertEquals(0, lab.snmp(ns1, "Tcp", "InCsumErrors"));
        for (Port p : List.of(pa, pb, pc))
            for (var e : p.extraCounters().entrySet()) if (!e.getKey().equals("rx_dropped(kernel ring full)")) assertEquals(0L, e.getValue(), p.name() + " " + e.getKey());
    }

    @org.junit.jupiter.api.Test
    void portKeyOffloadsFalseKeepsOffloadStateOffBothUplinks(@TempDir Path dir) throws Exception {
        String ns1 = lab.netns(), ns2 = lab.netns();
        String tap = lab.name("xvt"), a2 = lab.name("xva"), b2 = lab.name("xvb");
        lab.own(tap);
        lab.veth(a2, b2);
        lab.move(b2, ns2);
        lab.up(ns2, b2);
        lab.up(null, a2);
        assertEquals(0, lab.exec(ns2, "ethtool", "-K", b2, "rx", "off").rc());
        TapPort pt = pmd.own(new TapPort("pt", 1, tap, 0, false, pmd.quiescence));
        AfPacketPort pa = pmd.own(new AfPacketPort("pa", 2, a2, false, pmd.quiescence));
        pt.start();
        pa.start();
        assertEquals("up", pt.status());
        assertEquals("up", pa.status());
        assertTrue(pt.details().get("offloads").startsWith("off (port key offloads: false"), pt.details().toString());
        assertTrue(pa.details().get("offloads").startsWith("off (port key offloads: false"), pa.details().toString());
        assertEquals(0, pt.txOffloads());
        assertEquals(0, pa.txOffloads());
        lab.move(tap, ns1);
        addresses(4, ns1, tap, 1);
        addresses(4, ns2, b2, 2);
        Random rnd = new Random(99);
        try (Forwarder f = new Forwarder(Hop.of(pt, pa), Hop.of(pa, pt))) {
            byte[] data = new byte[2 << 20];
            rnd.nextBytes(data);
            assertTrue(Arrays.equals(data, lab.stream(ns1, ns2, "10.96.0.2", 5021, data, dir)), "tap -> afpacket intact");
            byte[] back = new byte[2 << 20];
            rnd.nextBytes(back);
            assertTrue(Arrays.equals(back, lab.stream(ns2, ns1, "10.96.0.1", 5022, back, dir)), "afpacket -> tap intact");
        }
        assertEquals(0, pt.counters().get(RX_GSO_WHOLE), "a plain tap hands over no GSO frames");
        assertEquals(0, pa.counters().get(TX_GSO_WHOLE), "nothing left the afpacket port whole");
        assertEquals(0, pa.counters().get(RX_GSO_WHOLE), "nothing entered by the afpacket port whole");
        assertTrue(pa.counters().get(RX_GSO_FRAMES) > 0, "the afpacket port cut ns2's TSO frames");
        assertEquals(0, lab.snmp(ns2, "Tcp", "InCsumErrors"));
        assertEquals(0, lab.snmp(ns1, "Tcp", "InCsumErrors"));
    }
}
