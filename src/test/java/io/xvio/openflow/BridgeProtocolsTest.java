package io.xvio.openflow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A bridge's OpenFlow identity as OVSDB sets it: the versions its connections may negotiate (Bridge protocols), the
 * datapath id of its features replies (other_config:datapath-id), and its controllers' state as OVS writes the
 * Controller row (is_connected, role, status: state, sec_since_connect/disconnect, last_error).
 */
@Timeout(60)
class BridgeProtocolsTest {
    private static String text(byte[] error) {
        return new String(error, 12, error.length - 12, StandardCharsets.US_ASCII);
    }

    @Test
    void onlyTheBridgesVersionsAreNegotiated() {
        MemorySwitch sw = new MemorySwitch();
        try (OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            ch.setVersions(1 << OfVersion.OF13);
            OfConnection of10 = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            List<byte[]> r = of10.handle(OpenFlowCodecTest.hello(OfVersion.OF10, 0));
            assertEquals(1, r.size());
            assertEquals(OfType.ERROR, r.getFirst()[1], "an OpenFlow 1.0 peer gets the hello-failed error");
            assertEquals("We support version 0x04", text(r.getFirst()));
            assertTrue(of10.closing, "and the connection ends");
            assertEquals(-1, of10.version());

            OfConnection bitmap10 = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            bitmap10.handle(OpenFlowCodecTest.hello(OfVersion.OF10, 1 << OfVersion.OF10));
            assertTrue(bitmap10.closing, "a bitmap without 1.3: refused");

            OfConnection all = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            assertEquals(List.of(), all.handle(OpenFlowCodecTest.hello(OfVersion.OF15, OfVersion.BITMAP)));
            assertEquals(OfVersion.OF13, all.version(), "a peer offering everything gets the bridge's one version");
            OfConnection header15 = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            header15.handle(OpenFlowCodecTest.hello(OfVersion.OF15, 0));
            assertEquals(OfVersion.OF13, header15.version(), "no bitmap: every version up to the header's, as OVS reads it");

            byte[] hello = OfConnection.helloMessage(ch.versions());
            assertEquals(OfVersion.OF13, hello[0], "xvio's hello offers the highest allowed version");
            assertEquals(1 << OfVersion.OF13, ByteBuffer.wrap(hello, 12, 4).getInt(), "and the allowed bitmap");

            ch.setVersions(OfVersion.BITMAP);
            OfConnection back = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            assertEquals(List.of(), back.handle(OpenFlowCodecTest.hello(OfVersion.OF10, 0)));
            assertEquals(OfVersion.OF10, back.version(), "the default set again: 1.0 is accepted");
            assertEquals("We support versions 0x01, 0x04, 0x05 and 0x06", OfConnection.supportText(OfVersion.BITMAP));
        }
    }

    @Test
    void theFeaturesReplyCarriesTheConfiguredDatapathId() {
        MemorySwitch sw = new MemorySwitch();
        try (OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            assertEquals(OfChannels.defaultDatapathId("br0"), ch.datapathId());
            ch.setDatapathId(0x0123456789abcdefL);
            OfConnection c = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            c.handle(OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
            byte[] f = c.handle(new Wire.Writer(OfVersion.OF13, OfType.FEATURES_REQUEST, 7).finish()).getFirst();
            assertEquals(OfType.FEATURES_REPLY, f[1]);
            assertEquals(0x0123456789abcdefL, ByteBuffer.wrap(f, 8, 8).getLong());
            ch.setDatapathId(0);
            assertEquals(OfChannels.defaultDatapathId("br0"), ch.datapathId(), "0: the bridge's own again");
        }
    }

    private static ControllerInfo waitFor(OfChannels ch, int i, java.util.function.Predicate<ControllerInfo> p) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        ControllerInfo info = ch.controllerInfo().get(i);
        while (!p.test(info) && System.nanoTime() < end) {
            Thread.sleep(20);
            info = ch.controllerInfo().get(i);
        }
        assertTrue(p.test(info), info.toString());
        return info;
    }

    @Test
    void controllerStateAsOvsWritesTheControllerRow() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        int closedPort;
        try (ServerSocketChannel s = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            closedPort = ((InetSocketAddress) s.getLocalAddress()).getPort();
        }
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            String up = "tcp:127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort(), down = "tcp:127.0.0.1:" + closedPort;
            ch.setControllers(List.of(up, down));
            SocketChannel c = server.accept();
            assertEquals(OfType.HELLO, OfChannelsTest.read(c)[1]);
            OfChannelsTest.write(c, OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
            ControllerInfo info = waitFor(ch, 0, ControllerInfo::connected);
            assertEquals(up, info.target());
            assertEquals("other", info.role(), "OVS's name for the equal role");
            assertEquals("ACTIVE", info.status(System.currentTimeMillis()).get("state"));
            assertEquals("0", info.status(System.currentTimeMillis()).get("sec_since_connect"));
            assertFalse(info.status(System.currentTimeMillis()).containsKey("sec_since_disconnect"), "never disconnected");
            assertEquals("2", info.status(info.connectedAtMillis() + 2500).get("sec_since_connect"), "whole seconds");

            ControllerInfo refused = waitFor(ch, 1, i -> i.lastError() != null);
            assertFalse(refused.connected());
            assertEquals("other", refused.role());
            assertEquals("Connection refused", refused.status(System.currentTimeMillis()).get("last_error"));
            assertTrue(List.of("BACKOFF", "CONNECTING").contains(refused.state()), refused.toString());
            assertTrue(refused.status(System.currentTimeMillis()).containsKey("sec_since_disconnect"));

            OfChannelsTest.write(c, new Wire.Writer(OfVersion.OF13, OfType.ROLE_REQUEST, 2).u32(OfConnection.ROLE_MASTER).zeros(4).u64(1).finish());
            assertEquals(OfType.ROLE_REPLY, OfChannelsTest.readSkippingEcho(c)[1]);
            waitFor(ch, 0, i -> i.role().equals("master"));

            c.close();
            ControllerInfo gone = waitFor(ch, 0, i -> !i.connected());
            assertEquals("End of file", gone.lastError(), "the controller closed it (nothing left unread: no reset)");
            assertEquals("other", gone.role());
            Long.parseLong(gone.status(System.currentTimeMillis()).get("sec_since_disconnect"));
            assertTrue(gone.status(System.currentTimeMillis()).containsKey("sec_since_connect"), "kept after the disconnect, as OVS's");
        }
    }
}
