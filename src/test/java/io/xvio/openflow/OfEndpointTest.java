package io.xvio.openflow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The BRIDGE.mgmt socket: several clients at once, a broken one closed without disturbing the others. */
class OfEndpointTest {

    static SocketChannel connect(Path p) throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(p));
        return c;
    }

    static byte[] read(SocketChannel c) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(8);
        while (h.hasRemaining()) if (c.read(h) < 0) return null;
        ByteBuffer m = ByteBuffer.allocate(h.getShort(2) & 0xffff);
        m.put(h.array());
        while (m.hasRemaining()) if (c.read(m) < 0) return null;
        return m.array();
    }

    static void write(SocketChannel c, byte[] m) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(m);
        while (b.hasRemaining()) c.write(b);
    }

    @Test
    void clientsAreServedSideBySideAndABadOneIsClosedAlone(@TempDir Path dir) throws Exception {
        String control = dir.resolve("ctl.sock").toString();
        MemorySwitch sw = new MemorySwitch();
        try (OfEndpoint e = OfEndpoint.start(control, sw)) {
            Path p = dir.resolve("br0.mgmt");
            assertEquals(p, e.path());
            assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
            List<SocketChannel> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                SocketChannel c = connect(p);
                clients.add(c);
                byte[] hello = read(c);
                assertEquals(OfType.HELLO, hello[1]);
                assertEquals(OfVersion.OF15, hello[0]);
                write(c, OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
            }
            // a header claiming 4 bytes: that connection closes
            SocketChannel bad = clients.get(2);
            write(bad, new byte[] {4, OfType.ECHO_REQUEST, 0, 4, 0, 0, 0, 1});
            assertNull(read(bad));
            for (int i = 0; i < 5; i++) {
                if (i == 2) continue;
                SocketChannel c = clients.get(i);
                Wire.Writer echo = new Wire.Writer(OfVersion.OF13, OfType.ECHO_REQUEST, 100 + i);
                echo.u32(0xdeadbeefL);
                write(c, echo.finish());
                byte[] r = read(c);
                assertEquals(OfType.ECHO_REPLY, r[1]);
                assertEquals(100 + i, r[7]);
                assertEquals(12, r.length);
            }
            for (SocketChannel c : clients) c.close();
        }
        assertFalse(Files.exists(dir.resolve("br0.mgmt")), "removed on close");
    }
}
