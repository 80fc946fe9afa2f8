package io.xvio.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.io.ByteArrayOutputStream;
import java.util.List;

/** Sends one request to a running daemon's control socket. */
public final class ControlClient {
    public record Reply(boolean ok, String text) {}

    private ControlClient() {}

    public static Reply call(String socket, List<String> args) throws IOException {
        try (SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            c.connect(UnixDomainSocketAddress.of(Path.of(socket)));
            ByteBuffer req = ByteBuffer.wrap((String.join("\t", args) + "\n").getBytes(StandardCharsets.UTF_8));
            while (req.hasRemaining()) c.write(req);
            c.shutdownOutput();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(8192);
            while (c.read(buf) >= 0) {
                bytes.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            String all = bytes.toString(StandardCharsets.UTF_8);
            if (all.startsWith("OK\n")) return new Reply(true, all.substring(3));
            if (all.startsWith("ERROR ")) return new Reply(false, all.substring(6).strip());
            return new Reply(false, "malformed reply from daemon: " + all);
        }
    }
}
