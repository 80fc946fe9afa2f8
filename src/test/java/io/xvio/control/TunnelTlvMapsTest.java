package io.xvio.control;

import io.xvio.datapath.FlowParser;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** add-tlv-map / dump-tlv-map / del-tlv-map per bridge, xvio's limits (tun_metadata0-7, 8 bytes) and OVS's in-use rule. */
class TunnelTlvMapsTest {
    @Test
    void addDumpDeleteWithTheLimitsAndTheInUseRule() {
        TunnelTlvMaps maps = new TunnelTlvMaps();
        Bridge br = new Bridge("br-int");
        String spec = "{class=0x0102,type=0x80,len=4}->tun_metadata0";
        assertEquals("", maps.command("add-tlv-map", br, List.of("add-tlv-map", "br-int", spec)));
        assertTrue(maps.command("dump-tlv-map", br, List.of("dump-tlv-map", "br-int")).contains("0x102  0x80       4  tun_metadata0"),
                maps.command("dump-tlv-map", br, List.of("dump-tlv-map", "br-int")));
        assertTrue(maps.known().known(0x0102, 0x80, 4));
        assertFalse(maps.known().known(0x0102, 0x81, 4));
        assertTrue(new Bridge("other").name.equals("other") && maps.map("other").mappings().isEmpty(), "one map per bridge");
        ControlException e = assertThrows(ControlException.class,
                () -> maps.command("add-tlv-map", br, List.of("add-tlv-map", "br-int", "{class=0x0102,type=0x81,len=12}->tun_metadata1")));
        assertTrue(e.getMessage().contains("up to 8 bytes"), e.getMessage());
        e = assertThrows(ControlException.class,
                () -> maps.command("add-tlv-map", br, List.of("add-tlv-map", "br-int", "{class=0x0102,type=0x81,len=4}->tun_metadata8")));
        assertTrue(e.getMessage().contains("tun_metadata0-7"), e.getMessage());
        e = assertThrows(ControlException.class,
                () -> maps.command("add-tlv-map", br, List.of("add-tlv-map", "br-int", "{class=0x0102,type=0x81,len=4}->tun_metadata0")));
        assertTrue(e.getMessage().startsWith("NXTTMFC_"), e.getMessage());
        br.setFlows(List.of(FlowParser.parse("in_port=2,tun_metadata0=0xa,actions=output:1")));
        e = assertThrows(ControlException.class, () -> maps.command("del-tlv-map", br, List.of("del-tlv-map", "br-int")));
        assertTrue(e.getMessage().contains("NXTTMFC_INVALID_TLV_DEL"), e.getMessage());
        br.setFlows(List.of(FlowParser.parse("in_port=1,actions=set_field:0x5->tun_metadata0,output:2")));   // sets it: in use too
        e = assertThrows(ControlException.class, () -> maps.command("del-tlv-map", br, List.of("del-tlv-map", "br-int", spec)));
        assertTrue(e.getMessage().contains("NXTTMFC_INVALID_TLV_DEL"), e.getMessage());
        br.setFlows(List.of(FlowParser.parse("in_port=1,actions=set_field:0x5->tun_metadata1,output:2")));   // another field
        assertEquals("", maps.command("del-tlv-map", br, List.of("del-tlv-map", "br-int", spec)));
        assertTrue(maps.map("br-int").mappings().isEmpty());
    }
}
