package io.xvio.openflow;

import java.util.Arrays;

/**
 * Big-endian reading and writing of OpenFlow messages. {@link Reader} checks every read against its limit and
 * throws {@link OfError.Failure} (BAD_LEN unless told otherwise) instead of running past it; a length taken from
 * the message becomes a sub-reader only after it is checked against what is left.
 */
public final class Wire {
    private Wire() {}

    /** A bounded view of bytes [pos, limit) of a message. */
    public static final class Reader {
        final byte[] b;
        int pos;
        final int limit;
        final OfError onShort;

        public Reader(byte[] b) { this(b, 0, b.length, OfError.BAD_LEN); }

        Reader(byte[] b, int pos, int limit, OfError onShort) {
            this.b = b;
            this.pos = pos;
            this.limit = limit;
            this.onShort = onShort;
        }

        public int remaining() { return limit - pos; }
        public int position() { return pos; }

        void need(int n, String what) {
            if (n < 0 || n > limit - pos) throw onShort.fail(what + ": needs " + n + " bytes, " + (limit - pos) + " left");
        }

        public int u8() { need(1, "u8"); return b[pos++] & 0xff; }
        public int u16() { need(2, "u16"); int v = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff); pos += 2; return v; }
        public long u32() { return ((long) u16() << 16) | u16(); }
        public int s32() { return (int) u32(); }
        public long u64() { return (u32() << 32) | u32(); }

        /** An unsigned value of n bytes (n <= 8). */
        public long uN(int n) {
            need(n, "field");
            long v = 0;
            for (int i = 0; i < n; i++) v = (v << 8) | (b[pos++] & 0xff);
            return v;
        }

        public void skip(int n) { need(n, "skip"); pos += n; }

        public byte[] bytes(int n) {
            need(n, "bytes");
            byte[] r = Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return r;
        }

        /** The next n bytes as their own reader (this one moves past them). */
        public Reader sub(int n, OfError onShort, String what) {
            if (n < 0 || n > limit - pos) throw onShort.fail(what + " length " + n + " exceeds the " + (limit - pos) + " bytes left");
            Reader r = new Reader(b, pos, pos + n, onShort);
            pos += n;
            return r;
        }

        /** As {@link #sub(int, OfError, String)} for what = "whatPrefix number", built only for the error (parsing hot path). */
        public Reader sub(int n, OfError onShort, String whatPrefix, int number) {
            if (n < 0 || n > limit - pos) return sub(n, onShort, whatPrefix + " " + number);
            Reader r = new Reader(b, pos, pos + n, onShort);
            pos += n;
            return r;
        }

        public int peek16() { need(2, "u16"); return ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff); }
    }

    /** Builds one message; {@link #finish} writes its length into the header. */
    public static final class Writer {
        byte[] b = new byte[64];
        int n;

        public Writer() {}

        public Writer(int version, int type, int xid) {
            u8(version).u8(type).u16(0).u32(xid);
        }

        private void room(int k) {
            if (n + k > b.length) b = Arrays.copyOf(b, Math.max(b.length * 2, n + k));
        }

        public Writer u8(int v) { room(1); b[n++] = (byte) v; return this; }
        public Writer u16(int v) { room(2); b[n++] = (byte) (v >>> 8); b[n++] = (byte) v; return this; }
        public Writer u32(long v) { return u16((int) (v >>> 16) & 0xffff).u16((int) v & 0xffff); }
        public Writer u64(long v) { return u32(v >>> 32).u32(v & 0xffffffffL); }
        public Writer uN(long v, int k) { for (int i = k - 1; i >= 0; i--) u8((int) (v >>> (8 * i))); return this; }
        public Writer zeros(int k) { room(k); n += k; return this; }
        public Writer bytes(byte[] src, int off, int len) { room(len); System.arraycopy(src, off, b, n, len); n += len; return this; }
        public Writer bytes(byte[] src) { return bytes(src, 0, src.length); }
        public Writer string(String s, int width) {
            byte[] a = s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int k = Math.min(a.length, width - 1);
            bytes(a, 0, k);
            return zeros(width - k);
        }
        /** Zeros up to the next multiple of 8 counted from start. */
        public Writer pad8(int start) { return zeros((8 - (n - start) % 8) % 8); }

        public int size() { return n; }
        public void put16(int at, int v) { b[at] = (byte) (v >>> 8); b[at + 1] = (byte) v; }
        public void put8(int at, int v) { b[at] = (byte) v; }

        /** The bytes, with the header's length set to the size. */
        public byte[] finish() {
            if (n >= 4) put16(2, n);
            return Arrays.copyOf(b, n);
        }

        public byte[] toBytes() { return Arrays.copyOf(b, n); }
    }
}
