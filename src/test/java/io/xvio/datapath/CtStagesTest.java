package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Set;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** ct() as OVS runs it when a packet meets more than one, or takes its zone from a 128-bit register. */
class CtStagesTest {
    /**
     * A load-balanced connection committed again in the same zone after its DNAT (OVN's stateful stage after ct_lb):
     * as OVS, the second ct() finds the connection by the reverse of the translated tuple, does not translate again
     * and sets the mark on it; the server's reply then is +est+rpl with that mark and leaves with the VIP's address.
     */
    @Test
    void aSecondCtInTheSameZoneAfterDnatFindsTheLoadBalancedConnection() {
        long client = ip("10.0.0.1"), vip = ip("10.0.0.100"), server = ip("10.0.0.2");
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,in_port=1,tcp,actions=ct(commit,zone=1,nat(dst=10.0.0.2:80),table=1)",
                    "table=1,in_port=1,ct_state=+trk-inv,tcp,actions=ct(commit,zone=1,exec(set_field:0x1->ct_mark)),output:2",
                    "table=0,in_port=2,tcp,actions=ct(zone=1,nat,table=2)",
                    "table=2,ct_mark=0x1,ct_state=+trk+est+rpl,tcp,actions=output:1",
                    "table=2,priority=0,actions=drop");
            for (int c = 0; c < 2; c++) {
                int sport = 40000 + c;
                Map<Integer, byte[]> out = CtDatapathTest.send(dp, 0, v4(client, vip, 6, tcp(sport, 8080, 0x02, 100, 0, 65535, 0, new byte[0])));
                assertEquals(Set.of(1), out.keySet(), "the SYN, to the server");
                assertEquals(server, get32(out.get(1), 30), "DNAT'd to the server");
                out = CtDatapathTest.send(dp, 1, v4(server, client, 6, tcp(80, sport, 0x12, 500, 101, 65535, 0, new byte[0])));
                assertEquals(Set.of(0), out.keySet(), "cached " + cached + ", connection " + c + ": the reply has the mark the second ct() set");
                assertEquals(vip, get32(out.get(0), 26), "un-DNAT'd: from the VIP");
                assertTrue(checksumsOk(out.get(0)));
            }
        }
    }

    @Test
    void aZoneFromTheLowHalfOfAnXxregIsThoseBits() {
        for (boolean cached : new boolean[] {true, false}) {
            BridgeDatapath dp = CtDatapathTest.bridge(cached,
                    "table=0,ip,actions=load:0x7->NXM_NX_XXREG0[0..15],load:0x9->NXM_NX_XXREG0[64..79],ct(zone=NXM_NX_XXREG0[0..15],table=1)",
                    "table=1,ct_zone=7,actions=output:2",
                    "table=1,priority=0,actions=drop");
            for (int k = 0; k < 2; k++)
                assertEquals(Set.of(1), CtDatapathTest.send(dp, 0, v4(ip("10.0.0.1"), ip("10.0.0.2"), 17, udp(5000, 53, 20))).keySet(),
                        "zone 7 (xxreg0 bits 0..15), not 9 (bits 64..79)");
        }
    }
}
