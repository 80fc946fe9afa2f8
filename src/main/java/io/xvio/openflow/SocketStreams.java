package io.xvio.openflow;

import javax.net.ssl.SSLSocket;
import java.net.Socket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * An OpenFlow connection's bytes over a blocking {@link Socket}: a {@link ByteChannel} over its streams, as
 * {@link OfConnection} reads a socket (one reader thread; writers serialised by the connection). For TLS the socket
 * is a handshaken {@link SSLSocket}; for ptcp: a plain one. Closing it closes the socket, which ends a read blocked
 * in another thread.
 */
final class SocketStreams implements ByteChannel {
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private volatile boolean open = true;

    SocketStreams(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    Socket socket() { return socket; }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!open) throw new ClosedChannelException();
        if (!dst.hasRemaining()) return 0;
        if (dst.hasArray()) {
            int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) dst.position(dst.position() + n);
            return n;
        }
        byte[] b = new byte[Math.min(dst.remaining(), 16384)];
        int n = in.read(b);
        if (n > 0) dst.put(b, 0, n);
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!open) throw new ClosedChannelException();
        int n = src.remaining();
        if (src.hasArray()) {
            out.write(src.array(), src.arrayOffset() + src.position(), n);
            src.position(src.limit());
        } else {
            byte[] b = new byte[n];
            src.get(b);
            out.write(b);
        }
        out.flush();
        return n;
    }

    @Override public boolean isOpen() { return open && !socket.isClosed(); }

    @Override
    public void close() throws IOException {
        open = false;
        socket.close();
    }
}
