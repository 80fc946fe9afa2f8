package io.xvio.openflow;

import io.xvio.datapath.ActionOutputs;
import io.xvio.datapath.Group;
import io.xvio.datapath.action.Action;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Applies a {@link GroupMod} to the bridge's group table (the one {@code xvio add-group} changes) as OVS's
 * ofproto.c does: add (OFPGMFC_GROUP_EXISTS if the id is taken), modify (OFPGMFC_UNKNOWN_GROUP if it is not),
 * OVS's add-or-modify, delete (one group or OFPG_ALL; an unknown id is no error; flows that name a deleted group
 * go with it, as in OVS) and OpenFlow 1.5's insert and remove bucket. The whole change is checked against the
 * table as it will be, under the command lock, before anything changes: a group action or watch_group naming a
 * group that does not exist (OFPBAC_BAD_OUT_GROUP / OFPGMFC_BAD_WATCH), a chain that leads back to the group
 * (OFPGMFC_LOOP), a delete of a group another group still names (OFPGMFC_CHAINED_GROUP).
 */
final class OfGroups {
    private OfGroups() {}

    /** Applies gm; a one-line description of what changed, for the log. */
    static String apply(GroupMod gm, OfSwitch sw) { return apply(gm, sw, new ArrayList<>()); }

    /** As {@link #apply(GroupMod, OfSwitch)}; the flows a group delete took with it are added to removed. */
    static String apply(GroupMod gm, OfSwitch sw, List<io.xvio.datapath.Flow> removed) {
        return sw.change(() -> {
            Map<Long, Group> cur = new TreeMap<>();
            for (Group g : sw.groups()) cur.put(g.id, g);
            return applyTo(gm, sw, cur, removed);
        });
    }

    /** The same against a given table; sw gets the change. */
    static String applyTo(GroupMod gm, OfSwitch sw, Map<Long, Group> cur, List<io.xvio.datapath.Flow> removed) {
        long id = gm.groupId();
        boolean exists = cur.containsKey(id);
        switch (gm.command()) {
            case GroupMod.ADD, GroupMod.MODIFY, GroupMod.ADD_OR_MOD -> {
                if (id > GroupMod.MAX) throw OfError.INVALID_GROUP.fail("group id 0x" + Long.toHexString(id) + " is reserved");
                if (gm.command() == GroupMod.ADD && exists) throw OfError.GROUP_EXISTS.fail("group " + id + " already exists");
                if (gm.command() == GroupMod.MODIFY && !exists) throw OfError.UNKNOWN_GROUP.fail("group " + id + " does not exist");
                Group g = gm.toGroup();
                put(sw, cur, g, exists);
                return (exists ? "modified" : "added") + " group " + id;
            }
            case GroupMod.DELETE -> {
                Set<Long> ids = id == GroupMod.GROUP_ALL ? null : Set.of(id);
                if (ids != null && !exists) return "deleted no group (" + id + " does not exist)";
                Map<Long, Group> next = new TreeMap<>(cur);
                if (ids == null) next.clear();
                else next.remove(id);
                for (Group g : next.values())
                    for (long r : g.referencedGroups())
                        if (!next.containsKey(r)) throw OfError.CHAINED_GROUP.fail("group " + r + " is named by group " + g.id + ", which stays");
                for (io.xvio.datapath.Flow f : sw.flows())
                    for (long ga : ActionOutputs.groups(f.actions))
                        if (!next.containsKey(ga) && cur.containsKey(ga)) { removed.add(f); break; }
                int n = sw.deleteGroups(ids);
                cur.clear();
                cur.putAll(next);
                return "deleted " + n + " group(s)";
            }
            default -> {
                if (!exists) throw OfError.UNKNOWN_GROUP.fail("group " + id + " does not exist");
                Group old = cur.get(id);
                List<GroupMod.WireBucket> buckets = gm.command() == GroupMod.INSERT_BUCKET
                        ? inserted(old, gm.buckets(), gm.commandBucketId()) : removed(old, gm.commandBucketId());
                int type = old.type.ordinal();
                if (type == GroupMod.INDIRECT && buckets.size() != 1) throw OfError.INVALID_GROUP.fail("an indirect group has exactly one bucket, not " + buckets.size());
                if (type == GroupMod.FAST_FAILOVER || type == GroupMod.ALL || type == GroupMod.INDIRECT)
                    for (GroupMod.WireBucket b : gm.buckets())
                        if ((type == GroupMod.FAST_FAILOVER) != b.watches())
                            throw type == GroupMod.FAST_FAILOVER ? OfError.INVALID_GROUP.fail("a fast_failover bucket without a watch")
                                    : OfError.WATCH_UNSUPPORTED.fail("a watch in a bucket of an all or indirect group");
                if (buckets.size() > Group.MAX_BUCKETS) throw OfError.OUT_OF_BUCKETS.fail(buckets.size() + " buckets");
                Group g = GroupMod.toGroup(id, type, old.selection.method(), old.selection.fields(), buckets);
                put(sw, cur, g, true);
                return (gm.command() == GroupMod.INSERT_BUCKET ? "inserted " + gm.buckets().size() + " bucket(s) into" : "removed buckets from") + " group " + id;
            }
        }
    }

    private static void put(OfSwitch sw, Map<Long, Group> cur, Group g, boolean exists) {
        Map<Long, Group> next = new TreeMap<>(cur);
        next.put(g.id, g);
        checkReferences(g, next);
        sw.putGroup(g, exists);
        cur.put(g.id, g);
    }

    /** g's group actions and watch_groups name groups of next, and no chain from g comes back to it. */
    static void checkReferences(Group g, Map<Long, Group> next) {
        for (Group.Bucket b : g.buckets) {
            if (b.watchGroup() != Group.Bucket.NO_WATCH_GROUP && b.watchGroup() != g.id && !next.containsKey(b.watchGroup()))
                throw OfError.BAD_WATCH.fail("bucket " + b.bucketId() + " watches group " + b.watchGroup() + ", which does not exist");
            for (long ga : ActionOutputs.groups(b.actions()))
                if (ga != g.id && !next.containsKey(ga))
                    throw OfError.BAD_OUT_GROUP.fail("bucket " + b.bucketId() + " sends to group " + ga + ", which does not exist");
        }
        Deque<Long> todo = new ArrayDeque<>(g.referencedGroups());
        Set<Long> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            long r = todo.pop();
            if (r == g.id) throw OfError.GROUP_LOOP.fail("group " + g.id + " would reach itself through its buckets");
            Group n = next.get(r);
            if (seen.add(r) && n != null) todo.addAll(n.referencedGroups());
        }
    }

    /** OVS's copy_buckets_for_insert_bucket: the new buckets first, last, or after the bucket with that id. */
    private static List<GroupMod.WireBucket> inserted(Group old, List<GroupMod.WireBucket> add, long at) {
        List<GroupMod.WireBucket> out = new ArrayList<>();
        for (Group.Bucket b : old.buckets) out.add(GroupMod.WireBucket.of(b));
        Set<Long> ids = new HashSet<>();
        for (GroupMod.WireBucket b : out) ids.add(b.bucketId());
        int pos;
        if (at == GroupMod.BUCKET_FIRST) pos = 0;
        else if (at == GroupMod.BUCKET_LAST) pos = out.size();
        else {
            pos = -1;
            for (int i = 0; i < out.size(); i++) if (out.get(i).bucketId() == at) pos = i + 1;
            if (pos < 0) throw OfError.UNKNOWN_BUCKET.fail("group " + old.id + " has no bucket " + at);
        }
        for (GroupMod.WireBucket b : add)
            if (!ids.add(b.bucketId())) throw OfError.BUCKET_EXISTS.fail("group " + old.id + " already has bucket " + b.bucketId());
        out.addAll(pos, add);
        return out;
    }

    /** OVS's copy_buckets_for_remove_bucket: all, the first, the last, or the one with that id. */
    private static List<GroupMod.WireBucket> removed(Group old, long which) {
        List<GroupMod.WireBucket> out = new ArrayList<>();
        for (Group.Bucket b : old.buckets) out.add(GroupMod.WireBucket.of(b));
        if (which == GroupMod.BUCKET_ALL) out.clear();
        else if (which == GroupMod.BUCKET_FIRST) { if (!out.isEmpty()) out.removeFirst(); }
        else if (which == GroupMod.BUCKET_LAST) { if (!out.isEmpty()) out.removeLast(); }
        else if (!out.removeIf(b -> b.bucketId() == which)) throw OfError.UNKNOWN_BUCKET.fail("group " + old.id + " has no bucket " + which);
        return out;
    }
}
