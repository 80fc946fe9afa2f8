package io.xvio.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The rtnetlink messages {@link Rtnetlink} asks for and reads (netlink(7), rtnetlink(7)): dump requests for addresses
 * and routes, and the parse of what comes back (nlmsghdr, ifaddrmsg, rtmsg and their rtattrs, native byte order).
 * Pure: reads a byte array, so its checks are tested and fuzzed without a kernel. Anything malformed (a length
 * that runs past the buffer or is shorter than its header, an address of the wrong size) is a
 * {@link NetlinkException}, never an exception of the JDK's.
 */
public final class NetlinkMessages {
    // <linux/netlink.h>
    static final int NLMSG_HDRLEN = 16, NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3, NLMSG_OVERRUN = 4;
    static final int NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_DUMP_INTR = 0x10, NLM_F_DUMP = 0x300;
    // <linux/rtnetlink.h>
    static final int RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;
    static final int IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_FLAGS = 8;
    static final int RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PREFSRC = 7, RTA_MULTIPATH = 9, RTA_TABLE = 15;
    static final int RTNEXTHOP = 8;
    static final int IFADDRMSG = 8, RTMSG = 12, RTATTR = 4;
    public static final int AF_INET = 2, AF_INET6 = 10;
    public static final int RT_TABLE_MAIN = 254, RTN_UNICAST = 1;
    public static final int RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254;
    /** IFA_F_TENTATIVE (duplicate address detection not done yet) and IFA_F_DADFAILED: an address not usable yet. */
    public static final int IFA_F_DADFAILED = 0x08, IFA_F_TENTATIVE = 0x40;

    /** An interface address: family AF_INET or AF_INET6, the address (4 or 16 bytes), prefix length, scope, IFA_F_* flags. */
    public record Address(int ifindex, int family, byte[] addr, int prefixLen, int scope, int flags) {}

    /**
     * A route: destination (null for a default route) and its length, gateway (null: on link), output interface (0:
     * none), table, type (RTN_*), protocol (RTPROT_*), scope, preferred source (null: none). Of a multipath (ECMP)
     * route, its first next hop's gateway and interface, as OVS's route table takes it.
     */
    public record Route(int family, byte[] dst, int dstLen, byte[] gateway, int oif, int table, int type, int protocol, int scope, byte[] prefSrc) {}

    /** A reply the kernel sent that cannot be read, or an error it answered with. */
    public static final class NetlinkException extends RuntimeException {
        private final int errno;

        NetlinkException(String message, int errno) {
            super(message);
            this.errno = errno;
        }

        /** The kernel's error number (NLMSG_ERROR), 0 for a message that could not be parsed. */
        public int errno() { return errno; }
    }

    private NetlinkMessages() {}

    /** A dump request of type (RTM_GETADDR or RTM_GETROUTE) for every family, with sequence number seq. */
    static byte[] dumpRequest(int type, int seq) {
        int body = type == RTM_GETADDR ? IFADDRMSG : RTMSG;
        ByteBuffer b = ByteBuffer.allocate(NLMSG_HDRLEN + body).order(ByteOrder.nativeOrder());
        b.putInt(NLMSG_HDRLEN + body).putShort((short) type).putShort((short) (NLM_F_REQUEST | NLM_F_DUMP)).putInt(seq).putInt(0);
        return b.array();                                  // family AF_UNSPEC and the rest zero
    }

    /**
     * Reads the messages in buf[0..len) of the dump with sequence number seq (other sequence numbers, as
     * notifications, are skipped) into addresses and routes; true once NLMSG_DONE ends the dump.
     */
    static boolean parseDump(byte[] buf, int len, int seq, List<Address> addresses, List<Route> routes) {
        if (len < 0 || len > buf.length) throw new NetlinkException("netlink: a reply of " + len + " bytes in a buffer of " + buf.length, 0);
        ByteBuffer b = ByteBuffer.wrap(buf, 0, len).order(ByteOrder.nativeOrder());
        int at = 0;
        boolean done = false;
        while (at + NLMSG_HDRLEN <= len) {
            int mlen = b.getInt(at), type = Short.toUnsignedInt(b.getShort(at + 4)), mseq = b.getInt(at + 8);
            if (mlen < NLMSG_HDRLEN || mlen > len - at)
                throw new NetlinkException("netlink: message of length " + mlen + " at byte " + at + " of a " + len + "-byte reply", 0);
            if (mseq == seq) {
                int body = at + NLMSG_HDRLEN, end = at + mlen;
                if ((b.getShort(at + 6) & NLM_F_DUMP_INTR) != 0)
                    throw new NetlinkException("netlink: the dump was interrupted by a change (NLM_F_DUMP_INTR); read it again", 0);
                switch (type) {
                    case NLMSG_DONE -> {
                        done = true;
                        int err = end - body >= 4 ? -b.getInt(body) : 0;     // a dump that failed part way says so here
                        if (err > 0) throw new NetlinkException("netlink: the dump ended with " + Errno.name(err) + " (" + Errno.describe(err) + ")", err);
                    }
                    case NLMSG_ERROR -> {
                        if (end - body < 4) throw new NetlinkException("netlink: an error message of " + mlen + " bytes", 0);
                        int err = -b.getInt(body);
                        if (err != 0) throw new NetlinkException("netlink: the kernel answered " + Errno.name(err) + " (" + Errno.describe(err) + ")", err);
                    }
                    case RTM_NEWADDR -> addresses.add(address(b, body, end));
                    case RTM_NEWROUTE -> routes.add(route(b, body, end));
                    default -> { }                          // NLMSG_NOOP and anything newer: not ours
                }
            }
            if (done) break;
            at += align(mlen);
        }
        if (!done && at < len)
            throw new NetlinkException("netlink: " + (len - at) + " bytes after the last message of a " + len + "-byte reply", 0);
        return done;
    }

    /** Whether buf[0..len) holds a link, address or route change (a notification on a monitor socket). */
    static boolean anyChange(byte[] buf, int len) {
        ByteBuffer b = ByteBuffer.wrap(buf, 0, Math.max(0, Math.min(len, buf.length))).order(ByteOrder.nativeOrder());
        int lim = b.limit();
        for (int at = 0; at + NLMSG_HDRLEN <= lim; ) {
            int mlen = b.getInt(at), type = Short.toUnsignedInt(b.getShort(at + 4));
            if (mlen < NLMSG_HDRLEN || mlen > lim - at) return true;   // unreadable: safest to read everything again
            if (type == RTM_NEWLINK || type == RTM_DELLINK || type == RTM_NEWADDR || type == RTM_DELADDR || type == RTM_NEWROUTE || type == RTM_DELROUTE)
                return true;
            at += align(mlen);
        }
        return false;
    }

    private static Address address(ByteBuffer b, int body, int end) {
        if (end - body < IFADDRMSG) throw new NetlinkException("netlink: an address message of " + (end - body) + " bytes", 0);
        int family = b.get(body) & 0xff, prefixLen = b.get(body + 1) & 0xff, flags = b.get(body + 2) & 0xff,
                scope = b.get(body + 3) & 0xff, ifindex = b.getInt(body + 4);
        byte[] local = null, address = null;
        for (int a = body + IFADDRMSG; a + RTATTR <= end; ) {
            int alen = Short.toUnsignedInt(b.getShort(a)), atype = Short.toUnsignedInt(b.getShort(a + 2)) & 0x3fff;
            if (alen < RTATTR || alen > end - a) throw new NetlinkException("netlink: attribute of length " + alen + " in an address message", 0);
            switch (atype) {
                case IFA_LOCAL -> local = bytes(b, a + RTATTR, alen - RTATTR, family, "IFA_LOCAL");
                case IFA_ADDRESS -> address = bytes(b, a + RTATTR, alen - RTATTR, family, "IFA_ADDRESS");
                case IFA_FLAGS -> { if (alen - RTATTR >= 4) flags = b.getInt(a + RTATTR); }
                default -> { }
            }
            a += align(alen);
        }
        byte[] addr = local != null ? local : address;     // IPv4 point-to-point: IFA_ADDRESS is the peer
        if (addr == null) throw new NetlinkException("netlink: an address message without an address (ifindex " + ifindex + ")", 0);
        if (prefixLen > addr.length * 8) throw new NetlinkException("netlink: prefix length " + prefixLen + " for a " + addr.length + "-byte address", 0);
        return new Address(ifindex, family, addr, prefixLen, scope, flags);
    }

    private static Route route(ByteBuffer b, int body, int end) {
        if (end - body < RTMSG) throw new NetlinkException("netlink: a route message of " + (end - body) + " bytes", 0);
        int family = b.get(body) & 0xff, dstLen = b.get(body + 1) & 0xff, table = b.get(body + 4) & 0xff, protocol = b.get(body + 5) & 0xff,
                scope = b.get(body + 6) & 0xff, type = b.get(body + 7) & 0xff;
        byte[] dst = null, gw = null, src = null;
        int oif = 0, multipath = -1, multipathLen = 0;
        for (int a = body + RTMSG; a + RTATTR <= end; ) {
            int alen = Short.toUnsignedInt(b.getShort(a)), atype = Short.toUnsignedInt(b.getShort(a + 2)) & 0x3fff;
            if (alen < RTATTR || alen > end - a) throw new NetlinkException("netlink: attribute of length " + alen + " in a route message", 0);
            int v = a + RTATTR, vlen = alen - RTATTR;
            switch (atype) {
                case RTA_DST -> dst = bytes(b, v, vlen, family, "RTA_DST");
                case RTA_GATEWAY -> gw = bytes(b, v, vlen, family, "RTA_GATEWAY");
                case RTA_PREFSRC -> src = bytes(b, v, vlen, family, "RTA_PREFSRC");
                case RTA_OIF -> { if (vlen >= 4) oif = b.getInt(v); }
                case RTA_TABLE -> { if (vlen >= 4) table = b.getInt(v); }
                case RTA_MULTIPATH -> { multipath = v; multipathLen = vlen; }
                default -> { }                              // metrics, ...: not used
            }
            a += align(alen);
        }
        if (multipath >= 0 && oif == 0 && gw == null) {
            // struct rtnexthop {u16 len; u8 flags; u8 hops; int ifindex} then its own attributes (RTA_GATEWAY)
            if (multipathLen < RTNEXTHOP) throw new NetlinkException("netlink: RTA_MULTIPATH of " + multipathLen + " bytes", 0);
            int nhLen = Short.toUnsignedInt(b.getShort(multipath));
            if (nhLen < RTNEXTHOP || nhLen > multipathLen) throw new NetlinkException("netlink: next hop of length " + nhLen + " in RTA_MULTIPATH of " + multipathLen + " bytes", 0);
            oif = b.getInt(multipath + 4);
            for (int a = multipath + RTNEXTHOP, nhEnd = multipath + nhLen; a + RTATTR <= nhEnd; ) {
                int alen = Short.toUnsignedInt(b.getShort(a)), atype = Short.toUnsignedInt(b.getShort(a + 2)) & 0x3fff;
                if (alen < RTATTR || alen > nhEnd - a) throw new NetlinkException("netlink: attribute of length " + alen + " in a next hop", 0);
                if (atype == RTA_GATEWAY) gw = bytes(b, a + RTATTR, alen - RTATTR, family, "next hop's RTA_GATEWAY");
                a += align(alen);
            }
        }
        int width = family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
        if (width > 0 && dstLen > width) throw new NetlinkException("netlink: route prefix length " + dstLen + " for family " + family, 0);
        return new Route(family, dst, dstLen, gw, oif, table, type, protocol, scope, src);
    }

    /** An address attribute's value: 4 bytes for AF_INET, 16 for AF_INET6 (other families as they come). */
    private static byte[] bytes(ByteBuffer b, int at, int len, int family, String what) {
        int want = family == AF_INET ? 4 : family == AF_INET6 ? 16 : -1;
        if (want >= 0 && len != want) throw new NetlinkException("netlink: " + what + " of " + len + " bytes for family " + family, 0);
        byte[] v = new byte[len];
        b.get(at, v);
        return v;
    }

    static int align(int n) { return (n + 3) & ~3; }
}
