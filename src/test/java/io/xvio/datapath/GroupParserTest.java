package io.xvio.datapath;

import io.xvio.datapath.action.*;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GroupParserTest {
    private static void bad(String group, String messagePart) {
        FlowSyntaxException e = assertThrows(FlowSyntaxException.class, () -> GroupParser.parse(group));
        assertTrue(e.getMessage().contains(messagePart), e.getMessage());
    }

    @Test
    void parsesEveryTypeAndPrintsWhatItReadsBack() {
        for (String g : List.of(
                "group_id=1,type=all,bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions=mod_dl_src:02:00:00:00:00:09,output:2",
                "group_id=2,type=select,bucket=bucket_id:0,weight:3,actions=output:1,bucket=bucket_id:7,weight:1,actions=output:2",
                "group_id=3,type=select,selection_method=hash,fields(nw_src,tp_dst),bucket=bucket_id:0,weight:1,actions=output:1",
                "group_id=4,type=indirect,bucket=bucket_id:0,actions=dec_ttl,output:3",
                "group_id=5,type=fast_failover,bucket=bucket_id:0,watch_port:2,actions=output:2,bucket=bucket_id:1,watch_group:4,actions=group:4")) {
            Group parsed = GroupParser.parse(g);
            assertEquals(g, GroupFormat.format(parsed));
            assertEquals(g, GroupFormat.format(GroupParser.parse(GroupFormat.format(parsed))));
        }
        // the short forms ovs-ofctl takes: actions straight after bucket=, parameters with '='
        Group g = GroupParser.parse("group_id=0x10,type=ff,bucket=watch_port=1,output:1,bucket=watch_port:2,output:2");
        assertEquals(16, g.id);
        assertEquals(Group.Type.FAST_FAILOVER, g.type);
        assertEquals(List.of(new Output(2)), g.buckets.get(1).executed());
        assertEquals(2, g.buckets.get(1).watchPort());
    }

    /** A bucket is an OpenFlow action set: one final action, rewrites before it, as OVS executes it. */
    @Test
    void bucketsRunAsActionSets() {
        Group g = GroupParser.parse("group_id=1,type=all,bucket=output:1,output:2,bucket=output:3,mod_dl_dst:02:00:00:00:00:05,"
                + "bucket=mod_nw_src:1.2.3.4,bucket=group:2,output:1,bucket=strip_vlan,push_vlan:0x8100,dec_ttl,output:1");
        assertEquals(List.of(new Output(2)), g.buckets.get(0).executed(), "the last output only");
        assertEquals(List.of(g.buckets.get(1).actions().get(1), new Output(3)), g.buckets.get(1).executed(), "set before output");
        assertEquals(List.of(), g.buckets.get(2).executed(), "no output, group or resubmit: nothing runs");
        assertEquals(List.of(new GroupAction(2)), g.buckets.get(3).executed(), "group outranks output");
        assertEquals(List.of(new StripVlan(), new PushVlan(0x8100), new DecTtl(), new Output(1)),
                g.buckets.get(4).executed());
    }

    @Test
    void badGroupsSayWhatIsWrong() {
        bad("type=all,bucket=output:1", "needs group_id");
        bad("group_id=1,bucket=output:1", "needs type=");
        bad("group_id=1,type=any,bucket=output:1", "unknown group type \"any\"");
        bad("group_id=4294967295,type=all", "group_id 4294967295 is outside");
        bad("group_id=1,type=indirect,bucket=output:1,bucket=output:2", "exactly one bucket");
        bad("group_id=1,type=fast_failover,bucket=output:1", "needs watch_port or watch_group");
        bad("group_id=1,type=all,bucket=goto_table:2", "cannot be in a group bucket");
        bad("group_id=1,type=all,bucket=write_metadata:1", "cannot be in a group bucket");
        bad("group_id=1,type=all,bucket=bucket_id:3,output:1,bucket=bucket_id:3,output:2", "bucket_id 3 is used twice");
        bad("group_id=1,type=all,selection_method=hash,bucket=output:1", "for select groups only");
        bad("group_id=1,type=select,fields(no_such_field),bucket=output:1", "unknown field \"no_such_field\"");
        bad("group_id=1,type=all,color=red,bucket=output:1", "unknown group parameter \"color\"");
        bad("group_id=1,type=all,bucket=output:1,explode", "unknown action");
        StringBuilder many = new StringBuilder("group_id=1,type=all");
        for (int i = 0; i < 10_000; i++) many.append(",bucket=output:1");
        bad(many.toString(), "at most " + Group.MAX_BUCKETS + " buckets, not 10000");
    }

    @Test
    void groupActionInFlows() {
        assertEquals(List.of(new GroupAction(7)), FlowParser.parse("actions=group:7").actions);
        assertEquals("group:7", FlowFormat.actions(FlowParser.parse("actions=group:7").actions));
        assertThrows(FlowSyntaxException.class, () -> FlowParser.parse("actions=group:4294967295"));
    }
}
