package io.xvio.datapath;

import io.xvio.datapath.action.*;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An OpenFlow group (ovs-ofctl add-group): its id, type, buckets and, for select groups, how a bucket is chosen.
 * Immutable but for its counters: packets and bytes for the group and per bucket, one row per PMD thread
 * (single writer, plain adds), summed by readers. A {@link #modified} copy shares nothing but the id.
 *
 * <p>Types, as OVS executes them: {@code all} runs every bucket, {@code select} one live bucket chosen by a hash of
 * the packet (weighted), {@code indirect} its single bucket, {@code fast_failover} the first live bucket. A bucket is
 * live when it watches nothing, or its watch_port is up, or its watch_group is live (a group is live when one of its
 * buckets is); a select group's bucket of weight 0 never is (OVS's bucket_is_alive).
 * Each bucket runs on the packet as it was when the group action ran (as a clone): what it changes does not
 * reach the next bucket or the actions after the group.
 */
public final class Group {
    public enum Type {
        ALL("all"), SELECT("select"), INDIRECT("indirect"), FAST_FAILOVER("fast_failover");
        public final String text;
        Type(String text) { this.text = text; }
    }

    /** How a select group hashes: the symmetric L3/L4 5-tuple (xvio's default), or the listed fields. */
    public record Selection(String method, List<Field> fields) {
        public static final Selection DEFAULT = new Selection(null, List.of());
    }

    /**
     * One bucket. actions: as written (what dump-groups prints); executed: what runs, in OpenFlow action-set
     * order (strip_vlan, push_vlan, dec_ttl, then set_field/load/move as written, then the one final action:
     * group over output over resubmit), as OVS executes a bucket.
     */
    public record Bucket(int bucketId, int weight, int watchPort, long watchGroup, List<Action> actions, List<Action> executed) {
        public static final int NO_WATCH_PORT = -1;
        public static final long NO_WATCH_GROUP = -1;

        /** Whether running this bucket changes the packet (then it must run on a copy). */
        boolean modifies() {
            for (Action a : executed) if (a.modifies()) return true;
            return false;
        }
    }

    public static final int MAX_BUCKETS = 1024;
    public static final long MAX_ID = 0xffffff00L;

    public final long id;
    public final Type type;
    public final Selection selection;
    public final List<Bucket> buckets;
    public final String text;
    final long createdNanos;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    /** Per PMD thread (row t + 1; row 0: callers without a thread): group packets, group bytes, then per bucket the same. */
    /** Row 0: a trace's runs (thread -2), never summed; then thread -1 and the PMD threads. */
    private final long[][] rows = new long[BridgeDatapath.MAX_THREADS + 2][];

    /**
     * The fewest slots of a dp_hash table, and the most the PMD's select shortcut ({@link SelectChain}) and the
     * recirculation front cache by: a table this size takes bucket dpHashMap[dp_hash & (DP_HASH_SLOTS - 1)]. Larger
     * tables (many buckets, skewed weights) are chosen correctly, through the recirculation cache.
     */
    public static final int DP_HASH_SLOTS = 64;
    /** The most slots a dp_hash table may have (OVS's MAX_SELECT_GROUP_HASH_VALUES); a group needing more hashes fields. */
    public static final int MAX_DP_HASH_SLOTS = 256;
    /**
     * For a select group using dp_hash: the bucket index per slot (a power of two of them, DP_HASH_SLOTS to
     * MAX_DP_HASH_SLOTS); null if the group does not use dp_hash.
     */
    final int[] dpHashMap;

    public Group(long id, Type type, Selection selection, List<Bucket> buckets, String text) {
        this(id, type, selection, buckets, text, System.nanoTime());
    }

    private Group(long id, Type type, Selection selection, List<Bucket> buckets, String text, long createdNanos) {
        this.createdNanos = createdNanos;
        this.id = id;
        this.type = type;
        this.selection = selection;
        this.buckets = List.copyOf(buckets);
        this.text = text;
        boolean dpHash = type == Type.SELECT && selection.fields().isEmpty() && (selection.method() == null || selection.method().equals("dp_hash"));
        this.dpHashMap = dpHash ? slots(this.buckets) : null;
    }

    /**
     * This group as the new state of was, a group of the same id it modifies: fresh counters, was's age (OVS's
     * modify_group_start keeps the creation time, which group stats' duration counts from).
     */
    public Group modifying(Group was) {
        return new Group(id, type, selection, buckets, text, was.createdNanos);
    }

    /**
     * Whether this is a select group choosing by dp_hash (selection_method=dp_hash, or none given: OVS's default
     * since 2.10): the packet's 5-tuple hash goes into dp_hash and the packet recirculates, so the first pass is
     * cached once for all connections and the second once per dp_hash slot. Not when no bucket has a weight or the
     * weights need more than {@link #MAX_DP_HASH_SLOTS} slots: then, as OVS falls back to its default selection, the
     * bucket is chosen by a hash of the 5-tuple in one pass.
     */
    public boolean usesDpHash() { return dpHashMap != null; }

    /**
     * The dp_hash table, as OVS's group_setup_dp_hash_table sizes and fills it: enough slots that the lightest
     * bucket gets one (total weight / least weight) and about four per bucket (up to 256), a power of two, at least
     * {@link #DP_HASH_SLOTS}; slots given out one by one by Webster's method (highest weight / (2 * slots so far + 1)
     * next, earlier bucket on a tie), so each bucket's share follows its weight and neighbouring slots alternate.
     * Null when no bucket has a weight or more than {@link #MAX_DP_HASH_SLOTS} slots would be needed.
     */
    static int[] slots(List<Bucket> buckets) {
        long total = 0;
        int least = Integer.MAX_VALUE;
        for (Bucket b : buckets) {
            total += b.weight();
            if (b.weight() > 0) least = Math.min(least, b.weight());
        }
        if (total == 0) return null;
        long want = Math.max((total + least - 1) / least, Math.min(4L * buckets.size(), MAX_DP_HASH_SLOTS));
        if (want > MAX_DP_HASH_SLOTS) return null;
        int n = Math.max(DP_HASH_SLOTS, Integer.highestOneBit((int) want - 1) << 1);
        int[] map = new int[n];
        int[] given = new int[buckets.size()];
        for (int slot = 0; slot < n; slot++) {
            int best = 0;
            double bestValue = -1;
            for (int x = 0; x < given.length; x++) {
                double v = (double) buckets.get(x).weight() / (2 * given[x] + 1);
                if (v > bestValue) { bestValue = v; best = x; }
            }
            given[best]++;
            map[slot] = best;
        }
        return map;
    }

    /** Counts packets (of bytes in all) run by the group (bucket -1) or by bucket b, by PMD thread (single writer per row). */
    void hit(int thread, int bucket, long packets, long bytes) {
        int r = thread + 2;
        long[] row = rows[r];
        if (row == null) row = rows[r] = new long[2 + 2 * buckets.size()];     // once per thread and group
        int at = bucket < 0 ? 0 : 2 + 2 * bucket;
        row[at] += packets;
        row[at + 1] += bytes;
    }

    private long sum(int i) {
        long s = 0;
        for (int r = 1; r < rows.length; r++) if (rows[r] != null) s += (long) LONGS.getOpaque(rows[r], i);
        return s;
    }

    public long packetCount() { return sum(0); }
    public long byteCount() { return sum(1); }
    public long bucketPacketCount(int b) { return sum(2 + 2 * b); }
    public long bucketByteCount(int b) { return sum(3 + 2 * b); }
    public long createdNanos() { return createdNanos; }

    /** Group ids this group's buckets refer to (watch_group and group actions). */
    public List<Long> referencedGroups() {
        List<Long> out = new ArrayList<>();
        for (Bucket b : buckets) {
            if (b.watchGroup() != Bucket.NO_WATCH_GROUP) out.add(b.watchGroup());
            out.addAll(ActionOutputs.groups(b.actions()));          // inside a bucket's clone too
        }
        return out;
    }

    @Override
    public String toString() { return GroupFormat.format(this); }
}
