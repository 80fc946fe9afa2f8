package io.xvio.sys;

import io.xvio.sys.NetlinkMessages.Address;
import io.xvio.sys.NetlinkMessages.NetlinkException;
import io.xvio.sys.NetlinkMessages.Route;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.xvio.sys.NetlinkMessages.*;
import static io.xvio.sys.NetlinkMessagesTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The rtnetlink codec's promises: whatever bytes arrive (random, a valid reply with bytes changed, a valid reply cut
 * short), {@link NetlinkMessages#parseDump} returns or throws {@link NetlinkException}, never another exception, and
 * {@link NetlinkMessages#anyChange} never throws; and a dump of any addresses and routes, encoded in any of the ways
 * the kernel may (attribute order, ignored attributes, 32-bit flags and table attributes, other sequence numbers in
 * between, split over several replies), reads back as written.
 */
class NetlinkMessagesProperties {
    static final int SEQ = 77;

    @Provide
    Arbitrary<Address> address() {
        return Arbitraries.of(AF_INET, AF_INET6).flatMap(f -> {
            int w = f == AF_INET ? 4 : 16;
            return Combinators.combine(Arbitraries.integers(), Arbitraries.bytes().array(byte[].class).ofSize(w),
                    Arbitraries.integers().between(0, w * 8), Arbitraries.integers().between(0, 255),
                    Arbitraries.oneOf(Arbitraries.integers().between(0, 255), Arbitraries.integers()))
                    .as((ifindex, a, len, scope, flags) -> new Address(ifindex, f, a, len, scope, flags));
        });
    }

    @Provide
    Arbitrary<Route> route() {
        return Arbitraries.of(AF_INET, AF_INET6).flatMap(f -> {
            int w = f == AF_INET ? 4 : 16;
            Arbitrary<byte[]> maybe = Arbitraries.bytes().array(byte[].class).ofSize(w).injectNull(0.3);
            Arbitrary<int[]> nums = Combinators.combine(Arbitraries.integers().between(0, w * 8),
                    Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers()),
                    Arbitraries.oneOf(Arbitraries.integers().between(0, 255), Arbitraries.integers()),
                    Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 255), Arbitraries.integers().between(0, 255))
                    .as((dstLen, oif, table, type, proto, scope) -> new int[] {dstLen, oif, table, type, proto, scope});
            return Combinators.combine(maybe, maybe, maybe, nums)
                    .as((dst, gw, src, n) -> new Route(f, dst, n[0], gw, n[1], n[2], n[3], n[4], n[5], src));
        });
    }

    @Provide
    Arbitrary<List<Address>> addressList() { return address().list().ofMaxSize(12); }

    @Provide
    Arbitrary<List<Route>> routeList() { return route().list().ofMaxSize(12); }

    /** Attributes in a random order, with ignored ones among them. */
    static byte[] attrs(List<byte[]> as, Random r) {
        List<byte[]> l = new ArrayList<>(as);
        int extra = r.nextInt(3);
        for (int i = 0; i < extra; i++) {
            byte[] v = new byte[r.nextInt(21)];
            r.nextBytes(v);
            l.add(attr(3 + 100 * r.nextInt(2), v));          // IFA_LABEL / RTA_IIF are not read; 103 is unknown
        }
        java.util.Collections.shuffle(l, r);
        return concat(l.toArray(byte[][]::new));
    }

    static byte[] encode(Address a, Random r, int seq) {
        List<byte[]> as = new ArrayList<>();
        int flagsByte = a.flags() & 0xff;
        if ((a.flags() & ~0xff) != 0 || r.nextBoolean()) {
            as.add(attr(IFA_FLAGS, u32(a.flags())));
            if (r.nextBoolean()) flagsByte = r.nextInt(256);   // IFA_FLAGS wins whatever the byte says
        }
        if (a.family() == AF_INET && r.nextBoolean()) {
            byte[] peer = new byte[4];
            r.nextBytes(peer);
            as.add(attr(IFA_ADDRESS, peer));                   // point-to-point: IFA_LOCAL is ours
            as.add(attr(IFA_LOCAL, a.addr()));
        } else {
            as.add(attr(a.family() == AF_INET && r.nextBoolean() ? IFA_LOCAL : IFA_ADDRESS, a.addr()));
        }
        return msg(RTM_NEWADDR, seq, ifaddrmsg(a.family(), a.prefixLen(), flagsByte, a.scope(), a.ifindex()), attrs(as, r));
    }

    static byte[] encode(Route x, Random r, int seq) {
        List<byte[]> as = new ArrayList<>();
        if (x.dst() != null) as.add(attr(RTA_DST, x.dst()));
        if (x.prefSrc() != null) as.add(attr(RTA_PREFSRC, x.prefSrc()));
        if (r.nextInt(3) == 0) {
            // a multipath route whose first next hop is this route's gateway and interface, then another one
            byte[] other = new byte[x.family() == AF_INET ? 4 : 16];
            r.nextBytes(other);
            as.add(attr(RTA_MULTIPATH, concat(x.gateway() == null ? nexthop(x.oif()) : nexthop(x.oif(), attr(RTA_GATEWAY, x.gateway())),
                    nexthop(1 + r.nextInt(100), attr(RTA_GATEWAY, other)))));
        } else {
            if (x.gateway() != null) as.add(attr(RTA_GATEWAY, x.gateway()));
            if (x.oif() != 0 || r.nextBoolean()) as.add(attr(RTA_OIF, u32(x.oif())));
        }
        int tableByte = x.table();
        if (x.table() < 0 || x.table() > 255 || r.nextBoolean()) {
            as.add(attr(RTA_TABLE, u32(x.table())));
            tableByte = x.table() >= 0 && x.table() <= 255 ? x.table() : 252;   // RT_TABLE_COMPAT
        }
        as.add(attr(RTA_PRIORITY, u32(r.nextInt())));
        return msg(RTM_NEWROUTE, seq, rtmsg(x.family(), x.dstLen(), tableByte, x.protocol(), x.scope(), x.type()), attrs(as, r));
    }

    /** Messages of other sequence numbers (notifications, another dump's replies): never read. */
    static byte[] noise(Random r, int seq) {
        byte[] body = new byte[r.nextInt(40)];
        r.nextBytes(body);
        int other = seq + 1 + r.nextInt(1000);
        int[] types = {NLMSG_NOOP, NLMSG_ERROR, NLMSG_DONE, RTM_NEWADDR, RTM_NEWROUTE, RTM_DELADDR, RTM_NEWLINK};
        int type = types[r.nextInt(types.length)];
        return type == NLMSG_NOOP && r.nextBoolean() ? msg(NLMSG_NOOP, 0, seq, new byte[0]) : msg(type, 0, other, body);
    }

    /** The dump's messages in a random interleaving (each list's own order kept), noise among them, DONE last. */
    static List<byte[]> dump(List<Address> as, List<Route> rs, Random r, int seq) {
        List<byte[]> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < as.size() || j < rs.size()) {
            if (r.nextInt(5) == 0) out.add(noise(r, seq));
            if (j >= rs.size() || i < as.size() && r.nextBoolean()) out.add(encode(as.get(i++), r, seq));
            else out.add(encode(rs.get(j++), r, seq));
        }
        out.add(done(seq));
        return out;
    }

    @Property(tries = 500)
    void aDumpReadsBackAsWritten(@ForAll("addressList") List<Address> as, @ForAll("routeList") List<Route> rs, @ForAll long seed) {
        Random r = new Random(seed);
        List<byte[]> messages = dump(as, rs, r, SEQ);
        List<Address> gotA = new ArrayList<>();
        List<Route> gotR = new ArrayList<>();
        // split into replies at message boundaries, each in a buffer larger than it (garbage after len)
        int k = 0;
        while (k < messages.size()) {
            int n = 1 + r.nextInt(Math.min(6, messages.size() - k));
            byte[] reply = concat(messages.subList(k, k + n).toArray(byte[][]::new));
            k += n;
            byte[] b = Arrays.copyOf(reply, reply.length + r.nextInt(64));
            for (int i = reply.length; i < b.length; i++) b[i] = (byte) r.nextInt();
            boolean done = parseDump(b, reply.length, SEQ, gotA, gotR);
            assertEquals(k == messages.size(), done, "NLMSG_DONE, and only it, ends the dump");
        }
        assertEquals(as.stream().map(NetlinkMessagesTest::text).toList(), gotA.stream().map(NetlinkMessagesTest::text).toList());
        assertEquals(rs.stream().map(NetlinkMessagesTest::text).toList(), gotR.stream().map(NetlinkMessagesTest::text).toList());
    }

    /** parseDump and anyChange on buf[0..len): fine or a NetlinkException, nothing else. */
    static void neverAnotherException(byte[] buf, int len, int seq) {
        List<Address> as = new ArrayList<>();
        List<Route> rs = new ArrayList<>();
        try {
            parseDump(buf, len, seq, as, rs);
        } catch (NetlinkException e) {
            assertNotNull(e.getMessage());
        }
        for (Address a : as) assertTrue(a.addr() != null && a.prefixLen() <= a.addr().length * 8, NetlinkMessagesTest.text(a));
        NetlinkMessages.anyChange(buf, len);
    }

    @Property(tries = 2000)
    void randomBytes(@ForAll @Size(max = 400) byte[] b, @ForAll boolean shaped, @ForAll int seq) {
        if (shaped) {
            // plausible headers over random bodies: lengths that fit, the dump's sequence number, types that are read
            ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.nativeOrder());
            int[] types = {NLMSG_ERROR, NLMSG_DONE, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWADDR, RTM_NEWROUTE};
            for (int at = 0; at + 16 <= b.length; ) {
                int len = Math.min(b.length - at, 16 + (b[at + 1] & 0x3f) * (1 + (b[at + 2] & 3)));
                h.putInt(at, len).putShort(at + 4, (short) types[(b[at + 3] & 0xff) % types.length]).putInt(at + 8, seq);
                at += NetlinkMessages.align(len);
            }
        }
        neverAnotherException(b, b.length, seq);
    }

    @Property(tries = 1000)
    void changedOrCutShortValidDumps(@ForAll("addressList") List<Address> as, @ForAll("routeList") List<Route> rs, @ForAll long seed,
                                     @ForAll @IntRange(min = 0, max = 12) int changes, @ForAll boolean cut) {
        Random r = new Random(seed);
        byte[] b = concat(dump(as, rs, r, SEQ).toArray(byte[][]::new));
        for (int i = 0; i < changes && b.length > 0; i++) {
            int at = r.nextInt(b.length);
            switch (r.nextInt(4)) {
                case 0 -> b[at] = (byte) r.nextInt();                       // any byte
                case 1 -> b[at] ^= (byte) (1 << r.nextInt(8));              // one bit
                case 2 -> b[at] = (byte) (r.nextBoolean() ? 0 : 0xff);      // lengths 0 and huge
                default -> b[at] = (byte) (b[at] + (r.nextBoolean() ? 1 : -1));   // off by one
            }
        }
        int len = cut ? r.nextInt(b.length + 1) : b.length;
        neverAnotherException(b, len, SEQ);
        neverAnotherException(Arrays.copyOf(b, len), len, SEQ);
    }

    @Property(tries = 300)
    void lengthsOutsideTheBuffer(@ForAll @Size(max = 64) byte[] b, @ForAll int len) {
        try {
            parseDump(b, len, SEQ, new ArrayList<>(), new ArrayList<>());
            assertTrue(len >= 0 && len <= b.length, "len " + len + " of a " + b.length + "-byte buffer was accepted");
        } catch (NetlinkException e) {
            // fine
        }
        NetlinkMessages.anyChange(b, len);
    }
}
