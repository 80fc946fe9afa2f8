package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Group;
import io.xvio.datapath.GroupFormat;
import io.xvio.datapath.GroupParser;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OFPT_GROUP_MOD through a connection: groups of every type survive group_mod and group_desc in OpenFlow 1.3 and
 * 1.5 (with bucket properties and the selection-method property), the table changes as add-group/mod-group/
 * del-groups/insert-buckets/remove-buckets would, and bad group_mods get OVS's error codes.
 */
class GroupModTest {
    static final List<String> GROUPS = List.of(
            "group_id=1,type=all,bucket=bucket_id:0,actions=output:1,bucket=bucket_id:1,actions=output:2",
            "group_id=2,type=select,selection_method=hash,fields(nw_src,tp_dst),bucket=bucket_id:5,weight:100,actions=mod_dl_src:00:11:22:33:44:55,output:1,bucket=bucket_id:6,weight:50,actions=group:1",
            "group_id=3,type=fast_failover,bucket=bucket_id:0,watch_port:1,actions=output:1,bucket=bucket_id:1,watch_port:2,watch_group:1,actions=output:2",
            "group_id=4,type=indirect,bucket=bucket_id:0,actions=set_field:0x5->reg0,group:2",
            "group_id=5,type=select,selection_method=dp_hash,bucket=bucket_id:0,weight:3,actions=output:1,bucket=bucket_id:1,weight:1,actions=push_vlan:0x8100,mod_vlan_vid:7,dec_ttl,output:2",
            "group_id=6,type=select,bucket=bucket_id:0,weight:0,actions=drop");

    /** A group_mod of command for g, made from xvio's own group_desc entry (the two share their bucket encoding). */
    static byte[] groupMod(Group g, int command, int version) {
        byte[] desc = GroupStats.desc(g, version);
        Wire.Writer w = new Wire.Writer(version, OfType.GROUP_MOD, 9);
        w.u16(command).u8(desc[2]).u8(0).bytes(desc, 4, 4);
        if (version >= OfVersion.OF15) {
            w.bytes(desc, 8, 2).zeros(2).u32(GroupMod.BUCKET_ALL).bytes(desc, 16, desc.length - 16);
        } else {
            w.bytes(desc, 8, desc.length - 8);
        }
        return w.finish();
    }

    static byte[] groupMod(String text, int command, int version) { return groupMod(GroupParser.parse(text), command, version); }

    /** What the version can carry of a group: 1.1-1.4 have no bucket ids and no selection method. */
    static String asCarried(String text, int version) {
        if (version >= OfVersion.OF15) return text;
        Group g = GroupParser.parse(text);
        List<GroupMod.WireBucket> bs = new ArrayList<>();
        int i = 0;
        for (Group.Bucket b : g.buckets) bs.add(new GroupMod.WireBucket(i++, b.weight(), b.watchPort(), b.watchGroup(), b.actions()));
        return GroupFormat.format(GroupMod.toGroup(g.id, g.type.ordinal(), null, List.of(), bs));
    }

    static List<Group> descs(OfConnection c, int version) {
        Wire.Writer w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_GROUP_DESC).u16(0).zeros(4);
        if (version >= OfVersion.OF15) w.u32(GroupMod.GROUP_ALL).zeros(4);
        List<Group> out = new ArrayList<>();
        for (byte[] reply : c.handle(w.finish())) {
            assertEquals(OfType.MULTIPART_REPLY, reply[1]);
            int at = 16;
            while (at < reply.length) {
                int len = ((reply[at] & 0xff) << 8) | (reply[at + 1] & 0xff);
                byte[] entry = java.util.Arrays.copyOfRange(reply, at, at + len);
                // a desc entry read back as a group_mod ADD: the decoder is the one group_mods use
                out.add(GroupMod.decode(reader(groupModOfDesc(entry, version)), version).toGroup());
                at += len;
            }
        }
        return out;
    }

    private static byte[] groupModOfDesc(byte[] desc, int version) {
        Wire.Writer w = new Wire.Writer(version, OfType.GROUP_MOD, 1);
        w.u16(GroupMod.ADD).u8(desc[2]).u8(0).bytes(desc, 4, 4);
        if (version >= OfVersion.OF15) w.bytes(desc, 8, 2).zeros(2).u32(GroupMod.BUCKET_ALL).bytes(desc, 16, desc.length - 16);
        else w.bytes(desc, 8, desc.length - 8);
        return w.finish();
    }

    private static Wire.Reader reader(byte[] msg) {
        Wire.Reader r = new Wire.Reader(msg);
        r.skip(8);
        return r;
    }

    private static int[] error(OfConnection c, byte[] msg) { return OpenFlowCodecTest.errorOf(c.handle(msg)); }

    @Test
    void everyGroupTypeRoundTripsThroughGroupModAndGroupDesc() {
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            MemorySwitch sw = new MemorySwitch();
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            for (String text : GROUPS) assertEquals(List.of(), c.handle(groupMod(text, GroupMod.ADD, v)), OfVersion.name(v) + ": " + text);
            List<String> want = GROUPS.stream().map(t -> asCarried(t, v)).toList();
            assertEquals(want, sw.groups().stream().map(GroupFormat::format).toList(), OfVersion.name(v));
            assertEquals(want, descs(c, v).stream().map(GroupFormat::format).toList(), OfVersion.name(v) + " group_desc");
        }
    }

    @Test
    void addModifyDeleteAsOvsDoes() {
        int v = OfVersion.OF13;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        String g1 = GROUPS.getFirst();
        assertEquals(List.of(), c.handle(groupMod(g1, GroupMod.ADD, v)));
        assertArrayEquals(new int[] {6, 0}, error(c, groupMod(g1, GroupMod.ADD, v)), "OFPGMFC_GROUP_EXISTS");
        assertArrayEquals(new int[] {6, 8}, error(c, groupMod("group_id=9,type=all,bucket=output:1", GroupMod.MODIFY, v)), "OFPGMFC_UNKNOWN_GROUP");
        assertEquals(List.of(), c.handle(groupMod("group_id=1,type=indirect,bucket=output:3", GroupMod.MODIFY, v)));
        assertEquals("indirect", sw.groups().getFirst().type.text);
        assertEquals(List.of(), c.handle(groupMod("group_id=9,type=all,bucket=output:1", GroupMod.ADD_OR_MOD, v)));
        assertEquals(2, sw.groups().size());
        // a group action to a group that does not exist; a chain that comes back; a delete of a chained group
        assertArrayEquals(new int[] {2, 9}, error(c, groupMod("group_id=2,type=all,bucket=group:7", GroupMod.ADD, v)), "OFPBAC_BAD_OUT_GROUP");
        assertArrayEquals(new int[] {6, 13}, error(c, groupMod("group_id=2,type=fast_failover,bucket=watch_group:7,actions=output:1", GroupMod.ADD, v)), "OFPGMFC_BAD_WATCH");
        assertEquals(List.of(), c.handle(groupMod("group_id=2,type=all,bucket=group:9", GroupMod.ADD, v)));
        assertArrayEquals(new int[] {6, 7}, error(c, groupMod("group_id=9,type=all,bucket=group:2", GroupMod.MODIFY, v)), "OFPGMFC_LOOP");
        assertArrayEquals(new int[] {6, 7}, error(c, groupMod("group_id=3,type=all,bucket=group:3", GroupMod.ADD, v)), "OFPGMFC_LOOP (itself)");
        assertArrayEquals(new int[] {6, 9}, error(c, groupMod("group_id=9,type=all", GroupMod.DELETE, v)), "OFPGMFC_CHAINED_GROUP");
        // deleting a group deletes the flows that send to it (as OVS); an unknown id is no error; OFPG_ALL empties the table
        sw.addFlows(List.of(FlowParser.parse("priority=5,actions=group:2"), FlowParser.parse("priority=6,actions=output:1")));
        assertEquals(List.of(), c.handle(groupMod("group_id=2,type=all", GroupMod.DELETE, v)));
        assertEquals(1, sw.flows().size());
        assertEquals(List.of(), c.handle(groupMod("group_id=77,type=all", GroupMod.DELETE, v)));
        assertEquals(List.of(), c.handle(withId(groupMod("group_id=1,type=all", GroupMod.DELETE, v), GroupMod.GROUP_ALL)));
        assertEquals(List.of(), sw.groups());
    }

    @Test
    void insertAndRemoveBucketsInOpenFlow15() {
        int v = OfVersion.OF15;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        c.handle(groupMod(GROUPS.getFirst(), GroupMod.ADD, v));
        assertEquals(List.of(), c.handle(buckets(GroupMod.INSERT_BUCKET, GroupMod.BUCKET_FIRST, "group_id=1,type=all,bucket=bucket_id:7,actions=output:3")));
        assertEquals(List.of(), c.handle(buckets(GroupMod.INSERT_BUCKET, 0, "group_id=1,type=all,bucket=bucket_id:8,actions=output:4")));
        assertEquals(List.of(7L, 0L, 8L, 1L), bucketIds(sw));
        assertArrayEquals(new int[] {6, 16}, error(c, buckets(GroupMod.INSERT_BUCKET, GroupMod.BUCKET_LAST, "group_id=1,type=all,bucket=bucket_id:8,actions=output:4")), "OFPGMFC_BUCKET_EXISTS");
        assertArrayEquals(new int[] {6, 15}, error(c, buckets(GroupMod.INSERT_BUCKET, 99, "group_id=1,type=all,bucket=bucket_id:9,actions=output:4")), "OFPGMFC_UNKNOWN_BUCKET");
        assertEquals(List.of(), c.handle(buckets(GroupMod.REMOVE_BUCKET, 0, "group_id=1,type=all")));
        assertEquals(List.of(), c.handle(buckets(GroupMod.REMOVE_BUCKET, GroupMod.BUCKET_LAST, "group_id=1,type=all")));
        assertEquals(List.of(7L, 8L), bucketIds(sw));
        assertArrayEquals(new int[] {6, 15}, error(c, buckets(GroupMod.REMOVE_BUCKET, 99, "group_id=1,type=all")), "OFPGMFC_UNKNOWN_BUCKET");
        assertEquals(List.of(), c.handle(buckets(GroupMod.REMOVE_BUCKET, GroupMod.BUCKET_ALL, "group_id=1,type=all")));
        assertEquals(List.of(), bucketIds(sw));
        assertArrayEquals(new int[] {6, 8}, error(c, buckets(GroupMod.REMOVE_BUCKET, GroupMod.BUCKET_ALL, "group_id=5,type=all")), "OFPGMFC_UNKNOWN_GROUP");
    }

    private static List<Long> bucketIds(MemorySwitch sw) {
        return sw.groups().getFirst().buckets.stream().map(b -> (long) b.bucketId()).toList();
    }

    private static byte[] buckets(int command, long commandBucket, String text) {
        byte[] m = groupMod(text, command, OfVersion.OF15);
        Wire.Writer w = new Wire.Writer();
        w.bytes(m);
        w.put16(20, (int) (commandBucket >>> 16));
        w.put16(22, (int) commandBucket);
        return w.toBytes();
    }

    @Test
    void badGroupModsGetOvsErrors() {
        OfConnection c13 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF13);
        int v = OfVersion.OF13;
        assertArrayEquals(new int[] {6, 1}, error(c13, withType(groupMod("group_id=1,type=all,bucket=output:1,bucket=output:2", GroupMod.ADD, v),
                GroupMod.INDIRECT)), "OFPGMFC_INVALID_GROUP: indirect with 2 buckets");
        assertArrayEquals(new int[] {6, 10}, error(c13, withType(groupMod("group_id=1,type=all,bucket=output:1", GroupMod.ADD, v), 9)), "OFPGMFC_BAD_TYPE");
        byte[] badCmd = groupMod("group_id=1,type=all,bucket=output:1", 7, v);
        assertArrayEquals(new int[] {6, 11}, error(c13, badCmd), "OFPGMFC_BAD_COMMAND");
        assertArrayEquals(new int[] {6, 6}, error(c13, withType(groupMod("group_id=1,type=fast_failover,bucket=watch_port:1,actions=output:1", GroupMod.ADD, v), GroupMod.ALL)), "OFPGMFC_WATCH_UNSUPPORTED");
        assertArrayEquals(new int[] {6, 1}, error(c13, withId(groupMod("group_id=1,type=all,bucket=output:1", GroupMod.ADD, v), 0xffffff01L)), "OFPGMFC_INVALID_GROUP: reserved id");
        assertArrayEquals(new int[] {6, 1}, error(c13, groupMod("group_id=1,type=all,bucket=output:1", GroupMod.DELETE, v)), "a delete with buckets");
        // a bucket whose length runs past the message; one shorter than its header
        byte[] m = groupMod("group_id=1,type=all,bucket=output:1", GroupMod.ADD, v);
        m[17] = (byte) 0x80;
        assertArrayEquals(new int[] {6, 12}, error(c13, m), "OFPGMFC_BAD_BUCKET");
        m[16] = 0;
        m[17] = 8;
        assertArrayEquals(new int[] {6, 12}, error(c13, m), "OFPGMFC_BAD_BUCKET");
        // a bucket action the datapath cannot run in an action set
        Wire.Writer w = new Wire.Writer(v, OfType.GROUP_MOD, 3);
        w.u16(GroupMod.ADD).u8(GroupMod.ALL).u8(0).u32(1).u16(32).u16(0).u32(GroupMod.ANY).u32(GroupMod.ANY).zeros(4);
        w.u16(OfActions.VENDOR).u16(16).u32(OfVersion.NX_VENDOR).u16(OfActions.NX_NOTE).zeros(6);
        assertArrayEquals(new int[] {6, 12}, error(c13, w.finish()), "note is not an action-set action");
        // OpenFlow 1.0 has no group_mod (type 15 is its port_mod, which xvio does not do)
        OfConnection c10 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF10);
        Wire.Writer w10 = new Wire.Writer(OfVersion.OF10, OfType.GROUP_MOD, 3);
        w10.zeros(8);
        assertArrayEquals(new int[] {1, 1}, error(c10, w10.finish()), "OFPBRC_BAD_TYPE");
    }

    private static byte[] withId(byte[] m, long id) {
        byte[] c = m.clone();
        for (int i = 0; i < 4; i++) c[12 + i] = (byte) (id >>> (24 - 8 * i));
        return c;
    }

    private static byte[] withType(byte[] m, int type) {
        byte[] c = m.clone();
        c[10] = (byte) type;
        return c;
    }

    @Test
    void badOpenFlow15PropertiesGetOvsErrors() {
        int v = OfVersion.OF15;
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), v);
        byte[] good = groupMod(GROUPS.get(1).replace(",actions=group:1", ",actions=output:2"), GroupMod.ADD, v);
        // the selection method property's name changed to one OVS does not know
        byte[] m = good.clone();
        int at = indexOf(m, "hash".getBytes());
        m[at] = 'c';
        assertArrayEquals(new int[] {14, 2}, error(c, m), "OFPBPC_BAD_VALUE");
        // the property's experimenter type
        m = good.clone();
        m[at - 5] = 7;
        assertArrayEquals(new int[] {14, 6}, error(c, m), "OFPBPC_BAD_EXP_TYPE");
        // a property length that runs past the message
        m = good.clone();
        m[at - 14] = 0x7f;
        assertArrayEquals(new int[] {14, 1}, error(c, m), "OFPBPC_BAD_LEN");
        // a select group's method property on an all group
        m = withType(good, GroupMod.ALL);
        int[] e = error(c, m);
        assertTrue(e[0] == 14 || e[0] == 6, "an error of properties or groups: " + e[0] + "/" + e[1]);
        // bucket array length beyond the message
        m = good.clone();
        m[16] = 0x7f;
        assertArrayEquals(new int[] {1, 6}, error(c, m), "OFPBRC_BAD_LEN");
    }

    private static int indexOf(byte[] b, byte[] sub) {
        outer:
        for (int i = 0; i + sub.length <= b.length; i++) {
            for (int j = 0; j < sub.length; j++) if (b[i + j] != sub[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void flowAddsNamingAMissingGroupGetAnErrorEachAndTheOthersApply() {
        int v = OfVersion.OF13;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        c.handle(groupMod(GROUPS.getFirst(), GroupMod.ADD, v));
        // three adds read together (one batch): the one naming group 9 is refused alone, as OVS refuses it
        List<byte[]> r = c.handleAll(List.of(OpenFlowCodecTest.flowMod13("priority=1,actions=group:1", FlowMod.ADD, v),
                OpenFlowCodecTest.flowMod13("priority=2,actions=group:9", FlowMod.ADD, v),
                OpenFlowCodecTest.flowMod13("priority=3,actions=output:1", FlowMod.ADD, v)));
        assertArrayEquals(new int[] {2, 9}, OpenFlowCodecTest.errorOf(r), "OFPBAC_BAD_OUT_GROUP");
        assertEquals(List.of(1, 3), sw.flows().stream().map(f -> f.priority).toList());
    }

    @Test
    void groupStatsAndFeatures() {
        int v = OfVersion.OF13;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        c.handle(groupMod(GROUPS.getFirst(), GroupMod.ADD, v));
        sw.addFlows(List.of(FlowParser.parse("priority=5,actions=group:1"), FlowParser.parse("priority=6,ip,actions=group:1")));
        Wire.Writer w = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_GROUP).u16(0).zeros(4).u32(1).zeros(4);
        List<byte[]> r = c.handle(w.finish());
        assertEquals(1, r.size());
        Wire.Reader rd = new Wire.Reader(r.getFirst());
        rd.skip(16);
        assertEquals(40 + 2 * 16, rd.u16(), "entry length: 40 bytes and 16 per bucket");
        rd.skip(2);
        assertEquals(1, rd.u32(), "group id");
        assertEquals(2, rd.u32(), "ref_count: the flows that send to it");
        Wire.Writer f = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 6);
        f.u16(OfType.MP_GROUP_FEATURES).u16(0).zeros(4);
        byte[] feat = c.handle(f.finish()).getFirst();
        assertEquals(16 + 40, feat.length);
        Wire.Writer bad = new Wire.Writer(v, OfType.MULTIPART_REQUEST, 7);
        bad.u16(OfType.MP_GROUP).u16(0).zeros(4).u16(1);
        assertArrayEquals(new int[] {1, 6}, error(c, bad.finish()), "a group stats request cut short");
    }
}
