package io.xvio.e2e;

import io.xvio.openflow.OfMessages;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * A bare OpenFlow connection to a switch's management socket (OVS's BRIDGE.mgmt, or xvio's), for sending bytes that
 * ovs-ofctl would check and refuse before they left it: hello at one version, then messages each followed by a barrier.
 */
final class RawOfChannel implements AutoCloseable {
    private static final long TIMEOUT_MS = 5000;
    private final SocketChannel ch;
    private final Selector sel;
    private final int version;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16);
    private int xid = 100;

    private RawOfChannel(SocketChannel ch, int version) throws IOException {
        this.ch = ch;
        this.version = version;
        ch.configureBlocking(false);
        sel = Selector.open();
        ch.register(sel, SelectionKey.OP_READ);
        in.flip();
    }

    static RawOfChannel open(Path socket, int version) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        RawOfChannel c = new RawOfChannel(ch, version);
        c.write(OfMessages.hello(version));
        byte[] hello = c.read();
        if (hello[1] != 0) throw new IOException("expected a hello, got message type " + hello[1]);
        return c;
    }

    int nextXid() { return ++xid; }

    /** Sends m and a barrier: the name of the error m got ({@link OfMessages#errorName}), or null if none came before the barrier reply. */
    String verdict(byte[] m) throws IOException {
        write(m);
        int barrier = nextXid();
        write(OfMessages.barrier(version, barrier));
        String error = null;
        while (true) {
            byte[] r = read();
            if (r[1] == 1 && error == null) error = OfMessages.errorName(r);
            else if (OfMessages.isBarrierReply(r)) return error;
        }
    }

    private void write(byte[] m) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(m);
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (b.hasRemaining()) {
            if (ch.write(b) == 0) {
                if (System.currentTimeMillis() > deadline) throw new IOException("the switch takes no more bytes");
                Thread.onSpinWait();
            }
        }
    }

    /** The next whole message. */
    private byte[] read() throws IOException {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (true) {
            if (in.remaining() >= 4) {
                int len = in.getShort(in.position() + 2) & 0xffff;
                if (len < 8) throw new IOException("message length " + len);
                if (in.remaining() >= len) {
                    byte[] m = new byte[len];
                    in.get(m);
                    return m;
                }
            }
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) throw new IOException("no answer from the switch in " + TIMEOUT_MS + " ms");
            sel.select(left);
            sel.selectedKeys().clear();
            in.compact();
            int n = ch.read(in);
            in.flip();
            if (n < 0) throw new IOException("the switch closed the connection");
        }
    }

    @Override public void close() throws IOException {
        sel.close();
        ch.close();
    }
}
