package io.xvio.sys;

import io.xvio.sys.NetlinkMessages.Address;
import io.xvio.sys.NetlinkMessages.Route;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Dumps and the monitor against the real kernel, in the test's own network namespace, read only: nothing is created or
 * changed (the loopback's addresses and local routes are what is looked for, when it is up).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RtnetlinkTest {
    static final byte[] LOOPBACK4 = {127, 0, 0, 1};
    static final int RT_TABLE_LOCAL = 255, RTN_LOCAL = 2;

    static Netdev.Info lo() {
        Netdev.Info lo = Netdev.query("lo");
        assumeTrue(lo != null && lo.up(), "the loopback is up");
        return lo;
    }

    static boolean loopback4(Address a, int ifindex) {
        return a.ifindex() == ifindex && a.family() == NetlinkMessages.AF_INET && Arrays.equals(LOOPBACK4, a.addr());
    }

    @Test
    void addressesHoldTheLoopbacks() {
        Netdev.Info lo = lo();
        List<Address> all = Rtnetlink.addresses();
        for (Address a : all) {
            assertTrue(a.family() == NetlinkMessages.AF_INET && a.addr().length == 4
                    || a.family() == NetlinkMessages.AF_INET6 && a.addr().length == 16, NetlinkMessagesTest.text(a));
            assertTrue(a.ifindex() > 0, NetlinkMessagesTest.text(a));
        }
        Address l = all.stream().filter(a -> loopback4(a, lo.ifindex())).findFirst().orElse(null);
        assumeTrue(l != null, "127.0.0.1 is on lo (" + all.stream().map(NetlinkMessagesTest::text).toList() + ")");
        assertEquals(8, l.prefixLen());
        assertEquals(NetlinkMessages.RT_SCOPE_HOST, l.scope());
        assertEquals(0, l.flags() & (NetlinkMessages.IFA_F_TENTATIVE | NetlinkMessages.IFA_F_DADFAILED));
    }

    @Test
    void addressesMatchProcForTheLoopbackIpv6() throws Exception {
        Netdev.Info lo = lo();
        Path p = Path.of("/proc/net/if_inet6");
        assumeTrue(Files.isReadable(p));
        List<String> procLo = Files.readAllLines(p).stream().map(String::trim).filter(s -> s.endsWith(" lo")).toList();
        List<Address> six = Rtnetlink.addresses().stream()
                .filter(a -> a.ifindex() == lo.ifindex() && a.family() == NetlinkMessages.AF_INET6).toList();
        assertEquals(procLo.size(), six.size(), procLo + " vs " + six.stream().map(NetlinkMessagesTest::text).toList());
        for (String line : procLo) {
            String[] f = line.split("\\s+");            // address ifindex(hex) prefixlen(hex) scope flags name
            assertTrue(six.stream().anyMatch(a -> NetlinkMessagesTest.hex(a.addr()).equals(f[0])
                    && a.ifindex() == Integer.parseInt(f[1], 16) && a.prefixLen() == Integer.parseInt(f[2], 16)), line);
        }
    }

    @Test
    void routesHoldTheLoopbacksLocalRoute() throws Exception {
        Netdev.Info lo = lo();
        List<Route> all = Rtnetlink.routes();
        for (Route r : all) {
            int w = r.family() == NetlinkMessages.AF_INET ? 4 : r.family() == NetlinkMessages.AF_INET6 ? 16 : -1;
            if (w < 0) continue;                                  // e.g. RTNL_FAMILY_IPMR: as it comes
            for (byte[] b : new byte[][] {r.dst(), r.gateway(), r.prefSrc()})
                if (b != null) assertEquals(w, b.length, NetlinkMessagesTest.text(r));
            assertTrue(r.dstLen() <= w * 8, NetlinkMessagesTest.text(r));
        }
        boolean has127 = Rtnetlink.addresses().stream().anyMatch(a -> loopback4(a, lo.ifindex()));
        assumeTrue(has127, "127.0.0.1 is on lo");
        Route local = all.stream().filter(r -> r.family() == NetlinkMessages.AF_INET && r.table() == RT_TABLE_LOCAL
                && r.dst() != null && Arrays.equals(LOOPBACK4, r.dst()) && r.dstLen() == 32).findFirst().orElse(null);
        assertNotNull(local, "local 127.0.0.1 dev lo table local: " + all.stream().map(NetlinkMessagesTest::text).toList());
        assertEquals(RTN_LOCAL, local.type());
        assertEquals(lo.ifindex(), local.oif());
        assertEquals(NetlinkMessages.RT_SCOPE_HOST, local.scope());
        assertArrayEquals(LOOPBACK4, local.prefSrc());
    }

    /** The main table's IPv4 routes as /proc/net/route lists them (no broadcast or multicast), "dst/len" in hex. */
    static Set<String> procMain4() throws Exception {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(Path.of("/proc/net/route")).stream().skip(1).toList()) {
            String[] f = line.trim().split("\\s+");        // Iface Destination Gateway Flags RefCnt Use Metric Mask ...
            int dst = (int) Long.parseLong(f[1], 16), mask = (int) Long.parseLong(f[7], 16);
            if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) dst = Integer.reverseBytes(dst);
            out.add(String.format("%08x/%d", dst, Integer.bitCount(mask)));
        }
        return out;
    }

    static Set<String> dumpMain4() {
        Set<String> out = new TreeSet<>();
        for (Route r : Rtnetlink.routes())
            if (r.family() == NetlinkMessages.AF_INET && r.table() == NetlinkMessages.RT_TABLE_MAIN && r.type() != 3 && r.type() != 5)
                out.add((r.dst() == null ? "00000000" : NetlinkMessagesTest.hex(r.dst())) + "/" + r.dstLen());
        return out;
    }

    @Test
    void mainTableMatchesProc() throws Exception {
        assumeTrue(Files.isReadable(Path.of("/proc/net/route")));
        Set<String> proc = null, dump = null;
        for (int i = 0; i < 3; i++) {                            // a route changed between the two reads: again
            proc = procMain4();
            dump = dumpMain4();
            if (proc.equals(dump)) break;
        }
        assertEquals(proc, dump);
    }

    @Test
    void dumpsOneAfterAnother() {
        Netdev.Info lo = lo();
        boolean has127 = Rtnetlink.addresses().stream().anyMatch(a -> loopback4(a, lo.ifindex()));
        for (int i = 0; i < 50; i++) {                           // each dump its own socket and sequence number
            assertEquals(has127, Rtnetlink.addresses().stream().anyMatch(a -> loopback4(a, lo.ifindex())));
            assertFalse(Rtnetlink.routes().isEmpty() && has127, "a loopback with 127.0.0.1 has its local routes");
        }
    }

    @Test
    void monitorQuietWhenNothingChangesAndClosesTwice() {
        Rtnetlink m = Rtnetlink.monitor();
        try {
            assertFalse(m.changed(), "no notification right after opening");
            assertFalse(m.changed(), "nor on the next look");
        } finally {
            m.close();
        }
        m.close();
        try (Rtnetlink n = Rtnetlink.monitor()) {
            assertFalse(n.changed());
            // a dump on another socket is not a change on this one
            Rtnetlink.addresses();
            Rtnetlink.routes();
            assertFalse(n.changed());
        }
    }

    @Test
    void loopbackAddressIsAnInetAddress() throws Exception {
        Netdev.Info lo = lo();
        Address l = Rtnetlink.addresses().stream().filter(a -> loopback4(a, lo.ifindex())).findFirst().orElse(null);
        assumeTrue(l != null);
        assertTrue(InetAddress.getByAddress(l.addr()).isLoopbackAddress());
    }
}
