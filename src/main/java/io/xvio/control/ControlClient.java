package io.xvio.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;

/** Sends one request to a running daemon's control socket ({@link ControlProtocol}) and reads its reply. */
public final class ControlClient {
    public record Reply(boolean ok, String text) {}

    /** Connected, but the exchange failed (the daemon went away, or answered something unreadable). */
    public static final class BrokenException extends IOException {
        BrokenException(String message) { super(message); }
    }

    private ControlClient() {}

    /** Throws IOException if the daemon cannot be reached, {@link BrokenException} if the exchange breaks off. */
    public static Reply call(String socket, List<String> args) throws IOException {
        byte[] request = ControlProtocol.encodeRequest(args);
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(Path.of(socket)));
            IOException writeFailed = null;
            try {
                ByteBuffer req = ByteBuffer.wrap(request);
                while (req.hasRemaining()) c.write(req);
            } catch (IOException e) {
                writeFailed = e;   // the daemon may have refused early (request too long) and closed: read why
            }
            try {
                return ControlProtocol.readReply(Channels.newInputStream(c));
            } catch (java.io.EOFException e) {
                throw new BrokenException("the daemon closed the connection without a reply"
                        + (writeFailed != null ? " (sending the request: " + writeFailed.getMessage() + ")" : ""));
            } catch (ControlProtocol.FrameException e) {
                throw new BrokenException(e.getMessage());
            } catch (IOException e) {
                IOException cause = writeFailed != null ? writeFailed : e;
                throw new BrokenException("no reply from the daemon: " + cause.getMessage());
            }
        }
    }
}
