package io.xvio.sys;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Listening sockets take a path only if nothing is there or a stale socket is: files and live sockets are refused. */
class SocketFileTest {
    @TempDir Path dir;

    @Test
    void aFileThatIsNotASocketIsRefusedAndKept() throws Exception {
        Path file = dir.resolve("precious");
        Files.writeString(file, "data");
        var e = assertThrows(SocketFile.RefusedException.class, () -> UnixServerSocket.listen(file.toString()));
        assertEquals(file + " exists and is not a socket (a regular file): refusing to replace it", e.getMessage());
        assertEquals("data", Files.readString(file));
        Path sub = Files.createDirectory(dir.resolve("sub"));
        assertTrue(assertThrows(SocketFile.RefusedException.class, () -> SocketFile.claim(sub.toString())).getMessage().contains("(a directory)"));
        Path link = Files.createSymbolicLink(dir.resolve("link"), file);
        assertTrue(assertThrows(SocketFile.RefusedException.class, () -> SocketFile.claim(link.toString())).getMessage().contains("(a symbolic link)"));
        assertEquals("data", Files.readString(file));
    }

    @Test
    void aSocketSomeoneListensOnIsRefusedAndKeepsWorking() throws Exception {
        String path = dir.resolve("live.sock").toString();
        try (UnixServerSocket first = UnixServerSocket.listen(path)) {
            var e = assertThrows(SocketFile.RefusedException.class, () -> UnixServerSocket.listen(path));
            assertEquals("another xvio (or program) is listening on " + path, e.getMessage());
            try (UnixSocket _ = UnixSocket.connect(path); UnixSocket accepted = first.accept(2000)) {
                assertNotNull(accepted, "the first listener still accepts");
            }
        }
        assertFalse(Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS), "removed on close");
    }

    @Test
    void aStaleSocketIsReplaced() throws Exception {
        Path p = dir.resolve("stale.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(p));     // closed without removing its file, as after a crash
        }
        try (UnixServerSocket again = UnixServerSocket.listen(p.toString())) {
            try (UnixSocket _ = UnixSocket.connect(p.toString()); UnixSocket accepted = again.accept(2000)) {
                assertNotNull(accepted);
            }
        }
    }

    @Test
    void closingLeavesASocketSomeoneElseMadeSinceAlone() throws Exception {
        Path p = dir.resolve("moved.sock");
        UnixServerSocket mine = UnixServerSocket.listen(p.toString());
        Files.delete(p);                                // an operator removed it and another program listens there now
        try (ServerSocketChannel theirs = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            theirs.bind(UnixDomainSocketAddress.of(p));
            mine.close();
            assertTrue(Files.exists(p, LinkOption.NOFOLLOW_LINKS), "the other program's socket is still there");
        }
    }
}
