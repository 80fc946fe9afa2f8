package io.xvio.control;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The daemon's local control socket. Protocol: the client sends one request line (arguments separated by
 * tabs) and half-closes; the server answers "OK\n" or "ERROR <message>\n", then the output, and closes.
 * Requests are untrusted: a line longer than 64 KiB or a command that fails gets an ERROR, never a crash.
 */
final class ControlServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.control");
    static final int MAX_REQUEST = 65536;

    private final Path path;
    private final Function<List<String>, String> handler;
    private final ServerSocketChannel server;
    private final Thread thread;
    private volatile boolean running = true;

    ControlServer(String path, Function<List<String>, String> handler) {
        this.path = Path.of(path);
        this.handler = handler;
        try {
            if (this.path.getParent() != null) Files.createDirectories(this.path.getParent());
            Files.deleteIfExists(this.path);
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(this.path));
        } catch (IOException e) {
            throw new ConfigException("cannot create control socket " + path + ": " + e);
        }
        thread = Thread.ofPlatform().daemon().name("control").unstarted(this::run);
    }

    void start() { thread.start(); }

    private void run() {
        while (running) {
            try (SocketChannel c = server.accept()) {
                serve(c);
            } catch (IOException e) {
                if (running) LOG.log(Level.WARNING, "control socket: " + e.getMessage());
            }
        }
    }

    private void serve(SocketChannel c) throws IOException {
        ByteBuffer in = ByteBuffer.allocate(MAX_REQUEST);
        while (in.hasRemaining()) {
            int n = c.read(in);
            if (n < 0) break;
            if (containsNewline(in)) break;
        }
        String reply;
        String line = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8);
        int nl = line.indexOf('\n');
        if (nl < 0 && !in.hasRemaining()) {
            reply = "ERROR request longer than " + MAX_REQUEST + " bytes\n";
        } else {
            if (nl >= 0) line = line.substring(0, nl);
            List<String> args = new ArrayList<>(List.of(line.split("\t", -1)));
            args.removeIf(String::isEmpty);
            try {
                String out = handler.apply(args);
                reply = "OK\n" + out;
            } catch (ControlException | IllegalArgumentException e) {
                LOG.info("control request \"" + String.join(" ", args) + "\" failed: " + e.getMessage());
                reply = "ERROR " + e.getMessage() + "\n";
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "control request \"" + String.join(" ", args) + "\" failed", e);
                reply = "ERROR internal error: " + e + "\n";
            }
        }
        ByteBuffer out = ByteBuffer.wrap(reply.getBytes(StandardCharsets.UTF_8));
        while (out.hasRemaining()) c.write(out);
    }

    private static boolean containsNewline(ByteBuffer b) {
        for (int i = 0; i < b.position(); i++) if (b.get(i) == '\n') return true;
        return false;
    }

    @Override
    public void close() {
        running = false;
        try {
            server.close();
        } catch (IOException ignored) {
        }
        try {
            thread.join(2000);
            Files.deleteIfExists(path);
        } catch (IOException | InterruptedException ignored) {
        }
    }
}
