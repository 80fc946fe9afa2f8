package io.xvio.openflow;

import io.xvio.datapath.Match;

/**
 * An NXM match of a Nicira message: match_len bytes of entries, padded to 8. NXM_NX_COOKIE (a flow_mod's or
 * stats request's cookie selector, not a packet field) is taken out here.
 */
public record NxMatch(Match match, long cookie, long cookieMask) {
    static final int COOKIE_FIELD = 30;

    public static NxMatch read(Wire.Reader r, int matchLen) {
        Wire.Reader body = r.sub(matchLen, OfError.BAD_MATCH_LEN, "NXM match");
        r.sub((8 - matchLen % 8) % 8, OfError.BAD_MATCH_LEN, "NXM match padding");
        // pull the cookie entry out of the way (it is at most one)
        byte[] rest = body.bytes(body.remaining());
        Wire.Writer others = new Wire.Writer();
        long cookie = 0, mask = 0;
        Wire.Reader scan = new Wire.Reader(rest, 0, rest.length, OfError.BAD_MATCH_LEN);
        boolean seen = false;
        while (scan.remaining() >= 4) {
            int at = scan.position();
            long h = scan.u32();
            int len = (int) h & 0xff;
            if ((h >>> 16) == Oxm.NXM1 && ((h >>> 9) & 0x7f) == COOKIE_FIELD) {
                boolean hasMask = (h & 0x100) != 0;
                if (len != (hasMask ? 16 : 8)) throw OfError.BAD_MATCH_LEN.fail("NXM_NX_COOKIE length " + len);
                if (seen) throw OfError.DUP_FIELD.fail("NXM_NX_COOKIE appears twice");
                seen = true;
                cookie = scan.u64();
                mask = hasMask ? scan.u64() : -1L;
                cookie &= mask;
            } else {
                scan.skip(len);
                others.bytes(rest, at, scan.position() - at);
            }
        }
        if (scan.remaining() != 0) throw OfError.BAD_MATCH_LEN.fail("NXM match has " + scan.remaining() + " stray bytes");
        return new NxMatch(Oxm.decode(new Wire.Reader(others.toBytes())), cookie, mask);
    }

    /** Writes m's entries and padding; returns match_len (without the padding). */
    public static int write(Match m, Wire.Writer w) {
        int start = w.size();
        Oxm.encode(m, true, w);
        int len = w.size() - start;
        w.pad8(start);
        return len;
    }
}
