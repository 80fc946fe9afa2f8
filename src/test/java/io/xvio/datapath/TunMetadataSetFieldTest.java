package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.*;

/**
 * set_field to tun_metadataN (what OVN does with the logical ports before output to a Geneve port) parses, prints
 * back, and leaves the value in the packet's tunnel metadata both on the slow path and from the megaflow cache, so
 * the Geneve port sends it as an option (GeneveOptionSendTest).
 */
class TunMetadataSetFieldTest {
    @Test
    void setFieldParsesAndPrintsBack() {
        Flow f = FlowParser.parse("in_port=1,actions=set_field:0x5->tun_metadata0,load:0x7->tun_metadata7[0..15],output:2");
        assertEquals("set_field:0x5->tun_metadata0,load:0x7->tun_metadata7[0..15],output:2", FlowFormat.actions(f.actions));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=set_field:5->tun_metadata8"), "xvio has tun_metadata0-7");
    }

    @Test
    void theValueIsInTheKeyOnTheSlowPathAndFromTheCache() {
        BridgeDatapath ov = new BridgeDatapath("br-int");
        ov.install(new int[] {1, 2, 3}, List.of(
                FlowParser.parse("priority=10,in_port=1,dl_src=02:00:00:00:00:0a,actions=set_field:0x5->tun_metadata0,set_field:0x0102->tun_metadata1,output:2"),
                FlowParser.parse("priority=5,in_port=1,actions=output:3")));
        List<Long> got = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            PacketBatch b = new PacketBatch();
            for (int i = 0; i < 2; i++) {
                for (int k = 0; k < 64; k++) b.data.set(JAVA_BYTE, b.off[i] + k, (byte) 0);
                b.data.set(JAVA_BYTE, b.off[i] + 11, (byte) (i == 0 ? 0x0a : 0x0b));   // source MAC 02:..:0a / 00:..:0b
                b.data.set(JAVA_BYTE, b.off[i] + 6, (byte) 2);
                b.data.set(JAVA_BYTE, b.off[i] + 12, (byte) 0x88);
                b.data.set(JAVA_BYTE, b.off[i] + 13, (byte) 0xb5);
                b.len[i] = 64;
            }
            b.count = 2;
            Outputs out = new Outputs(16);
            ov.process(0, b, out, 0, System.nanoTime());
            got.add(b.keys[0].w[FlowKey.TUN_METADATA0]);
            assertEquals(0x0102, b.keys[0].w[FlowKey.TUN_METADATA0 + 1]);
            assertTrue(b.keys[0].extended);
            assertEquals(0, b.keys[1].w[FlowKey.TUN_METADATA0], "the other flow's packet sets nothing");
            assertEquals(List.of(1, 2), UnderlayTest.ports(out).stream().sorted().toList());
        }
        assertEquals(List.of(5L, 5L, 5L), got);
    }
}
