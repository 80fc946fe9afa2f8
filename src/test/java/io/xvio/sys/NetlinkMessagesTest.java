package io.xvio.sys;

import io.xvio.sys.NetlinkMessages.Address;
import io.xvio.sys.NetlinkMessages.NetlinkException;
import io.xvio.sys.NetlinkMessages.Route;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static io.xvio.sys.NetlinkMessages.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * The rtnetlink codec on hand-built replies (native byte order, every message and attribute padded to 4 bytes, as the
 * kernel writes them): addresses, routes, the end of a dump, other sequence numbers, the kernel's errors, and every
 * kind of malformed input, which must be a {@link NetlinkException} and nothing else.
 */
class NetlinkMessagesTest {
    static final int SEQ = 0x1234_5678, IFA_LABEL = 3, IFA_CACHEINFO = 6, RTA_PRIORITY = 6, IFA_F_PERMANENT = 0x80,
            IFA_F_NOPREFIXROUTE = 0x200, RTPROT_KERNEL = 2, RTPROT_BOOT = 3, RTN_LOCAL = 2, NLA_F_NESTED = 0x8000;

    // ---- builders (shared with NetlinkMessagesProperties) ----

    static ByteBuffer buf(int n) { return ByteBuffer.allocate(n).order(ByteOrder.nativeOrder()); }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    /** An rtattr: length (4 + value, unpadded), type, the value, zero padding to 4. */
    static byte[] attr(int type, byte[] value) {
        ByteBuffer b = buf(align(RTATTR + value.length));
        b.putShort((short) (RTATTR + value.length)).putShort((short) type).put(value);
        return b.array();
    }

    static byte[] u32(int v) { return buf(4).putInt(v).array(); }

    static byte[] ip(String s) {
        try {
            return java.net.InetAddress.getByName(s).getAddress();
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** A netlink message: nlmsghdr (length = 16 + body, type, flags, seq, pid), the body, zero padding to 4. */
    static byte[] msg(int type, int flags, int seq, byte[] body) {
        ByteBuffer b = buf(align(NLMSG_HDRLEN + body.length));
        b.putInt(NLMSG_HDRLEN + body.length).putShort((short) type).putShort((short) flags).putInt(seq).putInt(4321).put(body);
        return b.array();
    }

    static byte[] msg(int type, int seq, byte[]... body) { return msg(type, NLM_F_MULTI, seq, concat(body)); }

    static byte[] done(int seq) { return msg(NLMSG_DONE, NLM_F_MULTI, seq, u32(0)); }

    /** An NLMSG_ERROR: the (negative) error, then the request's header, as the kernel echoes it. */
    static byte[] error(int seq, int negErrno) {
        return msg(NLMSG_ERROR, 0, seq, concat(u32(negErrno), Arrays.copyOf(dumpRequest(RTM_GETADDR, seq), NLMSG_HDRLEN)));
    }

    static byte[] ifaddrmsg(int family, int prefixLen, int flags, int scope, int ifindex) {
        return buf(IFADDRMSG).put((byte) family).put((byte) prefixLen).put((byte) flags).put((byte) scope).putInt(ifindex).array();
    }

    static byte[] rtmsg(int family, int dstLen, int table, int protocol, int scope, int type) {
        return buf(RTMSG).put((byte) family).put((byte) dstLen).put((byte) 0).put((byte) 0)
                .put((byte) table).put((byte) protocol).put((byte) scope).put((byte) type).putInt(0).array();
    }

    static String hex(byte[] b) { return b == null ? "null" : HexFormat.of().formatHex(b); }

    static String text(Address a) {
        return "Address[" + a.ifindex() + " af" + a.family() + " " + hex(a.addr()) + "/" + a.prefixLen() + " scope " + a.scope() + " flags " + a.flags() + "]";
    }

    static String text(Route r) {
        return "Route[af" + r.family() + " " + hex(r.dst()) + "/" + r.dstLen() + " via " + hex(r.gateway()) + " oif " + r.oif() + " table " + r.table()
                + " type " + r.type() + " proto " + r.protocol() + " scope " + r.scope() + " src " + hex(r.prefSrc()) + "]";
    }

    // ---- helpers of this test ----

    final List<Address> addresses = new ArrayList<>();
    final List<Route> routes = new ArrayList<>();

    boolean parse(byte[] b) { return parseDump(b, b.length, SEQ, addresses, routes); }

    NetlinkException malformed(byte[] b) {
        NetlinkException e = assertThrows(NetlinkException.class, () -> parse(b));
        assertEquals(0, e.errno(), "a parse error carries errno 0: " + e.getMessage());
        return e;
    }

    // ---- requests ----

    @Test
    void dumpRequestBytes() {
        for (int type : new int[] {RTM_GETADDR, RTM_GETROUTE}) {
            byte[] r = dumpRequest(type, SEQ);
            int body = type == RTM_GETADDR ? 8 : 12;
            assertEquals(16 + body, r.length);
            ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.nativeOrder());
            assertEquals(16 + body, b.getInt(0), "nlmsg_len");
            assertEquals(type, b.getShort(4), "nlmsg_type");
            assertEquals(0x301, b.getShort(6), "NLM_F_REQUEST | NLM_F_DUMP");
            assertEquals(SEQ, b.getInt(8), "nlmsg_seq");
            assertEquals(0, b.getInt(12), "nlmsg_pid: the kernel");
            for (int i = 16; i < r.length; i++) assertEquals(0, r[i], "family AF_UNSPEC and the rest zero, byte " + i);
        }
        assertEquals(22, RTM_GETADDR);
        assertEquals(26, RTM_GETROUTE);
        assertEquals(-1, ByteBuffer.wrap(dumpRequest(RTM_GETROUTE, -1)).order(ByteOrder.nativeOrder()).getInt(8));
    }

    // ---- addresses ----

    @Test
    void ipv4AddressPrefersLocalOverAddress() {
        // a point-to-point address: IFA_ADDRESS (the peer) first, IFA_LOCAL (ours) after, and a label of odd length
        byte[] m = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 32, IFA_F_PERMANENT, RT_SCOPE_UNIVERSE, 7),
                attr(IFA_ADDRESS, ip("10.0.0.2")), attr(IFA_LOCAL, ip("10.0.0.1")), attr(IFA_LABEL, "ppp0\0".getBytes(StandardCharsets.US_ASCII)),
                attr(IFA_CACHEINFO, new byte[16]));
        assertFalse(parse(m), "no NLMSG_DONE yet");
        assertEquals(1, addresses.size());
        Address a = addresses.getFirst();
        assertEquals(7, a.ifindex());
        assertEquals(AF_INET, a.family());
        assertArrayEquals(ip("10.0.0.1"), a.addr());
        assertEquals(32, a.prefixLen());
        assertEquals(RT_SCOPE_UNIVERSE, a.scope());
        assertEquals(IFA_F_PERMANENT, a.flags());
        assertTrue(routes.isEmpty());
    }

    @Test
    void loopbackAddressWithLabelAndHostScope() {
        byte[] m = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 8, IFA_F_PERMANENT, RT_SCOPE_HOST, 1),
                attr(IFA_ADDRESS, ip("127.0.0.1")), attr(IFA_LOCAL, ip("127.0.0.1")), attr(IFA_LABEL, "lo\0".getBytes(StandardCharsets.US_ASCII)),
                attr(IFA_FLAGS, u32(IFA_F_PERMANENT)));
        parse(concat(m, done(SEQ)));
        assertEquals(List.of("Address[1 af2 7f000001/8 scope 254 flags 128]"), addresses.stream().map(NetlinkMessagesTest::text).toList());
    }

    @Test
    void ipv6AddressWithAddressOnlyAndFlagsAttributeOverridingTheByte() {
        byte[] m = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET6, 64, IFA_F_PERMANENT, RT_SCOPE_UNIVERSE, 3),
                attr(IFA_CACHEINFO, new byte[16]), attr(IFA_ADDRESS, ip("fd00::1")),
                attr(IFA_FLAGS, u32(IFA_F_NOPREFIXROUTE | IFA_F_TENTATIVE)));
        parse(m);
        Address a = addresses.getFirst();
        assertEquals(AF_INET6, a.family());
        assertArrayEquals(ip("fd00::1"), a.addr());
        assertEquals(16, a.addr().length);
        assertEquals(64, a.prefixLen());
        assertEquals(3, a.ifindex());
        assertEquals(IFA_F_NOPREFIXROUTE | IFA_F_TENTATIVE, a.flags(), "IFA_FLAGS (32 bits) replaces ifa_flags (8 bits)");
        // a link-local one: scope 253 as the kernel gives it
        addresses.clear();
        parse(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET6, 64, IFA_F_PERMANENT, RT_SCOPE_LINK, 3), attr(IFA_ADDRESS, ip("fe80::1"))));
        assertEquals(RT_SCOPE_LINK, addresses.getFirst().scope());
        assertEquals(IFA_F_PERMANENT, addresses.getFirst().flags(), "without IFA_FLAGS: the byte");
    }

    @Test
    void attributeTypeFlagBitsAreMaskedOff() {
        // NLA_F_NESTED / NLA_F_NET_BYTEORDER on a type: the type is the low 14 bits
        parse(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL | NLA_F_NESTED, ip("192.0.2.5"))));
        assertArrayEquals(ip("192.0.2.5"), addresses.getFirst().addr());
    }

    // ---- routes ----

    @Test
    void defaultRouteWithoutDst() {
        byte[] m = msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 0, RT_TABLE_MAIN, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST),
                attr(RTA_TABLE, u32(RT_TABLE_MAIN)), attr(RTA_GATEWAY, ip("192.0.2.1")), attr(RTA_OIF, u32(2)));
        assertTrue(parse(concat(m, done(SEQ))));
        assertEquals(1, routes.size());
        Route r = routes.getFirst();
        assertEquals(AF_INET, r.family());
        assertNull(r.dst(), "a default route has no RTA_DST");
        assertEquals(0, r.dstLen());
        assertArrayEquals(ip("192.0.2.1"), r.gateway());
        assertEquals(2, r.oif());
        assertEquals(RT_TABLE_MAIN, r.table());
        assertEquals(RTN_UNICAST, r.type());
        assertEquals(RTPROT_BOOT, r.protocol());
        assertEquals(RT_SCOPE_UNIVERSE, r.scope());
        assertNull(r.prefSrc());
        assertTrue(addresses.isEmpty());
    }

    @Test
    void gatewayRouteWithTableAttributeOverridingTheByte() {
        // table 1000 does not fit rtm_table: the kernel writes RT_TABLE_COMPAT (252) there and the real one in RTA_TABLE
        byte[] m = msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET6, 48, 252, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST),
                attr(RTA_TABLE, u32(1000)), attr(RTA_DST, ip("2001:db8:1::")), attr(RTA_PRIORITY, u32(1024)),
                attr(RTA_GATEWAY, ip("fd00::fffe")), attr(RTA_OIF, u32(9)), attr(RTA_PREFSRC, ip("fd00::1")));
        parse(m);
        Route r = routes.getFirst();
        assertEquals(1000, r.table());
        assertEquals(AF_INET6, r.family());
        assertArrayEquals(ip("2001:db8:1::"), r.dst());
        assertEquals(48, r.dstLen());
        assertArrayEquals(ip("fd00::fffe"), r.gateway());
        assertEquals(9, r.oif());
        assertArrayEquals(ip("fd00::1"), r.prefSrc());
        // without RTA_TABLE: rtm_table
        routes.clear();
        parse(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 32, 255, RTPROT_KERNEL, RT_SCOPE_HOST, RTN_LOCAL),
                attr(RTA_DST, ip("127.0.0.1")), attr(RTA_PREFSRC, ip("127.0.0.1")), attr(RTA_OIF, u32(1))));
        assertEquals(List.of("Route[af2 7f000001/32 via null oif 1 table 255 type 2 proto 2 scope 254 src 7f000001]"),
                routes.stream().map(NetlinkMessagesTest::text).toList());
    }

    /** struct rtnexthop (len, flags, hops, ifindex) followed by its attributes. */
    static byte[] nexthop(int ifindex, byte[]... attrs) {
        byte[] a = concat(attrs);
        return concat(buf(8).putShort((short) (8 + a.length)).put((byte) 0).put((byte) 0).putInt(ifindex).array(), a);
    }

    @Test
    void aMultipathRouteTakesItsFirstNextHopAsOvsDoesAndMetricsAreSkipped() {
        // ip route add 10.0.0.0/8 nexthop via 172.31.0.254 dev br-phy nexthop via 172.31.0.253 dev eth1
        byte[] nested = attr(9 /* RTA_MULTIPATH */, concat(nexthop(5, attr(RTA_GATEWAY, ip("172.31.0.254"))),
                nexthop(6, attr(RTA_GATEWAY, ip("172.31.0.253")))));
        byte[] metrics = attr(8 /* RTA_METRICS */ | NLA_F_NESTED, attr(2 /* RTAX_MTU */, u32(1400)));
        parse(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 8, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST), attr(RTA_DST, ip("10.0.0.0")), nested, metrics));
        assertEquals(List.of("Route[af2 0a000000/8 via ac1f00fe oif 5 table 254 type 1 proto 3 scope 0 src null]"),
                routes.stream().map(NetlinkMessagesTest::text).toList());
        // an on-link first next hop: its interface, no gateway
        routes.clear();
        parse(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET6, 32, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST), attr(RTA_DST, ip("2001:db8::")),
                attr(9, concat(nexthop(7), nexthop(8, attr(RTA_GATEWAY, ip("fd00::fe")))))));
        assertNull(routes.getFirst().gateway());
        assertEquals(7, routes.getFirst().oif());
    }

    @Test
    void aMalformedNextHopIsAnError() {
        for (byte[] mp : List.of(new byte[4], nexthop(5, attr(RTA_GATEWAY, ip("172.31.0.254"))))) {
            byte[] bad = mp.clone();
            if (bad.length > 4) bad[0] = 40;                 // rtnh_len past the attribute
            NetlinkException e = assertThrows(NetlinkException.class, () -> parse(msg(RTM_NEWROUTE, SEQ,
                    rtmsg(AF_INET, 8, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST), attr(RTA_DST, ip("10.0.0.0")), attr(9, bad))));
            assertTrue(e.getMessage().contains("RTA_MULTIPATH"), e.getMessage());
        }
        NetlinkException e = assertThrows(NetlinkException.class, () -> parse(msg(RTM_NEWROUTE, SEQ,
                rtmsg(AF_INET, 8, RT_TABLE_MAIN, RTPROT_BOOT, 0, RTN_UNICAST), attr(9, nexthop(5, attr(RTA_GATEWAY, ip("fd00::fe")))))));
        assertTrue(e.getMessage().contains("next hop's RTA_GATEWAY of 16 bytes"), e.getMessage());
    }

    // ---- the dump ----

    @Test
    void doneEndsTheDumpAndWhatFollowsIsNotRead() {
        byte[] a = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        byte[] r = msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 24, RT_TABLE_MAIN, RTPROT_KERNEL, RT_SCOPE_LINK, RTN_UNICAST), attr(RTA_DST, ip("192.0.2.0")), attr(RTA_OIF, u32(2)));
        // several replies, as recvfrom returns them: the dump is over only at NLMSG_DONE
        assertFalse(parse(a));
        assertFalse(parse(concat(r, msg(NLMSG_NOOP, 0, SEQ, new byte[0]))));
        assertTrue(parse(concat(a, done(SEQ), r, a, new byte[] {1, 2, 3})));
        assertEquals(2, addresses.size());
        assertEquals(1, routes.size());
        // a DONE alone (an empty dump)
        assertTrue(parse(msg(NLMSG_DONE, NLM_F_MULTI, SEQ, new byte[0])), "a DONE without its error field is still the end");
        assertTrue(parse(done(SEQ)));
        assertFalse(parse(new byte[0]));
        assertFalse(parseDump(new byte[100], 0, SEQ, addresses, routes), "len 0 of a larger buffer: nothing read");
    }

    @Test
    void aDumpThatFailedPartWayOrWasInterruptedIsAnError() {
        // the kernel's error for a dump that could not finish travels in NLMSG_DONE's payload, negated
        NetlinkException e = assertThrows(NetlinkException.class, () -> parse(msg(NLMSG_DONE, NLM_F_MULTI, SEQ, u32(-Errno.ENOBUFS))));
        assertEquals(Errno.ENOBUFS, e.errno());
        assertTrue(e.getMessage().contains("ENOBUFS"), e.getMessage());
        // NLM_F_DUMP_INTR: the tables changed during the dump; what it read may be inconsistent
        byte[] a = msg(RTM_NEWADDR, NLM_F_MULTI | NLM_F_DUMP_INTR, SEQ, concat(ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2"))));
        assertTrue(assertThrows(NetlinkException.class, () -> parse(a)).getMessage().contains("NLM_F_DUMP_INTR"));
    }

    @Test
    void onlyLenBytesOfTheBufferAreRead() {
        byte[] a = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        byte[] big = Arrays.copyOf(a, 65536);
        Arrays.fill(big, a.length, big.length, (byte) 0xff);     // garbage of an earlier, longer reply
        assertFalse(parseDump(big, a.length, SEQ, addresses, routes));
        assertEquals(1, addresses.size());
    }

    @Test
    void otherSequenceNumbersAreSkipped() {
        byte[] notification = msg(RTM_NEWADDR, 0, ifaddrmsg(AF_INET, 24, 0, 0, 5), attr(IFA_LOCAL, ip("10.1.1.1")));
        byte[] older = msg(RTM_NEWROUTE, SEQ - 1, rtmsg(AF_INET, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_GATEWAY, ip("10.1.1.254")));
        byte[] ours = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        assertFalse(parse(concat(notification, older, error(SEQ + 1, -Errno.EBUSY), done(SEQ + 1), ours)),
                "another dump's DONE does not end ours, nor its error fail it");
        assertEquals(1, addresses.size());
        assertEquals(2, addresses.getFirst().ifindex());
        assertTrue(routes.isEmpty());
        // and another sequence number's body is not looked at at all (it may be anything)
        byte[] junk = msg(RTM_NEWADDR, SEQ + 7, new byte[] {2, 99, 0, 0});
        assertTrue(parse(concat(junk, done(SEQ))));
        assertEquals(1, addresses.size());
    }

    @Test
    void kernelErrorCarriesItsErrno() {
        byte[] a = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        NetlinkException e = assertThrows(NetlinkException.class, () -> parse(concat(a, error(SEQ, -Errno.ENOBUFS))));
        assertEquals(Errno.ENOBUFS, e.errno());
        assertTrue(e.getMessage().contains("ENOBUFS"), e.getMessage());
        e = assertThrows(NetlinkException.class, () -> parse(error(SEQ, -Errno.EPERM)));
        assertEquals(Errno.EPERM, e.errno());
        e = assertThrows(NetlinkException.class, () -> parse(error(SEQ, -4095)));
        assertEquals(4095, e.errno(), "an errno without a name");
        // error 0 is an acknowledgement, not an error
        assertFalse(parse(error(SEQ, 0)));
        assertTrue(parse(concat(error(SEQ, 0), done(SEQ))));
        // an error too short to hold its number
        malformed(msg(NLMSG_ERROR, 0, SEQ, new byte[3]));
    }

    // ---- malformed ----

    @Test
    void messageLengthShorterThanItsHeader() {
        byte[] m = done(SEQ);
        for (int len : new int[] {0, 4, 15, -1, Integer.MIN_VALUE}) {
            ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(0, len);
            malformed(m);
        }
    }

    @Test
    void messageLengthPastTheBuffer() {
        byte[] m = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(0, m.length + 1);
        malformed(m);
        ByteBuffer.wrap(m).order(ByteOrder.nativeOrder()).putInt(0, Integer.MAX_VALUE);
        malformed(m);
        // a truncated reply: the header says more than len holds
        byte[] ok = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        assertThrows(NetlinkException.class, () -> parseDump(ok, ok.length - 4, SEQ, addresses, routes));
        // fewer bytes than a header after the last message
        malformed(concat(ok, new byte[8]));
        // a len the buffer does not hold, or a negative one
        assertThrows(NetlinkException.class, () -> parseDump(ok, ok.length + 1, SEQ, addresses, routes));
        assertThrows(NetlinkException.class, () -> parseDump(ok, -1, SEQ, addresses, routes));
    }

    @Test
    void attributeLengthShorterThanItsHeaderOrPastTheMessage() {
        for (int alen : new int[] {0, 1, 3}) {
            byte[] bad = buf(4).putShort((short) alen).putShort((short) IFA_LOCAL).array();
            malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_ADDRESS, ip("192.0.2.2")), bad));
            malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), bad, attr(RTA_OIF, u32(2))));
        }
        // an attribute that says 12 bytes in a message that ends 8 bytes after it starts
        byte[] past = buf(8).putShort((short) 12).putShort((short) IFA_LOCAL).put(ip("192.0.2.2")).array();
        malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), past));
        byte[] rpast = buf(8).putShort((short) 0xffff).putShort((short) RTA_OIF).putInt(2).array();
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), rpast));
        // it runs past its message into the next one (within the buffer): still past its message
        byte[] into = msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), buf(8).putShort((short) 16).putShort((short) IFA_LOCAL).put(ip("192.0.2.2")).array());
        malformed(concat(into, done(SEQ)));
    }

    @Test
    void addressOfTheWrongSize() {
        malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, new byte[] {10, 0, 0, 1, 0})));
        malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_ADDRESS, new byte[] {10, 0, 0})));
        malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET6, 64, 0, 0, 2), attr(IFA_ADDRESS, ip("10.0.0.1"))));
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 8, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_DST, new byte[] {10, 0, 0, 0, 0})));
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_GATEWAY, ip("fd00::1"))));
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET6, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_PREFSRC, new byte[15])));
    }

    @Test
    void prefixLengthTooLongForTheFamily() {
        malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 33, 0, 0, 2), attr(IFA_LOCAL, ip("10.0.0.1"))));
        malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET6, 129, 0, 0, 2), attr(IFA_ADDRESS, ip("fd00::1"))));
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 33, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_DST, ip("10.0.0.0"))));
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET6, 129, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_DST, ip("fd00::"))));
        malformed(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET, 255, RT_TABLE_MAIN, 3, 0, RTN_UNICAST)));
        // the limits themselves are fine
        parse(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 32, 0, 0, 2), attr(IFA_LOCAL, ip("10.0.0.1"))));
        parse(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET6, 128, 0, 0, 2), attr(IFA_ADDRESS, ip("fd00::1"))));
        parse(msg(RTM_NEWROUTE, SEQ, rtmsg(AF_INET6, 128, RT_TABLE_MAIN, 3, 0, RTN_UNICAST), attr(RTA_DST, ip("fd00::1"))));
        assertEquals(List.of(32, 128), addresses.stream().map(Address::prefixLen).toList());
        assertEquals(128, routes.getFirst().dstLen());
    }

    @Test
    void bodiesShorterThanTheirFixedPartOrWithoutAddress() {
        malformed(msg(RTM_NEWADDR, SEQ, new byte[] {2, 24, 0, 0}));
        malformed(msg(RTM_NEWROUTE, SEQ, new byte[8]));
        NetlinkException e = malformed(msg(RTM_NEWADDR, SEQ, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LABEL, "x\0".getBytes(StandardCharsets.US_ASCII))));
        assertTrue(e.getMessage().contains("without an address"), e.getMessage());
    }

    // ---- notifications ----

    @Test
    void anyChange() {
        byte[] addr = msg(RTM_NEWADDR, 0, ifaddrmsg(AF_INET, 24, 0, 0, 2), attr(IFA_LOCAL, ip("192.0.2.2")));
        byte[] delRoute = msg(RTM_DELROUTE, 0, rtmsg(AF_INET, 0, RT_TABLE_MAIN, 3, 0, RTN_UNICAST));
        byte[] link = msg(RTM_NEWLINK, 0, new byte[16]);
        for (byte[] b : List.of(addr, delRoute, link, msg(RTM_DELLINK, 0, new byte[16]), msg(RTM_DELADDR, 0, new byte[8]),
                msg(RTM_NEWROUTE, 0, new byte[12]), concat(done(1), addr), concat(msg(NLMSG_NOOP, 0, 0, new byte[0]), link)))
            assertTrue(NetlinkMessages.anyChange(b, b.length), hex(b));
        for (byte[] b : List.of(done(1), concat(done(1), done(2)), msg(NLMSG_NOOP, 0, 0, new byte[0]), new byte[0], error(5, 0)))
            assertFalse(NetlinkMessages.anyChange(b, b.length), hex(b));
        // only len bytes count, a len past the buffer is clamped, and a reply that cannot be read counts as a change
        byte[] b = concat(done(1), addr);
        assertFalse(NetlinkMessages.anyChange(b, done(1).length));
        assertTrue(NetlinkMessages.anyChange(b, b.length + 100));
        assertFalse(NetlinkMessages.anyChange(b, -5));
        byte[] bad = done(1);
        ByteBuffer.wrap(bad).order(ByteOrder.nativeOrder()).putInt(0, 3);
        assertTrue(NetlinkMessages.anyChange(bad, bad.length));
    }
}
