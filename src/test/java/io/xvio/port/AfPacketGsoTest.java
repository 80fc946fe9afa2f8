package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.xvio.port.PortCounters.Counter.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * AF_PACKET ports and a sender with the Linux default offloads: TCP between two network namespaces, each behind a
 * veth whose other end is an {@code afpacket} port, the test thread forwarding between the two ports like a PMD.
 * The namespaces' TCP hands its veth 64 KB TSO/GSO frames; ports with {@code offloads: false} must cut them into
 * MTU-sized segments the other namespace accepts (its stack checks every checksum), so the stream arrives intact.
 * (With offloads on, the default, plain TCP GSO frames go on whole: {@link UplinkOffloadsTest}.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@EnabledIf("io.xvio.testing.NetLab#available")
class AfPacketGsoTest {
    private final PmdStandIn pmd = new PmdStandIn();
    private final NetLab lab = pmd.net;

    @AfterEach
    void cleanUp() throws Exception { pmd.close(); }

    /** Forwards everything port x receives to y and back until closed; the forwarding thread's id for allocation checks. */
    private final class Forwarder implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;

        Forwarder(Port x, Port y) {
            PacketBatch batch = new PacketBatch();
            int[] which = new int[PacketBatch.BURST];
            for (int i = 0; i < which.length; i++) which[i] = i;
            thread = Thread.ofPlatform().daemon().name("forwarder").start(() -> {
                while (!stop) {
                    int moved = 0;
                    synchronized (pmd.lock) {
                        int n = x.receive(0, batch, 0);
                        if (n > 0) y.transmit(0, batch, which, n);
                        moved += n;
                        n = y.receive(0, batch, 0);
                        if (n > 0) x.transmit(0, batch, which, n);
                        moved += n;
                        if (moved == 0) { x.flushIdle(0); y.flushIdle(0); }
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

    @ParameterizedTest(name = "IPv{0}")
    @ValueSource(ints = {4, 6})
    void tcpWithOffloadsOnCrossesTwoAfPacketPortsAsMtuSizedSegments(int ip, @TempDir Path dir) throws Exception {
        String ns1 = lab.netns(), ns2 = lab.netns();
        String a1 = lab.name("xva"), b1 = lab.name("xvb"), a2 = lab.name("xva"), b2 = lab.name("xvb");
        lab.veth(a1, b1);
        lab.veth(a2, b2);
        lab.move(b1, ns1);
        lab.move(b2, ns2);
        String addr2;
        if (ip == 4) {
            lab.address(ns1, b1, "10.94.0.1/24");
            lab.address(ns2, b2, "10.94.0.2/24");
            addr2 = "10.94.0.2";
        } else {
            // IPv6 back on for the namespaces' ends only (the ports' ends stay quiet), no duplicate address detection
            lab.exec(ns1, "sysctl", "-qw", "net.ipv6.conf." + b1 + ".disable_ipv6=0");
            lab.exec(ns2, "sysctl", "-qw", "net.ipv6.conf." + b2 + ".disable_ipv6=0");
            NetLab.ok("ip", "-n", ns1, "addr", "add", "fd94::1/64", "dev", b1, "nodad");
            NetLab.ok("ip", "-n", ns2, "addr", "add", "fd94::2/64", "dev", b2, "nodad");
            lab.up(ns1, b1);
            lab.up(ns2, b2);
            addr2 = "fd94::2";
        }
        lab.up(null, a1);
        lab.up(null, a2);
        String offloads = lab.exec(ns1, "ethtool", "-k", b1).output();
        assertTrue(offloads.contains("tcp-segmentation-offload: on"), "the Linux default: TSO on\n" + offloads);
        // a veth trusts the checksums of what a packet socket sends it (CHECKSUM_UNNECESSARY) unless its receive
        // checksumming is off: off here, so the namespaces' stacks check every checksum the ports wrote
        assertEquals(0, lab.exec(ns1, "ethtool", "-K", b1, "rx", "off").rc());
        assertEquals(0, lab.exec(ns2, "ethtool", "-K", b2, "rx", "off").rc());

        // offloads: false: every GSO frame is cut on receive (with offloads on, plain TCP ones go on whole:
        // UplinkOffloadsTest)
        AfPacketPort pa = pmd.own(new AfPacketPort("pa", 1, a1, false, pmd.quiescence)), pb = pmd.own(new AfPacketPort("pb", 2, a2, false, pmd.quiescence));
        pa.start();
        pb.start();
        assertEquals("up", pa.status());
        assertEquals("up", pb.status());
        Random rnd = new Random(ip);
        try (Forwarder f = new Forwarder(pa, pb)) {
            byte[] warm = new byte[1 << 20];
            rnd.nextBytes(warm);
            assertArrayEquals(warm, lab.stream(ns1, ns2, addr2, 5001, warm, dir), "first stream intact\n" + pa.extraCounters());
            long gso = pa.counters().get(RX_GSO_FRAMES);
            assertTrue(gso > 0, "the sender's TCP handed over GSO frames, cut by the port");
            // again, the paths compiled: the forwarding thread allocates nothing per frame
            byte[] data = new byte[4 << 20];
            rnd.nextBytes(data);
            long segments = pa.counters().get(RX_PACKETS), before = f.allocatedBytes();
            byte[] got = lab.stream(ns1, ns2, addr2, 5002, data, dir);
            long allocated = f.allocatedBytes() - before;
            segments = pa.counters().get(RX_PACKETS) - segments;
            assertEquals(data.length, got.length, "bytes arrived\n" + pa.extraCounters());
            assertTrue(Arrays.equals(data, got), "second stream intact");
            assertTrue(pa.counters().get(RX_GSO_FRAMES) > gso);
            assertTrue(segments > data.length / 1500, segments + " frames received");
            System.out.printf("AFPACKET-GSO IPv%d: 4 MiB as %d segments from %d GSO frames; %d bytes allocated while forwarding%n",
                    ip, segments, pa.counters().get(RX_GSO_FRAMES) - gso, allocated);
            assertTrue(allocated < 1024 * 1024, allocated + " bytes allocated while forwarding " + segments + " frames");
        }
        // every segment the ports wrote passed the namespaces' checksum checks (TCP retransmits what fails, so the
        // streams alone would not tell)
        String tcp = "ns1 retransmitted " + lab.snmp(ns1, "Tcp", "RetransSegs") + " segments";
        assertEquals(0, lab.snmp(ns2, "Tcp", "InCsumErrors"), tcp);
        assertEquals(0, lab.snmp(ns1, "Tcp", "InCsumErrors"), tcp);
        if (ip == 4) assertEquals(0, lab.snmp(ns2, "Ip", "InHdrErrors"), tcp);
        for (var e : pa.extraCounters().entrySet())
            if (e.getKey().startsWith("rx_dropped(gso") || e.getKey().equals("rx_dropped(frame too big)"))
                assertEquals(0L, e.getValue(), e.getKey() + " " + pa.extraCounters());
        assertTrue(pa.details().get("rx_ring").contains("128 KiB"), pa.details().toString());
    }
}
