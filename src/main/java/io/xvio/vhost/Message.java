package io.xvio.vhost;

import io.xvio.sys.Fd;
import io.xvio.sys.UnixSocket;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One vhost-user message: a 12-byte header (request, flags, size), a payload and the fds that came with it.
 * Reading checks the header before touching the payload; the largest payload accepted is {@link #MAX_PAYLOAD}.
 */
public final class Message {
    public static final int HEADER = 12;
    public static final int VERSION = 0x1, VERSION_MASK = 0x3, FLAG_REPLY = 0x4, FLAG_NEED_REPLY = 0x8;
    /** Larger than any request xvio handles (SET_MEM_TABLE with 8 regions is 264 bytes). */
    public static final int MAX_PAYLOAD = 4096;

    public final int request;
    public final int flags;
    public final ByteBuffer payload;   // little-endian, position 0
    public final int[] fds;

    public Message(int request, int flags, ByteBuffer payload, int[] fds) {
        this.request = request;
        this.flags = flags;
        this.payload = payload;
        this.fds = fds;
    }

    public int size() { return payload.limit(); }

    public boolean needReply() { return (flags & FLAG_NEED_REPLY) != 0; }

    /** Closes fds the handler did not take (it sets taken entries to -1). */
    public void closeFds() {
        for (int i = 0; i < fds.length; i++) {
            if (fds[i] >= 0) Fd.closeQuietly(fds[i]);
            fds[i] = -1;
        }
    }

    /** Reads one message; null if the peer closed cleanly between messages. */
    public static Message read(UnixSocket s) {
        byte[] hdr = new byte[HEADER];
        int[] fds = new int[UnixSocket.MAX_FDS];
        int nfds = s.recvFully(hdr, HEADER, fds);
        if (nfds < 0) return null;
        ByteBuffer h = ByteBuffer.wrap(hdr).order(ByteOrder.LITTLE_ENDIAN);
        int request = h.getInt(0), flags = h.getInt(4), size = h.getInt(8);
        int[] got = java.util.Arrays.copyOf(fds, nfds);
        if ((flags & VERSION_MASK) != VERSION) {
            closeAll(got);
            throw new ProtocolError("message " + Request.name(request) + " has version " + (flags & VERSION_MASK) + ", expected 1");
        }
        if (size < 0 || size > MAX_PAYLOAD) {
            closeAll(got);
            throw new ProtocolError("message " + Request.name(request) + " announces a payload of " + Integer.toUnsignedString(size) + " bytes (at most " + MAX_PAYLOAD + ")");
        }
        byte[] body = new byte[size];
        if (size > 0) {
            int[] extra = new int[UnixSocket.MAX_FDS];
            int more = s.recvFully(body, size, extra);
            if (more < 0) {
                closeAll(got);
                throw new ProtocolError("connection closed after the header of " + Request.name(request));
            }
            if (more > 0) {
                closeAll(got);
                for (int i = 0; i < more; i++) Fd.closeQuietly(extra[i]);
                throw new ProtocolError("file descriptors arrived with the payload of " + Request.name(request) + ", not with its header");
            }
        }
        return new Message(request, flags, ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN), got);
    }

    private static void closeAll(int[] fds) {
        for (int fd : fds) Fd.closeQuietly(fd);
    }

    /** Encodes a message (header + payload) for sending. */
    public static byte[] encode(int request, int flags, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(request).putInt(flags).putInt(payload.length).put(payload);
        return b.array();
    }

    public static byte[] u64(long v) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
    }

    public static byte[] state(int index, int num) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(index).putInt(num).array();
    }
}
