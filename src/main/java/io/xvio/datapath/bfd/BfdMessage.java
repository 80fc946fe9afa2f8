package io.xvio.datapath.bfd;

/**
 * A BFD control message (RFC 5880 section 4.1, without authentication: 24 bytes) and the frame OVS carries it in on a
 * tunnel or an interface (RFC 5881: IPv4, TTL 255, UDP to port 3784 from a per-session port in 49152-65535). The
 * parsed fields of one message; {@link #parse} fills them from untrusted bytes and says why it refused them.
 */
public final class BfdMessage {
    public static final int LENGTH = 24, UDP_PORT = 3784, VERSION = 1;
    /** State values as they sit in the flags byte's top two bits (shifted down). */
    public static final int ADMIN_DOWN = 0, DOWN = 1, INIT = 2, UP = 3;
    /** Flag bits of the flags byte's low six bits. */
    public static final int F_MULTIPOINT = 0x01, F_DEMAND = 0x02, F_AUTH = 0x04, F_CPI = 0x08, F_FINAL = 0x10, F_POLL = 0x20;
    /** Diagnostic codes (RFC 5880 section 4.1). */
    public static final int DIAG_NONE = 0, DIAG_EXPIRED = 1, DIAG_ECHO_FAILED = 2, DIAG_RMT_DOWN = 3, DIAG_FWD_RESET = 4,
            DIAG_PATH_DOWN = 5, DIAG_CPATH_DOWN = 6, DIAG_ADMIN_DOWN = 7, DIAG_RCPATH_DOWN = 8;
    /** The Ethernet destination OVS sends BFD to unless configured (00:23:20:00:00:01). */
    public static final long ETH_DST = 0x002320000001L;
    /** OVS's default inner addresses: 169.254.1.1 from, 169.254.1.0 to. */
    public static final int DEFAULT_SRC_IP = 0xa9fe0101, DEFAULT_DST_IP = 0xa9fe0100;
    /** Ethernet + IPv4 + UDP + message. */
    public static final int FRAME_LENGTH = 14 + 20 + 8 + LENGTH;

    public int version, diag, state, flags, mult, length;
    public long myDisc, yourDisc, minTxMicros, minRxMicros, minEchoRxMicros;

    /**
     * Reads a message at b[off, off+len); null if it is well-formed enough for the session to look at, else why not
     * (the session drops it and logs that). Checks what RFC 5880 section 6.8.6 asks before any state is touched.
     */
    public String parse(byte[] b, int off, int len) {
        if (len < LENGTH) return "too short (" + len + " bytes, at least " + LENGTH + " required)";
        version = (b[off] & 0xff) >>> 5;
        diag = b[off] & 0x1f;
        state = (b[off + 1] & 0xff) >>> 6;
        flags = b[off + 1] & 0x3f;
        mult = b[off + 2] & 0xff;
        length = b[off + 3] & 0xff;
        myDisc = u32(b, off + 4);
        yourDisc = u32(b, off + 8);
        minTxMicros = u32(b, off + 12);
        minRxMicros = u32(b, off + 16);
        minEchoRxMicros = u32(b, off + 20);
        if (version != VERSION) return "version " + version + " (only " + VERSION + ")";
        if ((flags & F_AUTH) != 0) return "authenticated, and authentication is not configured";
        if (length < LENGTH) return "length field " + length + " below " + LENGTH;
        if (length > len) return "length field " + length + " beyond the " + len + "-byte payload";
        if (mult == 0) return "zero detection multiplier";
        if ((flags & F_MULTIPOINT) != 0) return "multipoint flag set";
        if (myDisc == 0) return "zero my discriminator";
        if (yourDisc == 0 && state != ADMIN_DOWN && state != DOWN) return "zero your discriminator in state " + stateName(state);
        return null;
    }

    /** Writes this message's 24 bytes at b[off]. */
    public void write(byte[] b, int off) {
        b[off] = (byte) (VERSION << 5 | diag & 0x1f);
        b[off + 1] = (byte) (state << 6 | flags & 0x3f);
        b[off + 2] = (byte) mult;
        b[off + 3] = (byte) LENGTH;
        put32(b, off + 4, myDisc);
        put32(b, off + 8, yourDisc);
        put32(b, off + 12, minTxMicros);
        put32(b, off + 16, minRxMicros);
        put32(b, off + 20, minEchoRxMicros);
    }

    /**
     * Writes the whole frame at b[0, {@link #FRAME_LENGTH}): Ethernet (dst, src), IPv4 (TTL 255, DSCP CS6 as OVS's
     * IPTOS_PREC_INTERNETCONTROL, header checksum), UDP (srcPort to 3784, no checksum: allowed over IPv4) and this message.
     */
    public void writeFrame(byte[] b, long ethDst, long ethSrc, int ipSrc, int ipDst, int srcPort) {
        put48(b, 0, ethDst);
        put48(b, 6, ethSrc);
        b[12] = 0x08;
        b[13] = 0x00;
        int ip = 14;
        java.util.Arrays.fill(b, ip, FRAME_LENGTH, (byte) 0);
        b[ip] = 0x45;
        b[ip + 1] = (byte) 0xc0;
        put16(b, ip + 2, 20 + 8 + LENGTH);
        b[ip + 8] = (byte) 255;
        b[ip + 9] = 17;
        put32(b, ip + 12, ipSrc & 0xffffffffL);
        put32(b, ip + 16, ipDst & 0xffffffffL);
        int sum = 0;
        for (int i = 0; i < 20; i += 2) sum += (b[ip + i] & 0xff) << 8 | b[ip + i + 1] & 0xff;
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        put16(b, ip + 10, ~sum & 0xffff);
        int udp = ip + 20;
        put16(b, udp, srcPort);
        put16(b, udp + 2, UDP_PORT);
        put16(b, udp + 4, 8 + LENGTH);
        write(b, udp + 8);
    }

    public static String stateName(int state) {
        return switch (state) {
            case ADMIN_DOWN -> "admin_down";
            case DOWN -> "down";
            case INIT -> "init";
            default -> "up";
        };
    }

    /** OVS's names for the diagnostic codes (bfd_status:diagnostic). */
    public static String diagName(int diag) {
        return switch (diag) {
            case DIAG_NONE -> "No Diagnostic";
            case DIAG_EXPIRED -> "Control Detection Time Expired";
            case DIAG_ECHO_FAILED -> "Echo Function Failed";
            case DIAG_RMT_DOWN -> "Neighbor Signaled Session Down";
            case DIAG_FWD_RESET -> "Forwarding Plane Reset";
            case DIAG_PATH_DOWN -> "Path Down";
            case DIAG_CPATH_DOWN -> "Concatenated Path Down";
            case DIAG_ADMIN_DOWN -> "Administratively Down";
            case DIAG_RCPATH_DOWN -> "Reverse Concatenated Path Down";
            default -> "Invalid Diagnostic";
        };
    }

    @Override
    public String toString() {
        return "vers:" + version + " diag:\"" + diagName(diag) + "\" state:" + stateName(state) + " flags:0x" + Integer.toHexString(flags)
                + " mult:" + mult + " length:" + length + " my_disc:0x" + Long.toHexString(myDisc) + " your_disc:0x" + Long.toHexString(yourDisc)
                + " min_tx:" + minTxMicros + "us min_rx:" + minRxMicros + "us min_rx_echo:" + minEchoRxMicros + "us";
    }

    static long u32(byte[] b, int off) {
        return (b[off] & 0xffL) << 24 | (b[off + 1] & 0xffL) << 16 | (b[off + 2] & 0xffL) << 8 | b[off + 3] & 0xffL;
    }

    private static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static void put32(byte[] b, int off, long v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static void put48(byte[] b, int off, long v) {
        for (int i = 0; i < 6; i++) b[off + i] = (byte) (v >>> (40 - 8 * i));
    }
}
