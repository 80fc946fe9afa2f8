package io.xvio.openflow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Port status and the async config: a controller connected over loopback gets OFPT_PORT_STATUS when a port is
 * added, goes down and is deleted, unless its OFPT_SET_ASYNC masks say otherwise; get_async reads back OVS's
 * defaults and what was set; bad set_async messages get OVS's errors.
 */
@Timeout(60)
class AsyncMessagesTest {

    private static byte[] next(SocketChannel c) throws Exception { return OfChannelsTest.readSkippingEcho(c); }

    @Test
    void portStatusFollowsPortsAndTheAsyncConfig() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            ch.setControllers(List.of("tcp:127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort()));
            SocketChannel c = server.accept();
            assertEquals(OfType.HELLO, OfChannelsTest.read(c)[1]);
            OfChannelsTest.write(c, OpenFlowCodecTest.hello(OfVersion.OF13, 1 << OfVersion.OF13));
            OfChannelsTest.write(c, new Wire.Writer(OfVersion.OF13, OfType.BARRIER_REQUEST, 1).finish());
            assertEquals(OfType.BARRIER_REPLY, next(c)[1]);
            Thread.sleep(300);                                  // a poll has seen the ports as they are

            synchronized (sw) { sw.ports.add(new OfSwitch.PortInfo(3, "p3", 0, 0, 0, 0, 0, 0)); }
            byte[] add = next(c);
            assertEquals(OfType.PORT_STATUS, add[1]);
            assertEquals(AsyncConfig.PORT_ADD, add[8]);
            Wire.Reader r = new Wire.Reader(add);
            r.skip(16);
            assertEquals(3, r.u32(), "the port's number");
            sw.down.add(3);
            byte[] mod = next(c);
            assertEquals(AsyncConfig.PORT_MODIFY, mod[8]);
            r = new Wire.Reader(mod);
            r.skip(16 + 4 + 4 + 8 + 16 + 4);
            assertEquals(1, r.u32(), "state: OFPPS_LINK_DOWN");

            // the master's port status mask without DELETE: the delete is not sent
            Wire.Writer set = new Wire.Writer(OfVersion.OF13, OfType.SET_ASYNC, 2);
            set.u32(0x3).u32(0).u32(1 << AsyncConfig.PORT_ADD | 1 << AsyncConfig.PORT_MODIFY).u32(0x7).u32(0x1f).u32(0);
            OfChannelsTest.write(c, set.finish());
            OfChannelsTest.write(c, new Wire.Writer(OfVersion.OF13, OfType.GET_ASYNC_REQUEST, 3).finish());
            byte[] got = next(c);
            assertEquals(OfType.GET_ASYNC_REPLY, got[1]);
            r = new Wire.Reader(got);
            r.skip(8);
            assertEquals(List.of(3L, 0L, 5L, 7L, 0x1fL, 0L), List.of(r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()));
            synchronized (sw) { sw.ports.removeIf(p -> p.ofport() == 3); }
            Thread.sleep(400);
            OfChannelsTest.write(c, new Wire.Writer(OfVersion.OF13, OfType.BARRIER_REQUEST, 4).finish());
            assertEquals(OfType.BARRIER_REPLY, next(c)[1], "no port status for the delete");
            c.close();
        }
    }

    @Test
    void getAsyncGivesOvsDefaultsAndSetAsyncChecksProperties() {
        OfConnection c13 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF13);
        Wire.Reader r = new Wire.Reader(c13.handle(new Wire.Writer(OfVersion.OF13, OfType.GET_ASYNC_REQUEST, 1).finish()).getFirst());
        r.skip(8);
        // packet-in: master no_match|action (1.3 has no more reasons), slave none; port status both; flow removed master:
        // OVS's OFPRR13_BITS (idle, hard, delete, group delete: meter delete is 1.4's)
        assertEquals(List.of(3L, 0L, 7L, 7L, 0xfL, 0L), List.of(r.u32(), r.u32(), r.u32(), r.u32(), r.u32(), r.u32()));

        OfConnection c15 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF15);
        Wire.Writer set = new Wire.Writer(OfVersion.OF15, OfType.SET_ASYNC, 2);
        set.u16(5).u16(8).u32(0x1);                                  // master's flow removed: idle only
        assertEquals(List.of(), c15.handle(set.finish()));
        Wire.Reader g = new Wire.Reader(c15.handle(new Wire.Writer(OfVersion.OF15, OfType.GET_ASYNC_REQUEST, 3).finish()).getFirst());
        g.skip(8);
        long[] props = new long[12];
        for (int i = 0; i < 12; i++) {
            assertEquals(i, g.u16());
            assertEquals(8, g.u16());
            props[i] = g.u32();
        }
        assertEquals(0x3b, props[1], "master packet-in: OVS's 1.4 default");
        assertEquals(0x1, props[5], "master flow removed: as set");
        assertEquals(0x7, props[2], "slave port status unchanged");
        assertFalse(c15.wantsAsync(AsyncConfig.FLOW_REMOVED, AsyncConfig.RR_DELETE));

        Wire.Writer bad = new Wire.Writer(OfVersion.OF15, OfType.SET_ASYNC, 4);
        bad.u16(3).u16(8).u32(0x80);
        assertArrayEquals(new int[] {15, 0}, OpenFlowCodecTest.errorOf(c15.handle(bad.finish())), "OFPACFC_INVALID");
        Wire.Writer unknown = new Wire.Writer(OfVersion.OF15, OfType.SET_ASYNC, 5);
        unknown.u16(40).u16(8).u32(0);
        assertArrayEquals(new int[] {15, 1}, OpenFlowCodecTest.errorOf(c15.handle(unknown.finish())), "OFPACFC_UNSUPPORTED");
        Wire.Writer shortLegacy = new Wire.Writer(OfVersion.OF13, OfType.SET_ASYNC, 6);
        shortLegacy.u32(1);
        assertArrayEquals(new int[] {1, 6}, OpenFlowCodecTest.errorOf(c13.handle(shortLegacy.finish())), "OFPBRC_BAD_LEN");
        // Nicira's set_async_config on OpenFlow 1.0: a slave that asks for packet-ins gets them
        OfConnection c10 = new OfConnection(null, new MemorySwitch(), "test", System.nanoTime(), null, true);
        c10.handle(OpenFlowCodecTest.hello(OfVersion.OF10, 0));
        Wire.Writer nx = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 7);
        nx.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_SET_ASYNC_CONFIG).u32(0).u32(0x1).u32(7).u32(7).u32(0).u32(0);
        assertEquals(List.of(), c10.handle(nx.finish()));
        assertFalse(c10.wantsAsync(AsyncConfig.PACKET_IN, 0), "master/equal: no packet-ins");
        c10.demote();
        assertTrue(c10.wantsAsync(AsyncConfig.PACKET_IN, 0), "slave: no_match packet-ins");
        assertFalse(c10.wantsAsync(AsyncConfig.PACKET_IN, 1));
    }
}
