package io.xvio.openflow;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Outputs;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * controller(id=N) with NXT_SET_CONTROLLER_ID, as OVS's connmgr: a packet-in goes only to the connections whose
 * controller id is the action's (0 for both by default), over a bridge's real socket and packet-in path.
 */
@Timeout(60)
class ControllerIdTest {
    /** A client of BRIDGE.mgmt that takes packet-ins (miss_send_len set) as controller id; its packet-ins' first data byte. */
    static final class Client implements AutoCloseable {
        final SocketChannel ch;
        final LinkedBlockingQueue<byte[]> packetIns = new LinkedBlockingQueue<>();
        /** The other messages it read (echo replies ...). */
        final LinkedBlockingQueue<byte[]> others = new LinkedBlockingQueue<>();

        Client(Path sock, int id) throws Exception {
            this(unix(sock), id, true);
        }

        static SocketChannel unix(Path sock) throws java.io.IOException {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(sock));
            return ch;
        }

        /** Over ch, with the handshake done by the caller (another version, say); call startReading. */
        Client(SocketChannel ch) { this.ch = ch; }

        /** Over a connected ch; reading: whether it reads what comes after the handshake (false: a stuck controller). */
        Client(SocketChannel ch, int id, boolean reading) throws Exception {
            this.ch = ch;
            OfChannelsTest.write(ch, OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
            assertEquals(OfType.HELLO, OfChannelsTest.read(ch)[1]);
            OfChannelsTest.write(ch, new Wire.Writer(OfVersion.OF13, OfType.SET_CONFIG, 2).u16(0).u16(0xffff).finish());
            if (id != 0) {
                Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.VENDOR, 3);
                w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_SET_CONTROLLER_ID).zeros(6).u16(id);
                OfChannelsTest.write(ch, w.finish());
            }
            OfChannelsTest.write(ch, new Wire.Writer(OfVersion.OF13, OfType.BARRIER_REQUEST, 4).finish());
            assertEquals(OfType.BARRIER_REPLY, OfChannelsTest.read(ch)[1], "no error: the id was taken");
            if (reading) startReading();
        }

        /** Reads from now on (a stuck controller that recovers). */
        void startReading() {
            Thread.ofVirtual().start(() -> {
                try {
                    for (byte[] m; (m = OfChannelsTest.read(ch)) != null; )
                        (m[1] == OfType.PACKET_IN ? packetIns : others).add(m);
                } catch (Exception ignored) { }
            });
        }

        @Override public void close() throws Exception { ch.close(); }
    }

    @Test
    void packetInsGoToTheConnectionsOfTheirControllerId(@TempDir Path dir) throws Exception {
        BridgeDatapath dp = new BridgeDatapath("br0");
        dp.install(new int[] {1, 2}, List.of());
        MemorySwitch sw = new MemorySwitch();
        sw.packetIns = dp.packetIns();
        try (OfChannels chs = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, chs);
             Client zero = new Client(e.path(), 0); Client five = new Client(e.path(), 5)) {
            for (int k = 0; k < 100 && !dp.packetIns().wanted(); k++) Thread.sleep(20);
            byte[] frame = new byte[60];
            frame[12] = (byte) 0x88;
            frame[13] = (byte) 0xb5;
            dp.packetOut(0xfffd, frame, FlowParser.parseActionList("controller(id=5),controller,controller(id=7)"), new PacketBatch(), new Outputs(4), -1, System.nanoTime());
            assertNotNull(five.packetIns.poll(5, TimeUnit.SECONDS), "id 5's packet-in");
            assertNotNull(zero.packetIns.poll(5, TimeUnit.SECONDS), "the plain action's");
            Thread.sleep(300);
            assertEquals(0, five.packetIns.size(), "nothing else for id 5");
            assertEquals(0, zero.packetIns.size(), "nothing else for id 0 (no connection has id 7)");
        }
    }
}
