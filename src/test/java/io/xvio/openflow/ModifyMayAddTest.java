package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OpenFlow 1.0 and NXT_FLOW_MOD modifies as OVS applies them (ofproto.c ofproto_flow_mod_init, replace_rule_start;
 * lib/ofp-flow.c ofputil_decode_flow_mod): the header's cookie is the new cookie; a modify that selects nothing adds
 * its flow only if that new cookie is not all-ones and the message does not match on the cookie; a modify with a new
 * cookie other than all-ones gives the flows it selects that cookie. OpenFlow 1.3 modifies neither add nor set a cookie.
 */
class ModifyMayAddTest {
    /** An NXT_FLOW_MOD (OpenFlow 1.0 header) of flow text's match, priority and actions, with header cookie and a cookie match. */
    static byte[] nxFlowMod(String text, int command, long headerCookie, long cookie, long cookieMask) {
        Flow f = FlowParser.parse(text);
        Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 9);
        w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_FLOW_MOD).u64(headerCookie).u16(command).u16(0).u16(0).u16(f.priority)
                .u32(0xffffffffL).u16(0xffff).u16(0);
        Wire.Writer m = new Wire.Writer();
        Oxm.encode(f.match, true, m);
        if (cookieMask != 0) m.u32(1L << 16 | NxMatch.COOKIE_FIELD << 9 | 1 << 8 | 16).u64(cookie).u64(cookieMask);
        byte[] match = m.toBytes();
        w.u16(match.length).zeros(6).bytes(match);
        w.zeros((8 - match.length % 8) % 8);
        OfActions.encodeActions(f.actions, OfVersion.OF10, w);
        return w.finish();
    }

    /** An OpenFlow 1.0 flow_mod of text with header cookie. */
    static byte[] of10FlowMod(String text, int command, long headerCookie) {
        Flow f = FlowParser.parse(text);
        Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.FLOW_MOD, 8);
        Of10Match.encode(f.match, w);
        w.u64(headerCookie).u16(command).u16(0).u16(0).u16(f.priority).u32(0xffffffffL).u16(0xffff).u16(0);
        OfActions.encodeActions(f.actions, OfVersion.OF10, w);
        return w.finish();
    }

    @Test
    void aModifyMatchingOnTheCookieNeverAdds() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF10);
        // ovs-ofctl mod-flows br 'cookie=0x1/-1,actions=drop': NXM with a cookie match, header cookie all-ones
        assertEquals(List.of(), c.handle(nxFlowMod("actions=drop", FlowMod.MODIFY, -1L, 1, -1L)));
        assertEquals(List.of(), c.handle(nxFlowMod("actions=drop", FlowMod.MODIFY_STRICT, -1L, 1, -1L)));
        // a cookie match with a new cookie: still no add (cookie_mask is not 0)
        assertEquals(List.of(), c.handle(nxFlowMod("ip,actions=drop", FlowMod.MODIFY, 7, 1, 0xff)));
        // OpenFlow 1.0 with an all-ones cookie: no new cookie, no add
        assertEquals(List.of(), c.handle(of10FlowMod("in_port=1,actions=drop", FlowMod.MODIFY, -1L)));
        assertEquals(List.of(), OpenFlowCodecTest.connected(sw, OfVersion.OF13).handle(
                OpenFlowCodecTest.flowMod13("in_port=2,actions=drop", FlowMod.MODIFY, OfVersion.OF13)));
        assertEquals(List.of(), FlowStatsView.dump(OpenFlowCodecTest.connected(sw, OfVersion.OF13)), "no modify above added a flow");
    }

    @Test
    void aModifyWithoutACookieMatchAddsWithItsCookie() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF10);
        assertEquals(List.of(), c.handle(nxFlowMod("priority=5,in_port=1,actions=output:2", FlowMod.MODIFY_STRICT, 0x42, 0, 0)));
        assertEquals(List.of(), c.handle(of10FlowMod("priority=6,in_port=2,actions=output:1", FlowMod.MODIFY, 0x43)));
        List<FlowStatsView.Entry> flows = FlowStatsView.dump(OpenFlowCodecTest.connected(sw, OfVersion.OF13));
        assertEquals(List.of(0x43L, 0x42L), flows.stream().map(FlowStatsView.Entry::cookie).toList());
    }

    @Test
    void aModifyWithANewCookieSetsItOnTheFlowsItSelects() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c13 = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        for (String f : List.of("cookie=0x1,priority=5,in_port=1,actions=output:2", "cookie=0x2,priority=6,in_port=2,actions=output:1",
                "cookie=0x3,priority=7,in_port=3,actions=output:1"))
            assertEquals(List.of(), c13.handle(OpenFlowCodecTest.flowMod13(f, FlowMod.ADD, OfVersion.OF13)));
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF10);
        // ovs-ofctl mod-flows br 'in_port=1,cookie=0x11,actions=drop' (OpenFlow 1.0): the flow gets cookie 0x11
        assertEquals(List.of(), c.handle(of10FlowMod("in_port=1,actions=drop", FlowMod.MODIFY, 0x11)));
        // NXM: the flows with cookie 2 get cookie 0x22
        assertEquals(List.of(), c.handle(nxFlowMod("actions=drop", FlowMod.MODIFY, 0x22, 2, -1L)));
        // all-ones: no new cookie, the flow keeps 3
        assertEquals(List.of(), c.handle(nxFlowMod("in_port=3,actions=drop", FlowMod.MODIFY, -1L, 0, 0)));
        // OpenFlow 1.3: the cookie selects, nothing changes it
        assertEquals(List.of(), c13.handle(OpenFlowCodecTest.flowMod13("cookie=0x22,actions=output:3", FlowMod.MODIFY, OfVersion.OF13)));
        List<FlowStatsView.Entry> flows = FlowStatsView.dump(c13);
        assertEquals(List.of(3L, 0x22L, 0x11L), flows.stream().map(FlowStatsView.Entry::cookie).toList());
        assertEquals(3, flows.size());
    }

    @Test
    void anNxmAddMatchingOnTheCookieIsRefused() {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF10);
        List<byte[]> r = c.handle(nxFlowMod("actions=drop", FlowMod.ADD, 0, 1, -1L));
        assertEquals(1, r.size());
        assertEquals("1/256", OfMessages.errorName(r.getFirst()), "NXBRC_NXM_INVALID, NX1.0(1,256)");
    }
}
