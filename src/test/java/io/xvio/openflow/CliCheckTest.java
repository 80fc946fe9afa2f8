package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Match;
import io.xvio.datapath.action.Action;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The remembered shapes never change a verdict: every flow gets what parsing its text alone gives. */
class CliCheckTest {
    private static final String[] MATCHES = {"", "ip", "arp", "ipv6", "tcp", "udp", "tcp6", "icmp", "icmp6,icmp_type=135",
            "icmp6,icmp_type=136", "icmp6,icmp_type=128", "dl_vlan=5", "vlan_tci=0/0x1000", "ct_state=+trk+est",
            "ct_state=-trk", "ip,nw_dst=10.0.0.1", "ip,nw_dst=10.0.0.2", "tcp,tp_dst=80", "tcp,tp_dst=81", "udp,tp_src=7", "udp,tp_src=8", "icmp,icmp_type=8", "icmp,icmp_type=0", "ip,nw_frag=later"};
    private static final String[] ACTIONS = {"output:2", "mod_nw_src:1.2.3.4", "set_field:1->tcp_dst", "set_field:fe80::1->nd_target",
            "strip_vlan", "set_field:5->vlan_vid", "push_vlan:0x8100,set_field:4101->vlan_tci", "ct_clear", "dec_ttl",
            "set_field:1->icmpv6_type", "move:NXM_OF_IP_SRC[]->NXM_NX_REG0[]", "mod_tp_dst:99"};

    private record Case(String text, FlowMod fm) {}

    /** a's actions, parsed under the first match of MATCHES that allows them. */
    private static List<Action> actions(String a) {
        for (String m : MATCHES) {
            try {
                return FlowParser.parse((m.isEmpty() ? "" : m + ",") + "actions=" + a).actions;
            } catch (FlowSyntaxException e) {
                // another match
            }
        }
        throw new AssertionError("no match allows " + a);
    }

    private static boolean parses(String text) {
        try {
            FlowParser.parse(text);
            return true;
        } catch (FlowSyntaxException e) {
            return false;
        }
    }

    private static boolean passes(FlowMod fm) {
        try {
            CliCheck.check(fm);
            return true;
        } catch (OfError.Failure f) {
            assertEquals(OfError.MATCH_INCONSISTENT, f.error);
            return false;
        }
    }

    @Test
    void everyVerdictIsThatOfParsingTheFlowsText() {
        List<Case> cases = new ArrayList<>();
        for (String m : MATCHES) {
            Match match = FlowParser.parse((m.isEmpty() ? "" : m + ",") + "actions=drop").match;
            for (String a : ACTIONS) {
                List<Action> acts = actions(a);
                FlowMod fm = new FlowMod(FlowMod.ADD, 0, 100, 0, 0, match, acts, 0, 0, -1, 0, FlowMod.NO_BUFFER, OfVersion.OF15);
                cases.add(new Case(FlowFormat.format(new Flow(0, 100, 0, match, acts, 0, 0, ""), 0, false), fm));
            }
        }
        int accepted = 0, refused = 0;
        Random rnd = new Random(7);
        for (int round = 0; round < 3; round++) {
            Collections.shuffle(cases, rnd);
            for (Case c : cases) {
                boolean want = parses(c.text);
                assertEquals(want, passes(c.fm), c.text);
                if (want) accepted++; else refused++;
            }
        }
        assertTrue(accepted > 0 && refused > 0, "the cases hold both verdicts: " + accepted + " accepted, " + refused + " refused");
        assertTrue(CliCheck.shapes() > 0, "passing shapes were remembered");
    }

    /** A bundle's add checks a flow_mod whose match is a scratch one, reused for the next: what is remembered is not. */
    @Test
    void aScratchMatchReusedForEveryFlowChangesNoVerdict() {
        Match scratch = new Match();
        Random rnd = new Random(11);
        for (int i = 0; i < 400; i++) {
            String m = MATCHES[rnd.nextInt(MATCHES.length)], a = ACTIONS[rnd.nextInt(ACTIONS.length)];
            Match parsed = FlowParser.parse((m.isEmpty() ? "" : m + ",") + "actions=drop").match;
            scratch.clear();
            for (int w = 0; w < io.xvio.packet.FlowKey.WORDS; w++) scratch.setWord(w, parsed.value(w), parsed.mask(w));
            assertEquals(parsed, scratch);
            List<Action> acts = actions(a);
            String text = FlowFormat.format(new Flow(0, 100, 0, parsed, acts, 0, 0, ""), 0, false);
            FlowMod fm = new FlowMod(FlowMod.ADD, 0, 100, 0, 0, scratch, acts, 0, 0, -1, 0, FlowMod.NO_BUFFER, OfVersion.OF15);
            assertEquals(parses(text), passes(fm), text);
        }
    }
}
