package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Learn;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** NXAST_LEARN/LEARN2: round trips in every version, real ovs-ofctl reads xvio's encoding, malformed ones get OVS's codes. */
class OfLearnTest {
    static final List<String> LEARNS = List.of(
            "learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
                    + "load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])",
            "learn(table=1)",
            "learn(table=3,idle_timeout=10,priority=0,send_flow_rem,delete_learned,cookie=0xff,NXM_NX_REG1[0..15]=0xabc,OXM_OF_METADATA[])",
            "learn(table=254,limit=5,result_dst=NXM_NX_REG0[3],dl_type=0x800,nw_proto=6,NXM_OF_IP_SRC[]=NXM_OF_IP_DST[],"
                    + "NXM_OF_TCP_DST[]=NXM_OF_TCP_SRC[],load:0x1->NXM_NX_REG10[7],load:NXM_NX_REG2[16..31]->NXM_NX_REG3[0..15])",
            "learn(table=2,dl_src=00:11:22:33:44:55,NXM_OF_ETH_DST[],load:0xfedcba9876543210->OXM_OF_METADATA[])");

    static Learn parse(String a) { return (Learn) FlowParser.parse("tcp,actions=" + a).actions.getFirst(); }

    static byte[] encode(Action a, int version) {
        Wire.Writer w = new Wire.Writer();
        OfActions.encodeActions(List.of(a), version, w);
        return w.toBytes();
    }

    static List<Action> decode(byte[] b, int version) { return OfActions.decodeActions(new Wire.Reader(b), version); }

    @Test
    void learnRoundTripsInEveryVersion() {
        for (String text : LEARNS) {
            Learn l = parse(text);
            for (int v : new int[] {OfVersion.OF10, OfVersion.OF13, 5, OfVersion.OF15}) {
                byte[] b = encode(l, v);
                assertEquals(0, b.length % 8, text);
                assertEquals(List.of(l), decode(b, v), text + " in version " + v);
            }
        }
    }

    @Test
    void learn2OnlyWhenThereIsALimitOrAResult() {
        assertEquals(OfLearn.NX_LEARN, subtype(encode(parse(LEARNS.get(0)), OfVersion.OF13)));
        assertEquals(OfLearn.NX_LEARN2, subtype(encode(parse(LEARNS.get(3)), OfVersion.OF13)));
    }

    private static int subtype(byte[] b) { return ((b[8] & 0xff) << 8) | (b[9] & 0xff); }

    @Test
    void realOvsOfctlReadsXviosEncoding() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ovs-ofctl")), "ovs-ofctl is not installed");
        for (String text : LEARNS) {
            Learn l = parse(text);
            String hex = HexFormat.ofDelimiter(" ").formatHex(encode(l, OfVersion.OF13));
            Process p = new ProcessBuilder("/usr/bin/ovs-ofctl", "parse-actions", "OpenFlow13").redirectErrorStream(true).start();
            p.getOutputStream().write((hex + "\n").getBytes(StandardCharsets.US_ASCII));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            assertEquals("actions=" + l.format(), out, text);
        }
    }

    private static OfError errorOf(byte[] b) {
        return assertThrows(OfError.Failure.class, () -> decode(b, OfVersion.OF13)).error;
    }

    @Test
    void malformedLearnsGetOvsErrorCodes() {
        byte[] ok = encode(parse(LEARNS.get(0)), OfVersion.OF13);     // NXAST_LEARN: header 32 bytes, then specs
        byte[] b = ok.clone(); b[27] = 1;                              // pad
        assertEquals(OfError.BAD_ACTION_ARGUMENT, errorOf(b));
        b = ok.clone(); b[26] = (byte) 0xff;                           // table 255
        assertEquals(OfError.BAD_ACTION_ARGUMENT, errorOf(b));
        b = ok.clone(); b[25] = 4;                                     // write_result in NXAST_LEARN
        assertEquals(OfError.BAD_ACTION_ARGUMENT, errorOf(b));
        b = ok.clone(); b[32] |= 0x18;                                 // spec destination type 3
        assertEquals(OfError.BAD_ACTION_ARGUMENT, errorOf(b));
        b = ok.clone(); b[34] = 0x7f;                                  // source field: an unknown NXM class
        assertEquals(OfError.BAD_SET_TYPE, errorOf(b));
        b = ok.clone(); b[39] = 40;                                    // source bits 40..51 of a 16-bit field
        assertEquals(OfError.BAD_SET_LEN, errorOf(b));
        b = ok.clone(); b[ok.length - 1] = 1;                          // a non-zero byte after the last spec
        assertEquals(OfError.BAD_ACTION_ARGUMENT, errorOf(b));
        b = ok.clone(); b[2] = 0; b[3] = 40;                           // cut inside a spec
        assertEquals(OfError.BAD_ACTION_LEN, errorOf(java.util.Arrays.copyOf(b, 40)));
        b = ok.clone(); b[2] = 0; b[3] = 24;                           // shorter than the action's fixed part
        assertEquals(OfError.BAD_ACTION_LEN, errorOf(java.util.Arrays.copyOf(b, 24)));
        byte[] two = encode(parse(LEARNS.get(3)), OfVersion.OF13);    // NXAST_LEARN2
        b = two.clone(); b[39] = 1;                                    // pad2
        assertEquals(OfError.MUST_BE_ZERO, errorOf(b));
        byte[] fin = ok.clone(); fin[29] = 5;                          // fin_idle_timeout: xvio has no fin_timeout
        assertEquals(OfError.BAD_ACTION_ARGUMENT, errorOf(fin));
    }
}
