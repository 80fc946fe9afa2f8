package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OFPT_FLOW_REMOVED: a flow added with send_flow_rem is reported when a flow_mod deletes it (OFPRR_DELETE), when a
 * group delete takes it (OFPRR_GROUP_DELETE) and when it times out (idle or hard); a flow without the flag is not.
 */
@Timeout(60)
class FlowRemovedTest {

    private static byte[] next(SocketChannel c) throws Exception { return OfChannelsTest.readSkippingEcho(c); }

    private static byte[] withFlowRem(byte[] flowMod) {
        byte[] m = flowMod.clone();
        m[45] = FlowMod.SEND_FLOW_REM;
        return m;
    }

    private static void barrier(SocketChannel c, int xid) throws Exception {
        OfChannelsTest.write(c, new Wire.Writer(OfVersion.OF13, OfType.BARRIER_REQUEST, xid).finish());
    }

    @Test
    void deletesGroupDeletesAndTimeoutsAreReported() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
             OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            ch.setControllers(List.of("tcp:127.0.0.1:" + ((InetSocketAddress) server.getLocalAddress()).getPort()));
            SocketChannel c = server.accept();
            assertEquals(OfType.HELLO, OfChannelsTest.read(c)[1]);
            int v = OfVersion.OF13;
            OfChannelsTest.write(c, OpenFlowCodecTest.hello(v, 1 << v));
            OfChannelsTest.write(c, withFlowRem(OpenFlowCodecTest.flowMod13("cookie=0x77,priority=100,in_port=1,actions=output:2", FlowMod.ADD, v)));
            OfChannelsTest.write(c, OpenFlowCodecTest.flowMod13("priority=90,in_port=1,actions=output:2", FlowMod.ADD, v));
            OfChannelsTest.write(c, OpenFlowCodecTest.flowMod13("in_port=1,actions=drop", FlowMod.DELETE, v));
            byte[] fr = next(c);
            assertEquals(OfType.FLOW_REMOVED, fr[1], "only the flow with send_flow_rem is reported");
            Wire.Reader r = new Wire.Reader(fr);
            r.skip(8);
            assertEquals(0x77, r.u64(), "cookie");
            assertEquals(100, r.u16(), "priority");
            assertEquals(AsyncConfig.RR_DELETE, r.u8(), "reason");
            barrier(c, 9);
            assertEquals(OfType.BARRIER_REPLY, next(c)[1], "nothing for the flow without send_flow_rem");

            OfChannelsTest.write(c, GroupModTest.groupMod("group_id=1,type=all,bucket=output:1", GroupMod.ADD, v));
            OfChannelsTest.write(c, withFlowRem(OpenFlowCodecTest.flowMod13("priority=5,actions=group:1", FlowMod.ADD, v)));
            Wire.Writer del = new Wire.Writer(v, OfType.GROUP_MOD, 3);
            del.u16(GroupMod.DELETE).u8(0).u8(0).u32(1);
            OfChannelsTest.write(c, del.finish());
            fr = next(c);
            assertEquals(OfType.FLOW_REMOVED, fr[1]);
            assertEquals(AsyncConfig.RR_GROUP_DELETE, fr[8 + 10]);

            OfChannelsTest.write(c, withFlowRem(OpenFlowCodecTest.flowMod13("priority=6,hard_timeout=1,actions=drop", FlowMod.ADD, v)));
            barrier(c, 10);
            assertEquals(OfType.BARRIER_REPLY, next(c)[1]);
            Thread.sleep(1100);
            List<io.xvio.datapath.Flow> gone = sw.flows().stream().filter(f -> f.expired(System.nanoTime())).toList();
            assertEquals(1, gone.size());
            ch.flowsExpired(gone);                       // as control.Bridge.expire tells it
            fr = next(c);
            assertEquals(OfType.FLOW_REMOVED, fr[1]);
            assertEquals(AsyncConfig.RR_HARD, fr[8 + 10]);
            c.close();
        }
    }

    @Test
    void everyVersionsLayout() {
        var f = FlowParser.parse("table=3,cookie=0x5,priority=7,idle_timeout=9,ip,nw_src=10.0.0.1,actions=drop");
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            byte[] m = FlowRemoved.encode(f, AsyncConfig.RR_METER_DELETE, v, false, System.nanoTime());
            assertEquals(m.length, ((m[2] & 0xff) << 8) | (m[3] & 0xff));
            assertEquals(v, m[0]);
            int reason = switch (v) {
                case OfVersion.OF10 -> m[8 + 40 + 10];
                case OfVersion.OF15 -> m[9];
                default -> m[8 + 10];
            };
            assertEquals(v >= OfVersion.OF14 ? AsyncConfig.RR_METER_DELETE : AsyncConfig.RR_DELETE, reason, "a meter delete before 1.4 is a delete");
        }
        byte[] nx = FlowRemoved.encode(FlowParser.parse("ipv6,ipv6_src=2001:db8::1,actions=drop"), AsyncConfig.RR_IDLE, OfVersion.OF10, false, System.nanoTime());
        assertEquals(OfType.VENDOR, nx[1], "a match 1.0 cannot hold goes as NXT_FLOW_REMOVED");
        assertEquals(0, nx.length % 8);
    }
}
