package io.xvio.datapath;

import io.xvio.datapath.tunnel.*;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * OVS's present bit for tun_metadata (lib/tun-metadata.c: a match on a field sets its bit in the match's present map,
 * a received option or a write sets it in the flow's): {@code tun_metadata0=0} matches a Geneve packet whose mapped
 * option is there with data 0, not one without the option (nor a VXLAN packet), also from the megaflow cache; a
 * {@code /0} mask still asks for the option; {@code set_field:0->tun_metadata0} makes the field present.
 */
class TunMetadataPresentTest {
    static final long PRESENT0 = 1L << FlowKey.TUN_METADATA_PRESENT;

    @Test
    void aMatchAsksForTheOptionToBePresent() {
        Flow exact = FlowParser.parse("in_port=2,tun_metadata0=0,actions=drop");
        assertEquals(PRESENT0, exact.match.mask(FlowKey.TUN_MISC) & PRESENT0);
        assertEquals(PRESENT0, exact.match.value(FlowKey.TUN_MISC) & PRESENT0);
        assertTrue(FlowFormat.match(exact.match).contains("tun_metadata0=0x0"), FlowFormat.match(exact.match));
        Flow any = FlowParser.parse("in_port=2,tun_metadata3=0/0,actions=drop");
        assertEquals(PRESENT0 << 3, any.match.mask(FlowKey.TUN_MISC), "present, any value");
        assertEquals(0, any.match.mask(FlowKey.TUN_METADATA0 + 3));
        String text = FlowFormat.match(any.match);
        assertTrue(text.contains("tun_metadata3=0/0"), text);
        assertEquals(any.match.mask(FlowKey.TUN_MISC), FlowParser.parse(text + ",actions=drop").match.mask(FlowKey.TUN_MISC), "prints back");
        // tun_flags is oam only: the present bits are not part of it
        assertEquals(0, FlowParser.parse("tun_flags=0/1,actions=drop").match.mask(FlowKey.TUN_MISC) & (0xffL << FlowKey.TUN_METADATA_PRESENT));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("tun_flags=0/0xff,actions=drop"), "a mask past the public flag, as OVS");
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("tun_flags=0x100,actions=drop"));
    }

    @Test
    void zeroMatchesAPresentOptionWithDataZeroOnlyAlsoFromTheCache() throws Exception {
        BridgeDatapath ov = new BridgeDatapath("br-int");
        ov.install(new int[] {1, 2}, List.of(
                FlowParser.parse("priority=10,in_port=2,tun_metadata0=0,actions=output:1"),
                FlowParser.parse("priority=5,in_port=2,actions=drop")));
        TunnelTlvMap tlv = TunnelTlvMap.EMPTY.add(TunnelTlvMap.parse("{class=0x0102,type=0x80,len=4}->tun_metadata0"));
        TunnelDrops gd = new TunnelDrops();
        TunnelDecoder dec = new TunnelDecoder(TunnelType.GENEVE, 6081, List.of(InetAddress.getByName("172.31.0.1")), tlv, gd);
        TunnelConfig cfg = TunnelConfig.parse(Map.of("type", "geneve", "remote_ip", "172.31.0.2", "key", "5000"), "gnv0");
        NeighborAgent agent = new NeighborAgent(UnderlayTest.OUR_MAC, List.of(Prefix.parse("172.31.0.1/24", "test")), new NeighborCache());
        BridgeDatapath underlay = new BridgeDatapath("br-phy");
        underlay.install(new int[] {1, 65534}, List.of(FlowParser.parse("priority=0,actions=NORMAL")));
        underlay.setUnderlay(new Underlay(agent, List.of(dec), List.of(new Underlay.Ingress(cfg, ov, 1, 2, 2, (t, n) -> { }, tlv)), gd));
        byte[] zero = {0x01, 0x02, (byte) 0x80, 0x01, 0, 0, 0, 0};           // mapped, data 0
        byte[] other = {0x01, 0x03, 0x01, 0x01, 0, 0, 0, 0};                // unmapped, not critical: ignored
        List<List<Integer>> got = new ArrayList<>();
        List<Long> present = new ArrayList<>();
        for (int round = 0; round < 2; round++) {                           // the second round from the megaflow cache
            for (byte[] o : new byte[][] {zero, null, other}) {
                PacketBatch b = new PacketBatch();
                TunnelHeader h = new TunnelHeader(new TunnelHeader.Spec(TunnelType.GENEVE, UnderlayTest.PEER_MAC, UnderlayTest.OUR_MAC,
                        InetAddress.getByName("172.31.0.2"), InetAddress.getByName("172.31.0.1"), 6081, 5000, 0, 64, true, false, false, o));
                long inner = b.off[0];
                for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, inner + k, (byte) (k < 12 ? 2 : 0));
                b.off[0] = (int) h.push(b.data, inner, 64, 99, 1);
                b.len[0] = 64 + h.length();
                b.count = 1;
                Outputs out = new Outputs(16);
                underlay.process(0, b, out, 0, System.nanoTime());
                got.add(UnderlayTest.ports(out));
                present.add(b.keys[0].w[FlowKey.TUN_MISC] & PRESENT0);
                assertEquals(0, b.keys[0].w[FlowKey.TUN_METADATA0]);
            }
        }
        assertEquals(List.of(List.of(2), List.of(), List.of(), List.of(2), List.of(), List.of()), got,
                "tun_metadata0=0: the option present with data 0, not its absence (nor an unmapped option)");
        assertEquals(List.of(PRESENT0, 0L, 0L, PRESENT0, 0L, 0L), present);
        assertEquals(0, gd.get(TunnelDrop.UNKNOWN_CRITICAL_OPTION));
    }

    @Test
    void setFieldZeroMakesTheFieldPresent() {
        BridgeDatapath ov = new BridgeDatapath("br-int");
        ov.install(new int[] {1, 2, 3}, List.of(
                FlowParser.parse("priority=10,in_port=1,dl_src=02:00:00:00:00:0a,actions=set_field:0->tun_metadata0,load:0->tun_metadata2[0..7],output:2"),
                FlowParser.parse("priority=5,in_port=1,actions=output:3")));
        for (int round = 0; round < 3; round++) {
            PacketBatch b = new PacketBatch();
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) 0);
                b.data.set(JAVA_BYTE, b.off[i] + 11, (byte) (i == 0 ? 0x0a : 0x0b));
                b.data.set(JAVA_BYTE, b.off[i] + 6, (byte) 2);
                b.data.set(JAVA_BYTE, b.off[i] + 12, (byte) 0x88);
                b.data.set(JAVA_BYTE, b.off[i] + 13, (byte) 0xb5);
                b.len[i] = 64;
            }
            b.count = 2;
            ov.process(0, b, new Outputs(16), 0, System.nanoTime());
            assertEquals(PRESENT0 | PRESENT0 << 2, b.keys[0].w[FlowKey.TUN_MISC] & (0xffL << FlowKey.TUN_METADATA_PRESENT), "round " + round);
            assertEquals(0, b.keys[1].w[FlowKey.TUN_MISC], "the other flow's packet has none");
        }
    }
}
