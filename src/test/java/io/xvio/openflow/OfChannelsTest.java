package io.xvio.openflow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An active controller connection against a fake controller on loopback (1 s inactivity probe): hello, an echo
 * request after a silent interval, a disconnect after another, a reconnect after the backoff; fail-open after three
 * intervals without a controller (standalone), left when a controller is back and has spoken; never in secure mode.
 */
@Timeout(60)
class OfChannelsTest {
    /** Reads one whole message (header's length), or null at end of stream. */
    /** The next message that is not an echo request (xvio's inactivity probe), answering none. */
    static byte[] readSkippingEcho(SocketChannel c) throws IOException {
        while (true) {
            byte[] m = read(c);
            org.junit.jupiter.api.Assertions.assertNotNull(m, "connection closed");
            if (m[1] != OfType.ECHO_REQUEST) return m;
        }
    }

    static byte[] read(SocketChannel c) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(8);
        while (h.hasRemaining()) if (c.read(h) < 0) return null;
        int len = h.getShort(2) & 0xffff;
        ByteBuffer m = ByteBuffer.allocate(len);
        m.put(h.array());
        while (m.hasRemaining()) if (c.read(m) < 0) return null;
        return m.array();
    }

    static void write(SocketChannel c, byte[] m) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(m);
        while (b.hasRemaining()) c.write(b);
    }

    private static SocketChannel acceptAndGreet(ServerSocketChannel server) throws IOException {
        SocketChannel c = server.accept();
        byte[] hello = read(c);
        assertNotNull(hello);
        assertEquals(OfType.HELLO, hello[1], "xvio speaks first with a hello");
        write(c, OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
        write(c, new Wire.Writer(OfVersion.OF13, OfType.FEATURES_REQUEST, 1).finish());
        byte[] features = read(c);
        assertEquals(OfType.FEATURES_REPLY, features[1]);
        return c;
    }

    @Test
    void probesReconnectsAndFailsOpen() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            ch.setProbeMillis(1000);
            String target = "tcp:127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort();
            ch.setControllers(List.of(target));
            assertEquals(List.of(target), ch.controllers());

            SocketChannel c = acceptAndGreet(server);
            long silent = System.nanoTime();
            byte[] probe = read(c);
            long after = (System.nanoTime() - silent) / 1_000_000;
            assertEquals(OfType.ECHO_REQUEST, probe[1], "an inactivity probe");
            assertTrue(after >= 900 && after < 3000, "after about one probe interval: " + after + " ms");
            assertNull(read(c), "no echo reply for another interval: xvio hangs up");
            c.close();
            long gone = System.nanoTime();
            while (ch.controllerStatus().getFirst().contains("connected") && System.nanoTime() - gone < 2_000_000_000L) Thread.sleep(20);
            assertTrue(ch.controllerStatus().getFirst().contains("backoff") || ch.controllerStatus().getFirst().contains("connecting"),
                    ch.controllerStatus().toString());

            long lost = System.nanoTime();
            while (sw.failOpen.isEmpty() && System.nanoTime() - lost < 10_000_000_000L) Thread.sleep(50);
            assertEquals(List.of(true), sw.failOpen, "standalone: fail-open three intervals after the controller was lost");

            SocketChannel again = acceptAndGreet(server);           // the backoff's reconnect
            long back = System.nanoTime();
            while (sw.failOpen.size() < 2 && System.nanoTime() - back < 5_000_000_000L) Thread.sleep(50);
            assertEquals(List.of(true, false), sw.failOpen, "a controller back (and heard from) ends fail-open");
            assertTrue(ch.controllerStatus().getFirst().contains("connected, OpenFlow13, role equal"), ch.controllerStatus().toString());
            // answering probes keeps the connection
            long end = System.nanoTime() + 2_500_000_000L;
            while (System.nanoTime() < end) {
                byte[] m = read(again);
                assertNotNull(m, "an answered probe keeps the connection");
                if (m[1] == OfType.ECHO_REQUEST) {
                    Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.ECHO_REPLY, 0);
                    write(again, w.finish());
                }
            }
            ch.setFailMode(OfChannels.FailMode.SECURE);
            ch.setControllers(List.of());
            assertNull(read(again), "del-controller closes the connection");
            again.close();
        }
    }

    @Test
    void secureNeverFailsOpen() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            ch.setProbeMillis(1000);
            ch.setFailMode(OfChannels.FailMode.SECURE);
            ch.setControllers(List.of("unix:/nonexistent/xvio-test.sock"));
            Thread.sleep(3600);
            assertEquals(List.of(), sw.failOpen);
            ch.setFailMode(OfChannels.FailMode.STANDALONE);
            long t = System.nanoTime();
            while (sw.failOpen.isEmpty() && System.nanoTime() - t < 2_000_000_000L) Thread.sleep(50);
            assertEquals(List.of(true), sw.failOpen, "standalone: the three intervals have passed already");
        }
    }
}
