package io.xvio.datapath.bfd;

import io.xvio.datapath.tunnel.Be;
import io.xvio.packet.Checksum;

import java.lang.foreign.MemorySegment;

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
        MemorySegment s = MemorySegment.ofArray(b);
        myDisc = Be.u32(s, off + 4);
        yourDisc = Be.u32(s, off + 8);
        minTxMicros = Be.u32(s, off + 12);
        minRxMicros = Be.u32(s, off + 16);
        minEchoRxMicros = Be.u32(s, off + 20);
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
        MemorySegment s = MemorySegment.ofArray(b);
        Be.put32(s, off + 4, myDisc);
        Be.put32(s, off + 8, yourDisc);
        Be.put32(s, off + 12, minTxMicros);
        Be.put32(s, off + 16, minRxMicros);
        Be.put32(s, off + 20, minEchoRxMicros);
    }

    /**
     * Writes the whole frame at b[0, {@link #FRAME_LENGTH}): Ethernet (dst, src), IPv4 (TTL 255, DSCP CS6 as OVS's
     * IPTOS_PREC_INTERNETCONTROL, header checksum), UDP (srcPort to 3784, no checksum: allowed over IPv4) and this message.
     */
    public void writeFrame(byte[] b, long ethDst, long ethSrc, int ipSrc, int ipDst, int srcPort) {
        MemorySegment s = MemorySegment.ofArray(b);
        Be.putMac(s, 0, ethDst);
        Be.putMac(s, 6, ethSrc);
        b[12] = 0x08;
        b[13] = 0x00;
        int ip = 14;
        java.util.Arrays.fill(b, ip, FRAME_LENGTH, (byte) 0);
        b[ip] = 0x45;
        b[ip + 1] = (byte) 0xc0;
        Be.put16(s, ip + 2, 20 + 8 + LENGTH);
        b[ip + 8] = (byte) 255;
        b[ip + 9] = 17;
        Be.put32(s, ip + 12, ipSrc & 0xffffffffL);
        Be.put32(s, ip + 16, ipDst & 0xffffffffL);
        Be.put16(s, ip + 10, ~Checksum.fold(Checksum.sum(s, ip, 20)) & 0xffff);   // the field is still 0 from the fill
        int udp = ip + 20;
        Be.put16(s, udp, srcPort);
        Be.put16(s, udp + 2, UDP_PORT);
        Be.put16(s, udp + 4, 8 + LENGTH);
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
}
