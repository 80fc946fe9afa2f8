package io.xvio.datapath;

import io.xvio.datapath.action.SetField;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The tun_* match fields and set_field targets (issue 16): parsed with OVS's names, printed back, on their key words. */
class TunnelFieldsTest {
    private static String roundTrip(String match) {
        Flow f = FlowParser.parse(match + ",actions=drop");
        return FlowFormat.match(f.match);
    }

    @Test
    void matchFieldsParseAndPrintBack() {
        assertEquals("tun_id=0x64,in_port=10", roundTrip("in_port=10,tun_id=100"));
        assertEquals("tun_id=0x64", roundTrip("tunnel_id=0x64"));
        assertEquals("tun_id=0x64/0xff", roundTrip("tun_id=0x64/0xff"));
        assertEquals("tun_src=172.31.0.2,tun_dst=172.31.0.0/24", roundTrip("tun_dst=172.31.0.0/24,tun_src=172.31.0.2"));
        assertEquals("tun_ipv6_src=fd00:31::2", roundTrip("tun_ipv6_src=fd00:31::2"));
        assertEquals("tun_flags=oam", roundTrip("tun_flags=1/1"), "OVS's notation");
        assertEquals("tun_flags=oam", roundTrip("tun_flags=+oam"));
        assertEquals("tun_flags=0", roundTrip("tun_flags=-oam"));
        // a number, as OVS's parse_flags: the public flag only, and no mask is that flag
        assertEquals("tun_flags=0", roundTrip("tun_flags=0"));
        assertEquals("tun_flags=oam", roundTrip("tun_flags=1"));
        assertEquals("tun_flags=0", roundTrip("tun_flags=0/1"));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("tun_flags=2,actions=drop"), "a private flag");
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("tun_flags=1/3,actions=drop"), "a mask past the public flag");
        assertEquals("tun_metadata0=0xa,tun_metadata7=0x1/0xff", roundTrip("tun_metadata7=1/0xff,tun_metadata0=10"));
        assertEquals("tun_tos=4,tun_ttl=64,tun_tp_src=50000,tun_tp_dst=4789", roundTrip("tun_tp_dst=4789,tun_tp_src=50000,tun_ttl=64,tun_tos=4"));
    }

    @Test
    void fieldsLiveInTheTunnelWordsWithoutClobberingEachOther() {
        Flow f = FlowParser.parse("tun_src=1.2.3.4,tun_dst=5.6.7.8,tun_ttl=9,actions=drop");
        assertEquals(0x01020304_05060708L, f.match.value(FlowKey.TUN_IPV4));
        assertEquals(-1L, f.match.mask(FlowKey.TUN_IPV4));
        assertEquals(9L << 24, f.match.value(FlowKey.TUN_MISC));
        assertEquals(0xffL << 24, f.match.mask(FlowKey.TUN_MISC));
        assertTrue(FlowKey.TUN_ID >= FlowKey.PACKET_WORDS, "metadata words: cleared on receive only when written");
    }

    @Test
    void setFieldWritesTunIdAndTunDst() {
        Flow f = FlowParser.parse("in_port=1,actions=set_field:0x2a->tun_id,set_field:10.0.0.9->tun_dst,output:10");
        assertInstanceOf(SetField.class, f.actions.get(0));
        assertEquals("set_field:0x2a->tun_id,set_field:10.0.0.9->tun_dst,output:10", FlowFormat.actions(f.actions));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=set_field:5->tun_ttl"), "tun_ttl is read-only, as in OVS");
    }
}
