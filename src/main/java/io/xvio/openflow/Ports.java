package io.xvio.openflow;

/**
 * Port numbers: xvio keeps OpenFlow 1.0's 16-bit numbers (reserved ports 0xff00-0xffff: IN_PORT 0xfff8, TABLE,
 * NORMAL, FLOOD, ALL, CONTROLLER, LOCAL, NONE 0xffff); OpenFlow 1.1+ puts the reserved ones at 0xffffff00 and up.
 */
public final class Ports {
    private Ports() {}

    public static final int IN_PORT = 0xfff8, TABLE = 0xfff9, NORMAL = 0xfffa, FLOOD = 0xfffb, ALL = 0xfffc,
            CONTROLLER = 0xfffd, LOCAL = 0xfffe, NONE = 0xffff, MAX = 0xff00;

    /** A 32-bit port as xvio's 16-bit number, or -1 if it has none (0xff00..0xfffffeff). */
    public static long from32(long p) {
        p &= 0xffffffffL;
        if (p < MAX) return p;
        if (p >= 0xffffff00L) return p - 0xffff0000L;
        return -1;
    }

    public static long to32(long p) { return p >= MAX ? p + 0xffff0000L : p; }

    /** Reads a port of this version's width. */
    static int read(Wire.Reader r, int version) {
        if (version == OfVersion.OF10) return r.u16();
        long p = from32(r.u32());
        if (p < 0) throw OfError.BAD_PORT.fail("port number out of range");
        return (int) p;
    }

    static void write(Wire.Writer w, int version, int port) {
        if (version == OfVersion.OF10) w.u16(port);
        else w.u32(to32(port & 0xffff));
    }
}
