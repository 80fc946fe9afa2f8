package io.xvio.datapath.tunnel;

import java.util.HexFormat;
import java.util.List;

/**
 * Geneve option TLVs (RFC 8926 §3.5) in wire form: class (16 bits), type (8; the high bit "critical"), 3 reserved
 * bits and the data length in 4-byte words (5 bits), then the data. At most 252 bytes of options in a header.
 */
public final class GeneveOptions {
    public static final int CRITICAL = 0x80;
    public static final int MAX_DATA = 124;

    /** One option, for the control plane (building headers, tests, text). */
    public record Option(int optClass, int type, byte[] data) {
        public Option {
            if (optClass < 0 || optClass > 0xffff) throw new IllegalArgumentException("option class 0x" + Integer.toHexString(optClass) + " is over 16 bits");
            if (type < 0 || type > 0xff) throw new IllegalArgumentException("option type 0x" + Integer.toHexString(type) + " is over 8 bits");
            if (data.length % 4 != 0 || data.length > MAX_DATA)
                throw new IllegalArgumentException("option data of " + data.length + " bytes: must be a multiple of 4, at most " + MAX_DATA);
            data = data.clone();
        }
        public boolean critical() { return (type & CRITICAL) != 0; }
        public int wireLength() { return 4 + data.length; }
        @Override public byte[] data() { return data.clone(); }
        @Override public boolean equals(Object o) {
            return o instanceof Option x && x.optClass == optClass && x.type == type && java.util.Arrays.equals(x.data, data);
        }
        @Override public int hashCode() { return optClass * 31 + type + java.util.Arrays.hashCode(data); }
    }

    private GeneveOptions() {}

    /** Writes options in order into out from 0; returns the bytes written. Throws if they exceed 252 bytes. */
    public static int encode(List<Option> opts, byte[] out) {
        int n = 0;
        for (Option o : opts) n += o.wireLength();
        if (n > TunnelMetadata.MAX_OPTIONS) throw new IllegalArgumentException("Geneve options of " + n + " bytes: at most 252 fit a header");
        int at = 0;
        for (Option o : opts) {
            out[at] = (byte) (o.optClass >>> 8);
            out[at + 1] = (byte) o.optClass;
            out[at + 2] = (byte) o.type;
            out[at + 3] = (byte) (o.data.length / 4);
            System.arraycopy(o.data, 0, out, at + 4, o.data.length);
            at += o.wireLength();
        }
        return at;
    }

    /** The options in wire-form opts[0, len), which must be well formed (as {@link TunnelDecoder} leaves them). */
    public static List<Option> decode(byte[] opts, int len) {
        List<Option> l = new java.util.ArrayList<>();
        for (int at = 0; at + 4 <= len; ) {
            int dl = (opts[at + 3] & 0x1f) * 4;
            byte[] d = java.util.Arrays.copyOfRange(opts, at + 4, at + 4 + dl);
            l.add(new Option(((opts[at] & 0xff) << 8) | (opts[at + 1] & 0xff), opts[at + 2] & 0xff, d));
            at += 4 + dl;
        }
        return l;
    }

    /**
     * Finds the option (class, type) with data length dataLen in wire-form opts[0, len); returns the offset of its
     * data, or -1. No allocation: what matching tun_metadataN on a packet does.
     */
    public static int find(byte[] opts, int len, int optClass, int type, int dataLen) {
        for (int at = 0; at + 4 <= len; ) {
            int dl = (opts[at + 3] & 0x1f) * 4;
            if ((((opts[at] & 0xff) << 8) | (opts[at + 1] & 0xff)) == optClass && (opts[at + 2] & 0xff) == type && dl == dataLen)
                return at + 4;
            at += 4 + dl;
        }
        return -1;
    }

    /** OVS's datapath text: {class=0x102,type=0x80,len=4,0xa},{...} (data in hex, as one number). */
    public static void format(byte[] opts, int len, StringBuilder b) {
        boolean first = true;
        for (Option o : decode(opts, len)) {
            if (!first) b.append(',');
            first = false;
            b.append("{class=0x").append(Integer.toHexString(o.optClass)).append(",type=0x").append(Integer.toHexString(o.type))
                    .append(",len=").append(o.data.length);
            if (o.data.length > 0) b.append(",0x").append(HexFormat.of().formatHex(o.data));
            b.append('}');
        }
    }
}
