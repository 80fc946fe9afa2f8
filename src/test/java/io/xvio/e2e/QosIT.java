package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * QoS with real traffic: two network namespaces behind afpacket ports of one xvio bridge (one daemon for every
 * case), the kernel's TCP and UDP on both ends. A kbps meter from the YAML file holds vm1's TCP stream to
 * 10 Mbit/s +-10 % (measured on the wire by meter-stats, and as the receiver's goodput); a pktps meter added at run
 * time passes its burst and rate of a UDP blast and drops the rest, every packet counted in meter-stats; ingress
 * policing and the egress policer (set-port) drop what exceeds them, counted in the ports' stats. ~20 s.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.QosIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QosIT {
    private final NetLab lab = new NetLab();
    private final String[] ns = new String[3], peer = new String[3];
    private Path dir;
    private XvioDaemon xvio;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && QemuGuest.onPath("python3");
    }

    static String ip(int i) { return "10.95.0." + i; }

    static final String BASE_FLOWS = "[\"priority=10,in_port=1,actions=meter:1,output:2\", \"priority=10,in_port=2,actions=output:1\"]";

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("xvio-qos");
        StringBuilder ports = new StringBuilder();
        for (int i = 1; i <= 2; i++) {
            ns[i] = lab.netns();
            String root = lab.name("xqa");
            peer[i] = lab.name("xqb");
            lab.veth(root, peer[i]);
            lab.move(peer[i], ns[i]);
            lab.address(ns[i], peer[i], ip(i) + "/24");
            NetLab.ok("ip", "netns", "exec", ns[i], "ethtool", "-K", peer[i], "tx", "off");   // MTU-sized frames, real checksums
            lab.quietIpv6(ns[i], peer[i]);
            lab.up(null, root);
            ports.append("      vm").append(i).append(": {type: afpacket, device: ").append(root).append(", ofport: ").append(i).append("}\n");
        }
        // 10 Mbit/s with an 8000 kbit bucket: OVS's advice for TCP through a policer (a burst of at least 80 % of the
        // rate). With 1000 kbit the stream collapsed here (0.35 Mbit/s goodput: whole windows dropped, retransmission
        // timeouts); a bucket that deep can move a 4 s measurement by up to 2 Mbit/s, but a stream that keeps
        // pushing keeps it near empty (seen: 10.04 Mbit/s)
        xvio = XvioDaemon.start(dir, "pmd-idle: adaptive\nbridges:\n  br0:\n    ports:\n" + ports
                + "    meters: [\"meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=8000\"]\n"
                + "    flows: " + BASE_FLOWS + "\n");
        for (int i = 1; i <= 2; i++) UplinkPortsIT.awaitStatus(xvio, "vm" + i, "up", Duration.ofSeconds(10));
        // neighbours known up front: no ARP through the meters
        String mac2 = lab.exec(ns[2], "cat", "/sys/class/net/" + peer[2] + "/address").output().strip();
        String mac1 = lab.exec(ns[1], "cat", "/sys/class/net/" + peer[1] + "/address").output().strip();
        NetLab.ok("ip", "-n", ns[1], "neigh", "replace", ip(2), "lladdr", mac2, "dev", peer[1], "nud", "permanent");
        NetLab.ok("ip", "-n", ns[2], "neigh", "replace", ip(1), "lladdr", mac1, "dev", peer[2], "nud", "permanent");
    }

    @AfterAll
    void stop() throws Exception {
        if (xvio != null) xvio.close();
        lab.close();
        if (dir != null) try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** {packet_in_count, byte_in_count, band 0 packet_count, band 0 byte_count} of a meter, from meter-stats. */
    private long[] meterStats(int id) throws Exception {
        String s = xvio.call("meter-stats", "br0", "meter=" + id);
        Matcher m = Pattern.compile("meter:" + id + " flow_count:\\d+ packet_in_count:(\\d+) byte_in_count:(\\d+) duration:\\S+ bands:\n"
                + "0: packet_count:(\\d+) byte_count:(\\d+)").matcher(s);
        assertTrue(m.find(), "meter-stats:\n" + s);
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), Long.parseLong(m.group(4))};
    }

    /** Waits until a file has the line "ready" (a server announcing it listens). */
    private static void awaitReady(Path out) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (Files.exists(out) && Files.readString(out).contains("ready")) return;
            Thread.sleep(25);
        }
        fail("server did not start: " + (Files.exists(out) ? Files.readString(out) : "(no output)"));
    }

    static final String TCP_RECEIVER = """
            import socket, sys, time
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((sys.argv[1], 5201)); s.listen(1); print("ready", flush=True)
            c, _ = s.accept(); first = None; win = 0; total = 0
            lo, hi = float(sys.argv[2]), float(sys.argv[3])
            while True:
                b = c.recv(65536)
                if not b: break
                now = time.monotonic()
                if first is None: first = now
                total += len(b)
                if lo <= now - first < hi: win += len(b)
            print("window_bytes=%d total=%d" % (win, total), flush=True)
            """;

    static final String TCP_SENDER = """
            import socket, sys, time
            c = socket.create_connection((sys.argv[1], 5201), timeout=10)
            buf = b"x" * 65536; end = time.monotonic() + float(sys.argv[2])
            while time.monotonic() < end: c.sendall(buf)
            c.close()
            """;

    @Test
    void aKbpsMeterHoldsATcpStreamToItsRate() throws Exception {
        Path rxOut = dir.resolve("tcp-rx.txt");
        Process rx = lab.spawn(ns[2], rxOut, "python3", "-c", TCP_RECEIVER, ip(2), "1.5", "5.5");
        awaitReady(rxOut);
        Process tx = lab.spawn(ns[1], dir.resolve("tcp-tx.txt"), "python3", "-c", TCP_SENDER, ip(2), "6");
        Thread.sleep(1500);                                   // past slow start and the first bucketful
        long[] a = meterStats(1);
        long t1 = System.nanoTime();
        Thread.sleep(4000);
        long[] b = meterStats(1);
        long t2 = System.nanoTime();
        assertTrue(tx.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "the sender finishes");
        assertTrue(rx.waitFor(10, java.util.concurrent.TimeUnit.SECONDS), "the receiver sees the end");
        double seconds = (t2 - t1) / 1e9;
        long passedBytes = (b[1] - b[3]) - (a[1] - a[3]);
        double wireMbps = passedBytes * 8 / seconds / 1e6;
        Matcher m = Pattern.compile("window_bytes=(\\d+) total=(\\d+)").matcher(Files.readString(rxOut));
        assertTrue(m.find(), "receiver: " + Files.readString(rxOut));
        double goodputMbps = Long.parseLong(m.group(1)) * 8 / 4.0 / 1e6;
        System.out.printf("QosIT: meter 10 Mbit/s: %.2f Mbit/s through the meter (meter-stats), %.2f Mbit/s TCP goodput, "
                + "%d of %d packets dropped by the band%n", wireMbps, goodputMbps, b[2], b[0]);
        assertTrue(b[2] > 0, "the band dropped packets (TCP pushes past the rate)");
        assertEquals(10.0, wireMbps, 1.0, "frames through the meter: 10 Mbit/s +-10 %");
        // the goodput is the wire rate less Ethernet/IP/TCP headers (1448 of 1514 bytes: 9.56 Mbit/s in the long run;
        // over 4 s the bucket's level moves it, 9.5-9.9 seen)
        assertTrue(goodputMbps > 8.0 && goodputMbps <= 11.0, "TCP goodput " + goodputMbps + " Mbit/s");
    }

    static final String UDP_RECEIVER = """
            import socket, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], int(sys.argv[2])))
            s.settimeout(1.5); print("ready", flush=True); n = 0
            try:
                while True: s.recv(2048); n += 1
            except socket.timeout: pass
            print("received=%d" % n, flush=True)
            """;

    static final String UDP_SENDER = """
            import socket, sys, time
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); n = int(sys.argv[3]); p = b"y" * int(sys.argv[4])
            t = time.monotonic()
            for _ in range(n): s.sendto(p, (sys.argv[1], int(sys.argv[2])))
            print("seconds=%.3f" % (time.monotonic() - t), flush=True)
            """;

    /** Sends n datagrams of size bytes from vm1 to vm2's port; returns {received, sending seconds * 1000}. */
    private long[] udpBlast(int port, int n, int size) throws Exception {
        Path rxOut = dir.resolve("udp-rx-" + port + ".txt");
        Process rx = lab.spawn(ns[2], rxOut, "python3", "-c", UDP_RECEIVER, ip(2), Integer.toString(port));
        awaitReady(rxOut);
        NetLab.Result tx = lab.exec(ns[1], "python3", "-c", UDP_SENDER, ip(2), Integer.toString(port), Integer.toString(n), Integer.toString(size));
        assertEquals(0, tx.rc(), tx.output());
        assertTrue(rx.waitFor(15, java.util.concurrent.TimeUnit.SECONDS));
        Matcher r = Pattern.compile("received=(\\d+)").matcher(Files.readString(rxOut));
        Matcher s = Pattern.compile("seconds=([0-9.]+)").matcher(tx.output());
        assertTrue(r.find() && s.find(), Files.readString(rxOut) + tx.output());
        return new long[] {Long.parseLong(r.group(1)), Math.round(Double.parseDouble(s.group(1)) * 1000)};
    }

    @Test
    void aPacketMeterPassesItsRateAndDropsTheRestCountedInMeterStats() throws Exception {
        ControlError missing = assertThrows(ControlError.class,
                () -> call("add-flow", "br0", "priority=20,udp,in_port=1,tp_dst=9999,actions=meter:2,output:2"));
        assertTrue(missing.getMessage().contains("OFPMMFC_INVALID_METER"), missing.getMessage());
        xvio.call("add-meter", "br0", "meter=2,pktps,burst,stats,bands=type=drop,rate=200,burst_size=20");
        assertEquals("meter=2 pktps burst stats bands=\ntype=drop rate=200 burst_size=20\n", xvio.call("dump-meters", "br0", "meter=2"));
        xvio.call("add-flow", "br0", "priority=20,udp,in_port=1,tp_dst=9999,actions=meter:2,output:2");
        long[] before = meterStats(2);
        long[] got = udpBlast(9999, 3000, 64);
        long[] after = meterStats(2);
        long in = after[0] - before[0], dropped = after[2] - before[2];
        System.out.printf("QosIT: meter 200 pktps: %d of %d datagrams passed in %d ms, %d dropped by the band%n",
                got[0], in, got[1], dropped);
        assertEquals(3000, in, "every datagram met the meter (cached translations too)");
        assertEquals(in - dropped, got[0], "what the band did not drop arrived");
        long most = 20 + 200 * (got[1] + 300) / 1000;         // the burst plus the rate while sending (and a margin)
        assertTrue(got[0] >= 20 && got[0] <= most, got[0] + " passed; expected 20.." + most);
        assertTrue(dropped >= 3000 - most, "the rest was dropped");
        java.util.regex.Matcher pmd = java.util.regex.Pattern.compile("br0 dropped:.*meter band=(\\d+)").matcher(xvio.call("pmd-stats"));
        assertTrue(pmd.find() && Long.parseLong(pmd.group(1)) >= dropped, "pmd-stats counts the band's drops per thread");
        // del-meters takes the flows naming the meter with it (as OVS)
        xvio.call("del-meters", "br0", "meter=2");
        assertFalse(xvio.call("dump-flows", "br0").contains("meter:2"));
        assertFalse(xvio.call("dump-meters", "br0").contains("meter=2"));
        java.io.IOException gone = assertThrows(java.io.IOException.class, () -> xvio.call("dump-meters", "br0", "meter=2"));
        assertTrue(gone.getMessage().contains("meter 2 does not exist"), "as OVS's OFPMMFC_UNKNOWN_METER: " + gone.getMessage());
    }

    @Test
    void portPolicersDropWhatExceedsThemCountedInTheStats() throws Exception {
        // these datagrams bypass meter 1: only the policers limit them
        xvio.call("add-flow", "br0", "priority=30,udp,in_port=1,actions=output:2");
        // ingress on vm1: 800 kbps (100 kB/s), 80 kb (10 kB) of burst; 1000-byte datagrams are 1028 bytes policed
        xvio.call("set-port", "br0", "vm1", "ingress-policing-rate=800", "ingress-policing-burst=80");
        long drop0 = xvio.counter("vm1", "rx_dropped(policing)");
        long[] got = udpBlast(9998, 2000, 1000);
        long dropped = xvio.counter("vm1", "rx_dropped(policing)") - drop0;
        long most = 10 + 100 * (got[1] + 300) / 1000;
        System.out.printf("QosIT: ingress policing 800 kbps: %d of 2000 passed in %d ms, %d dropped%n", got[0], got[1], dropped);
        assertTrue(got[0] >= 9 && got[0] <= most, got[0] + " passed; expected 9.." + most);
        assertTrue(dropped >= 2000 - most, dropped + " counted as dropped by policing");
        xvio.call("set-port", "br0", "vm1", "ingress-policing-rate=0");

        // egress on vm2 (frames leaving xvio towards vm2): 100,000 bytes/s, 10,000 bytes of burst
        xvio.call("set-port", "br0", "vm2", "egress-policer=cir:100000,cbs:10000");
        long tx0 = xvio.counter("vm2", "tx_dropped(policing)");
        got = udpBlast(9997, 2000, 1000);
        long txDropped = xvio.counter("vm2", "tx_dropped(policing)") - tx0;
        System.out.printf("QosIT: egress policer 100000 B/s: %d of 2000 passed in %d ms, %d dropped%n", got[0], got[1], txDropped);
        assertTrue(got[0] >= 9 && got[0] <= most, got[0] + " passed; expected 9.." + most);
        assertTrue(txDropped >= 2000 - most, txDropped + " counted as dropped by the egress policer");
        xvio.call("set-port", "br0", "vm2", "egress-policer=cir:0");
        assertTrue(xvio.call("stats").contains("tx_dropped(policing)="), "stats shows the drops");
        xvio.call("del-flows", "br0", "--strict", "priority=30,udp,in_port=1");
    }

    static final class ControlError extends Exception {
        ControlError(String m) { super(m); }
    }

    private String call(String... args) throws ControlError {
        try {
            return xvio.call(args);
        } catch (java.io.IOException e) {
            throw new ControlError(e.getMessage());
        }
    }
}
