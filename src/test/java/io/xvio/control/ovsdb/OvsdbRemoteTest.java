package io.xvio.control.ovsdb;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** --ovsdb's remotes as OVS names them, the ones xvio refuses, and a TCP connection on loopback. */
class OvsdbRemoteTest {
    @Test
    void remotes() {
        assertEquals(Path.of("/var/run/openvswitch/db.sock"), OvsdbRemote.parse("unix:/var/run/openvswitch/db.sock").unixPath());
        OvsdbRemote t = OvsdbRemote.parse("tcp:127.0.0.1:6640");
        assertEquals("127.0.0.1", t.tcp().getHostString());
        assertEquals(6640, t.tcp().getPort());
        assertEquals("::1", OvsdbRemote.parse("tcp:[::1]:6640").tcp().getHostString());
        for (String bad : new String[] {"unix:", "tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp:h:x", "/var/run/db.sock", "punix:/x", "ssl:1.2.3.4:6640"})
            assertThrows(IllegalArgumentException.class, () -> OvsdbRemote.parse(bad), bad);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> OvsdbRemote.parse("ptcp:6640")).getMessage().contains("xvio connects to ovsdb-server"));
    }

    @Test
    void connectsOverTcp() throws Exception {
        try (ServerSocketChannel s = ServerSocketChannel.open()) {
            s.bind(new InetSocketAddress("127.0.0.1", 0));
            int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
            try (SocketChannel c = OvsdbRemote.parse("tcp:127.0.0.1:" + port).connect(); SocketChannel peer = s.accept()) {
                assertTrue(c.isConnected() && peer.isConnected());
            }
        }
    }
}
