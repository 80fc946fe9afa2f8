package io.xvio.openflow;

import io.xvio.datapath.ActionOutputs;
import io.xvio.datapath.Flow;
import io.xvio.datapath.Group;
import io.xvio.datapath.action.Action;

import java.util.List;

/**
 * The group multiparts (OpenFlow 1.1+): OFPMP_GROUP_DESC (1.1-1.4's ofp11_group_desc_stats with ofp11_bucket,
 * 1.5's ofp15_group_desc_stats with bucket properties and the selection-method property, as OVS's ofp-group.c
 * writes them), OFPMP_GROUP (counters, with durations from 1.3) and OFPMP_GROUP_FEATURES.
 */
final class GroupStats {
    private GroupStats() {}

    /** The group id a group stats or (1.5) group desc request names; OFPG_ALL when 1.1-1.4's desc request has none. */
    static long requestedGroup(Wire.Reader r, int version, boolean desc) {
        if (desc && version < OfVersion.OF15) return GroupMod.GROUP_ALL;
        if (r.remaining() < 8) throw OfError.BAD_LEN.fail("group request body of " + r.remaining() + " bytes (8 expected)");
        long id = r.u32();
        r.skip(4);
        return id;
    }

    static List<Group> selected(List<Group> all, long id) {
        if (id == GroupMod.GROUP_ALL) return all;
        return all.stream().filter(g -> g.id == id).toList();
    }

    static byte[] desc(Group g, int version) {
        Wire.Writer w = new Wire.Writer();
        int type = g.type.ordinal();
        boolean select = type == GroupMod.SELECT;
        if (version < OfVersion.OF15) {
            w.u16(0).u8(type).u8(0).u32(g.id);
            for (Group.Bucket b : g.buckets) {
                int start = w.size();
                w.u16(0).u16(select ? b.weight() : 0).u32(watchPort(b)).u32(watchGroup(b)).zeros(4);
                OfActions.encodeActions(b.actions(), version, w);
                w.put16(start, w.size() - start);
            }
        } else {
            w.u16(0).u8(type).u8(0).u32(g.id).u16(0).zeros(6);
            int bucketsStart = w.size();
            for (Group.Bucket b : g.buckets) {
                int start = w.size();
                w.u16(0).u16(0).u32(b.bucketId());
                OfActions.encodeActions(b.actions(), version, w);
                w.put16(start + 2, w.size() - start - 8);
                if (select) w.u16(GroupMod.PROP_WEIGHT).u16(8).u16(b.weight()).zeros(2);   // 8 bytes, as OVS writes 16-bit properties
                if (b.watchPort() != Group.Bucket.NO_WATCH_PORT) w.u16(GroupMod.PROP_WATCH_PORT).u16(8).u32(watchPort(b));
                if (b.watchGroup() != Group.Bucket.NO_WATCH_GROUP) w.u16(GroupMod.PROP_WATCH_GROUP).u16(8).u32(b.watchGroup());
                w.put16(start, w.size() - start);
            }
            w.put16(8, w.size() - bucketsStart);
            if (g.selection.method() != null) {
                int start = w.size();
                w.u16(GroupMod.PROP_EXPERIMENTER).u16(0).u32(GroupMod.NTR_VENDOR).u32(GroupMod.NTRT_SELECTION_METHOD).zeros(4);
                w.string(g.selection.method(), 16).u64(0);
                GroupFields.encode(g.selection.fields(), w);
                w.put16(start + 2, w.size() - start);
                w.pad8(start);
            }
        }
        w.put16(0, w.size());
        return w.toBytes();
    }

    private static long watchPort(Group.Bucket b) {
        return b.watchPort() == Group.Bucket.NO_WATCH_PORT ? GroupMod.ANY : Ports.to32(b.watchPort());
    }

    private static long watchGroup(Group.Bucket b) {
        return b.watchGroup() == Group.Bucket.NO_WATCH_GROUP ? GroupMod.ANY : b.watchGroup();
    }

    /** How many flows send to group id (OVS's ref_count in group stats). */
    static int refCount(List<Flow> flows, long id) {
        int n = 0;
        for (Flow f : flows)
            if (ActionOutputs.toGroup(f.actions, id)) n++;
        return n;
    }

    static byte[] stats(Group g, int refCount, int version, long now) {
        Wire.Writer w = new Wire.Writer();
        w.u16(0).zeros(2).u32(g.id).u32(refCount).zeros(4).u64(g.packetCount()).u64(g.byteCount());
        if (version >= OfVersion.OF13) {
            long age = Math.max(0, now - g.createdNanos());
            w.u32(age / 1_000_000_000L).u32(age % 1_000_000_000L);
        }
        for (int i = 0; i < g.buckets.size(); i++) w.u64(g.bucketPacketCount(i)).u64(g.bucketByteCount(i));
        w.put16(0, w.size());
        return w.toBytes();
    }

    /** OFPMP_GROUP_FEATURES: all four types; weights, liveness and chaining; group ids up to OFPG_MAX; the actions xvio runs in buckets. */
    static byte[] features() {
        Wire.Writer w = new Wire.Writer();
        w.u32(0xf).u32(0x1 | 0x2 | 0x4);
        for (int i = 0; i < 4; i++) w.u32(GroupMod.MAX);
        // OFPAT_OUTPUT, PUSH_VLAN, POP_VLAN, GROUP, SET_NW_TTL, DEC_NW_TTL, SET_FIELD
        long actions = 1L << OfActions.OUTPUT | 1L << OfActions.PUSH_VLAN | 1L << OfActions.POP_VLAN | 1L << OfActions.GROUP
                | 1L << OfActions.DEC_NW_TTL | 1L << OfActions.SET_FIELD;
        for (int i = 0; i < 4; i++) w.u32(actions);
        return w.toBytes();
    }
}
