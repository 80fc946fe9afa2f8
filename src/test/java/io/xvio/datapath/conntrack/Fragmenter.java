package io.xvio.datapath.conntrack;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.xvio.datapath.conntrack.Frames.*;

/** Cuts test frames (from {@link Frames#v4}/{@link Frames#v6}: no options or extension headers) into IP fragments. */
public final class Fragmenter {
    private Fragmenter() {}

    /** The fragment of IPv4 frame f carrying data bytes [start, end) (start a multiple of 8), IP id id. */
    public static byte[] v4Piece(byte[] f, int id, int start, int end, boolean more) {
        byte[] p = new byte[34 + end - start];
        System.arraycopy(f, 0, p, 0, 34);
        System.arraycopy(f, 34 + start, p, 34, end - start);
        put16(p, 16, 20 + end - start);
        put16(p, 18, id);
        put16(p, 20, (more ? 0x2000 : 0) | start / 8);
        put16(p, 24, 0);
        put16(p, 24, ~fold(sum(p, 14, 20)));
        return p;
    }

    /** The fragment of IPv6 frame f carrying data bytes [start, end) after a fragment header with id. */
    public static byte[] v6Piece(byte[] f, int id, int start, int end, boolean more) {
        byte[] p = new byte[62 + end - start];
        System.arraycopy(f, 0, p, 0, 54);
        int proto = f[20] & 0xff;
        put16(p, 18, 8 + end - start);
        p[20] = 44;
        p[54] = (byte) proto;
        put16(p, 56, start | (more ? 1 : 0));
        put16(p, 58, id >>> 16);
        put16(p, 60, id);
        System.arraycopy(f, 54 + start, p, 62, end - start);
        return p;
    }

    /** f cut into fragments of chunk data bytes (a multiple of 8), in order of offset. */
    public static List<byte[]> cut(byte[] f, int id, int chunk) {
        boolean v6 = (f[12] & 0xff) == 0x86;
        int data = f.length - (v6 ? 54 : 34);
        List<byte[]> r = new ArrayList<>();
        for (int s = 0; s < data; s += chunk) {
            int e = Math.min(data, s + chunk);
            r.add(v6 ? v6Piece(f, id, s, e, e < data) : v4Piece(f, id, s, e, e < data));
        }
        return r;
    }

    /** A frame list for comparisons: each frame's length, first 48 bytes in hex and a hash of all its bytes. */
    public static List<String> hex(List<byte[]> frames) {
        return frames.stream().map(f -> f.length + ":" + java.util.HexFormat.of().formatHex(f, 0, Math.min(48, f.length))
                + ":" + Integer.toHexString(Arrays.hashCode(f))).toList();
    }
}
