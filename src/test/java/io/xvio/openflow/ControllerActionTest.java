package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Controller;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The controller action's options as OVS has them (ovs-actions(7); lib/ofp-actions.c): reason, max_len, id,
 * userdata, pause and meter_id, parsed and printed as ovs-ofctl does, encoded as OVS encodes them (output:CONTROLLER
 * when plain, NXAST_CONTROLLER for a reason or id alone, NXAST_CONTROLLER2 with properties otherwise), which the real
 * {@code ovs-ofctl parse-actions} decodes to the same text and re-encodes to the same bytes; and the packet-in's
 * reason as each OpenFlow version carries it.
 */
class ControllerActionTest {
    /** Flow texts and what OVS prints for them. */
    static final List<String[]> FORMS = List.of(
            new String[] {"controller", "CONTROLLER:65535"},
            new String[] {"controller:100", "CONTROLLER:100"},
            new String[] {"controller(100)", "CONTROLLER:100"},
            new String[] {"controller(max_len=100)", "CONTROLLER:100"},
            new String[] {"controller(reason=action)", "CONTROLLER:65535"},
            new String[] {"controller(reason=no_match)", "controller(reason=no_match)"},
            new String[] {"controller(max_len=1234,id=5678,reason=invalid_ttl)", "controller(reason=invalid_ttl,max_len=1234,id=5678)"},
            new String[] {"controller(reason=ACTION_SET)", "controller(reason=action_set)"},
            new String[] {"controller(reason=group,max_len=0)", "controller(reason=group,max_len=0)"},
            new String[] {"controller(reason=packet_out)", "controller(reason=packet_out)"},
            new String[] {"controller(meter_id=7)", "controller(meter_id=7)"},
            new String[] {"controller(meter_id=4294967294,reason=no_match,max_len=64)", "controller(reason=no_match,max_len=64,meter_id=4294967294)"},
            new String[] {"controller(pause,meter_id=1,userdata=01 02.0a,id=3,reason=group,max_len=5)",
                    "controller(reason=group,max_len=5,id=3,userdata=01.02.0a,pause,meter_id=1)"},
            new String[] {"controller(userdata=)", "CONTROLLER:65535"});

    static final int[] VERSIONS = {OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15};

    static byte[] encode(List<Action> acts, int v) {
        Wire.Writer w = new Wire.Writer();
        OfActions.encodeActions(acts, v, w);
        return w.toBytes();
    }

    @Test
    void parsedPrintedAndRoundTrippedAsOvs() {
        for (String[] f : FORMS) {
            List<Action> acts = FlowParser.parseActionList(f[0]);
            assertEquals(f[1], acts.getFirst().format(), f[0]);
            assertEquals(acts, FlowParser.parseActionList(f[1]), "its printed form parses back to it: " + f[1]);
            for (int v : VERSIONS) {
                byte[] b = encode(acts, v);
                assertEquals(0, b.length % 8);
                assertEquals(acts, OfActions.decodeActions(new Wire.Reader(b), v), f[0] + " in " + OfVersion.name(v));
            }
        }
    }

    @Test
    void encodedAsOvsEncodesThem() {
        // OVS's own vectors (tests/ofp-actions.at): NXAST_CONTROLLER, and NXAST_CONTROLLER2 with its 8-byte u16 properties
        assertEquals("ffff001000002320001404d2162e0200",
                hex("controller(reason=invalid_ttl,max_len=1234,id=5678)", OfVersion.OF10));
        assertEquals("ffff0040000023200025000000000000" + "0000000804d20000" + "00010008162e0000" + "0002000502000000"
                        + "00030009010203040500000000000000" + "0004000400000000",
                hex("controller(reason=invalid_ttl,max_len=1234,id=5678,userdata=01.02.03.04.05,pause)", OfVersion.OF13));
        assertEquals("ffff001800002320002500000000000000050008" + "00000007", hex("controller(meter_id=7)", OfVersion.OF15));
        assertEquals("00000010fffffffd0064000000000000", hex("controller:100", OfVersion.OF13), "plain: output:CONTROLLER");
    }

    static String hex(String action, int v) { return HexFormat.of().formatHex(encode(FlowParser.parseActionList(action), v)); }

    @Test
    void badArgumentsAreRefusedAsOvsRefusesThem() {
        for (String bad : List.of("controller(reason=asdf)", "controller(foo=bar)", "controller(userdata=123x456)", "controller(userdata=012)",
                "controller(max_len=65536)", "controller(id=65536)", "controller(meter_id=4294967296)", "controller(reason=0)", "controller:x")) {
            assertThrows(FlowSyntaxException.class, () -> FlowParser.parseActionList(bad), bad);
        }
        FlowSyntaxException e = assertThrows(FlowSyntaxException.class, () -> FlowParser.parseActionList("controller(reason=asdf)"));
        assertTrue(e.getMessage().contains("unknown reason \"asdf\""), e.getMessage());
    }

    @Test
    void badWireFormsGetOvsErrors() {
        byte[] nac = HexFormat.of().parseHex("ffff001000002320001404d2162e0201");
        assertEquals(OfError.MUST_BE_ZERO, assertThrows(OfError.Failure.class, () -> OfActions.decodeActions(new Wire.Reader(nac), OfVersion.OF13)).error);
        byte[] reason9 = HexFormat.of().parseHex("ffff001000002320001404d2162e0900");
        assertEquals(OfError.BAD_ACTION_ARGUMENT, assertThrows(OfError.Failure.class, () -> OfActions.decodeActions(new Wire.Reader(reason9), OfVersion.OF13)).error);
        byte[] meter3 = HexFormat.of().parseHex("ffff0018000023200025000000000000000500070000000000");
        assertEquals(OfError.PROP_BAD_LEN, assertThrows(OfError.Failure.class,
                () -> OfActions.decodeActions(new Wire.Reader(java.util.Arrays.copyOf(meter3, 24)), OfVersion.OF13)).error, "a meter_id of 3 bytes");
        byte[] len6 = HexFormat.of().parseHex("ffff00180000232000250000000000000000000600640000");
        assertEquals(100, ((Controller) OfActions.decodeActions(new Wire.Reader(len6), OfVersion.OF13).getFirst()).maxLen(),
                "a u16 property of length 6 (xvio's old form) is read as OVS reads it");
    }

    @Test
    void groupAndPacketOutReasonsReachOpenFlow14AndLaterOnly() {
        Match m = new Match().set(Field.IN_PORT, 1, Field.IN_PORT.fullMask());
        for (int reason = 0; reason < Controller.REASONS.size(); reason++) {
            PacketIn pi = new PacketIn(60, reason, 0, 0, m, new byte[60]);
            for (int v : VERSIONS)
                for (int format : new int[] {PacketIn.FORMAT_STANDARD, PacketIn.FORMAT_NXT, PacketIn.FORMAT_NXT2}) {
                    int want = reason > Controller.INVALID_TTL && v < OfVersion.OF14 ? Controller.ACTION : reason;
                    assertEquals(want, PacketIn.decode(pi.encode(v, format, 1)).reason(), Controller.REASONS.get(reason) + " " + OfVersion.name(v) + " format " + format);
                }
        }
    }

    /**
     * The real ovs-ofctl parse-actions decodes xvio's encoding of each form to OVS's text, and re-encodes it to the
     * same bytes (it prints the differing bytes otherwise).
     */
    @Test
    void ovsOfctlDecodesXviosEncodingToTheSameText() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ovs-ofctl")), "needs ovs-ofctl (Debian openvswitch-common)");
        for (int v : VERSIONS) {
            StringBuilder in = new StringBuilder(), want = new StringBuilder();
            for (String[] f : FORMS) {
                String h = HexFormat.of().formatHex(encode(FlowParser.parseActionList(f[0]), v));
                in.append(h.replaceAll("(..)", "$1 ").strip()).append('\n');
                want.append("actions=").append(f[1]).append("\n\n");     // ovs-ofctl prints a blank line after each
            }
            Process p = new ProcessBuilder("ovs-ofctl", "parse-actions", OfVersion.name(v)).redirectErrorStream(true).start();
            p.getOutputStream().write(in.toString().getBytes());
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(want.toString().strip(), out.strip(), OfVersion.name(v) + "\n" + in);
        }
    }
}
