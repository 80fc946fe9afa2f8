package io.xvio.datapath.action;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

import static java.util.Map.entry;
import static org.junit.jupiter.api.Assertions.*;

/** Every registered action keyword parses, prints back as dump-flows does, and reads back to the same action. */
class ActionSyntaxTest {
    /** A match that gives every action below its prerequisites (tcp for tp_*, a VLAN tag for vlan_vid). */
    static final String MATCH = "table=1,priority=5,tcp,dl_vlan=10";

    /** One example per keyword: the text, and how dump-flows prints it. */
    static final Map<String, String[]> EXAMPLES = Map.ofEntries(
            entry("output", new String[] {"output:3", "output:3"}),
            entry("in_port", new String[] {"in_port", "IN_PORT"}),
            entry("normal", new String[] {"NORMAL", "NORMAL"}),
            entry("flood", new String[] {"flood", "FLOOD"}),
            entry("all", new String[] {"ALL", "ALL"}),
            entry("controller", new String[] {"controller:128", "CONTROLLER:128"}),
            entry("strip_vlan", new String[] {"strip_vlan", "strip_vlan"}),
            entry("pop_vlan", new String[] {"pop_vlan", "strip_vlan"}),
            entry("push_vlan", new String[] {"push_vlan:0x88a8", "push_vlan:0x88a8"}),
            entry("dec_ttl", new String[] {"dec_ttl", "dec_ttl"}),
            entry("ct_clear", new String[] {"ct_clear", "ct_clear"}),
            entry("meter", new String[] {"meter:0x10", "meter:16"}),
            entry("learn", new String[] {"learn(table=20,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:OXM_OF_IN_PORT[])",
                    "learn(table=20,NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],output:OXM_OF_IN_PORT[])"}),
            entry("ct", new String[] {"ct(zone=NXM_NX_REG6[0..15],commit,table=2,exec(set_field:0x1->ct_mark),nat(src=10.0.0.1-10.0.0.2:1024-2048))",
                    "ct(commit,table=2,zone=reg6[0..15],nat(src=10.0.0.1-10.0.0.2:1024-2048),exec(set_field:0x1->ct_mark))"}),
            entry("set_field", new String[] {"set_field:10.0.0.1->ip_dst", "mod_nw_dst:10.0.0.1"}),
            entry("load", new String[] {"load:0x5->NXM_NX_REG3[4..7]", "load:0x5->reg3[4..7]"}),
            entry("mod_vlan_vid", new String[] {"mod_vlan_vid:7", "mod_vlan_vid:7"}),
            entry("mod_vlan_pcp", new String[] {"mod_vlan_pcp:3", "mod_vlan_pcp:3"}),
            entry("mod_dl_src", new String[] {"mod_dl_src:02:00:00:00:00:01", "mod_dl_src:02:00:00:00:00:01"}),
            entry("mod_dl_dst", new String[] {"mod_dl_dst:02:00:00:00:00:02", "mod_dl_dst:02:00:00:00:00:02"}),
            entry("mod_nw_src", new String[] {"mod_nw_src:10.1.1.1", "mod_nw_src:10.1.1.1"}),
            entry("mod_nw_dst", new String[] {"mod_nw_dst:10.1.1.2", "mod_nw_dst:10.1.1.2"}),
            entry("mod_tp_src", new String[] {"mod_tp_src:80", "mod_tp_src:80"}),
            entry("mod_tp_dst", new String[] {"mod_tp_dst:443", "mod_tp_dst:443"}),
            entry("mod_nw_tos", new String[] {"mod_nw_tos:32", "mod_nw_tos:32"}),
            entry("mod_nw_ttl", new String[] {"mod_nw_ttl:9", "mod_nw_ttl:9"}),
            entry("move", new String[] {"move:reg0[0..15]->tp_src", "move:reg0[0..15]->tp_src[0..15]"}),
            entry("resubmit", new String[] {"resubmit(,4)", "resubmit(,4)"}),
            entry("goto_table", new String[] {"goto_table:3", "goto_table:3"}),
            entry("write_metadata", new String[] {"write_metadata:0x1/0xff", "write_metadata:0x1/0xff"}),
            entry("group", new String[] {"group:7", "group:7"}),
            entry("conjunction", new String[] {"conjunction(9,1/2)", "conjunction(9,1/2)"}),
            entry("note", new String[] {"note:ab.cd", "note:ab.cd.00.00.00.00"}),
            entry("clone", new String[] {"clone(mod_tp_dst:1,output:2)", "clone(mod_tp_dst:1,output:2)"}),
            entry("push", new String[] {"push:reg1[0..7]", "push:reg1[0..7]"}),
            entry("pop", new String[] {"pop:reg2[8..15]", "pop:reg2[8..15]"}),
            entry("check_pkt_larger", new String[] {"check_pkt_larger(1500)->NXM_NX_REG0[3]", "check_pkt_larger(1500)->reg0[3]"}));

    @Test
    void everyKeywordHasAnExample() {
        assertEquals(new TreeSet<>(ActionSyntax.keywords()), new TreeSet<>(EXAMPLES.keySet()),
                "a keyword was added to ActionSyntax without an example here");
    }

    @Test
    void eachActionPrintsAsOvsAndReadsBack() {
        for (var e : EXAMPLES.entrySet()) {
            String text = e.getValue()[0], shown = e.getValue()[1];
            Flow f = FlowParser.parse(MATCH + " actions=" + text);
            assertEquals(1, f.actions.size(), text);
            Action a = f.actions.getFirst();
            assertEquals(shown, a.format(), e.getKey());
            Flow again = FlowParser.parse(MATCH + " actions=" + a.format());
            assertEquals(List.of(a), again.actions, "reads back: " + shown);
            assertEquals(FlowFormat.format(f, 0, false), FlowFormat.format(again, 0, false));
        }
    }

    @Test
    void unsupportedActionsAreRefusedByName() {
        for (String name : ActionSyntax.unsupported()) {
            FlowSyntaxException x = assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=" + name + ":1"), name);
            assertTrue(x.getMessage().contains("\"" + name + "\" is not supported by xvio"), x.getMessage());
        }
        FlowSyntaxException x = assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=frobnicate:1"));
        assertTrue(x.getMessage().contains("unknown action \"frobnicate:1\""), x.getMessage());
    }

    @Test
    void argumentsAreCheckedByArity() {
        assertTrue(assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=strip_vlan:1"))
                .getMessage().contains("takes no argument"));
        assertTrue(assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=output"))
                .getMessage().contains("needs an argument"));
        assertEquals(List.of(new DecTtl()), FlowParser.parse("ip actions=dec_ttl()").actions);
        assertEquals(List.of(new Controller(0xffff, null)), FlowParser.parse("actions=controller").actions);
    }

    /** Where an action goes in a group bucket's action set follows OVS's order; actions a bucket cannot hold say so. */
    @Test
    void actionSetRoles() {
        for (var e : EXAMPLES.entrySet()) {
            Action a = FlowParser.parse(MATCH + " actions=" + e.getValue()[0]).actions.getFirst();
            ActionSetRole r = a.actionSetRole();
            switch (e.getKey().toLowerCase(Locale.ROOT)) {
                case "output", "in_port", "normal", "flood", "all" -> assertEquals(ActionSetRole.FINAL_OUTPUT, r, e.getKey());
                case "group" -> assertEquals(ActionSetRole.FINAL_GROUP, r);
                case "resubmit" -> assertEquals(ActionSetRole.FINAL_RESUBMIT, r);
                case "ct_clear" -> assertEquals(ActionSetRole.FINAL_CT_CLEAR, r);
                case "ct" -> assertEquals(ActionSetRole.FINAL_CT, r);
                case "strip_vlan", "pop_vlan" -> assertEquals(ActionSetRole.STRIP_VLAN, r);
                case "push_vlan" -> assertEquals(ActionSetRole.PUSH_VLAN, r);
                case "dec_ttl" -> assertEquals(ActionSetRole.DEC_TTL, r);
                case "move", "load", "set_field" -> assertEquals(ActionSetRole.SET, r);
                case "check_pkt_larger" -> assertEquals(ActionSetRole.NONE, r);
                case "controller" -> {         // output:CONTROLLER is an output (OVS's OFPACT_OUTPUT); controller(...) is not
                    assertEquals(((Controller) a).plain() ? ActionSetRole.FINAL_OUTPUT : ActionSetRole.NONE, r);
                    assertEquals(ActionSetRole.NONE, FlowParser.parseActionList("controller(reason=no_match)").getFirst().actionSetRole());
                    assertEquals(ActionSetRole.FINAL_OUTPUT, FlowParser.parseActionList("controller:128").getFirst().actionSetRole());
                }
                default -> {
                    if (e.getKey().startsWith("mod_")) assertEquals(ActionSetRole.SET, r, e.getKey());
                    else assertEquals(ActionSetRole.NONE, r, e.getKey());
                }
            }
        }
    }
}
