package io.xvio.datapath;

import java.util.Arrays;
import java.util.List;

/**
 * The flows added and removed over a bridge's last few table versions (a modified flow is both: the old one
 * removed, its copy added), published with each table set. A poll-mode thread whose megaflow cache was filled
 * under an older version that the log still covers evicts only the entries those flows can affect; one it does
 * not cover (a port changed, too many flows changed at once, or older than the window) empties its cache.
 * A version may change groups instead of flows: then the entries whose translation ran a group that changed (or
 * met one missing) are evicted; or start sending table misses to the controllers: then those that met a miss.
 * Immutable.
 */
final class ChangeLog {
    /** Most flows the window holds: beyond this, checking every entry against every change costs more than refilling. */
    static final int MAX_FLOWS = 64;

    static final ChangeLog INITIAL = new ChangeLog(0, 0, new Flow[0], new long[0], 0, 0);

    /** The table version this log belongs to. */
    final long version;
    /** The oldest version a cache may have been filled under and still be brought up to date. */
    final long base;
    /** Changed flows, oldest version first, and the version that changed each. */
    final Flow[] flows;
    final long[] versions;
    /** The latest version that changed groups; that began sending table misses to the controllers. */
    final long groupsAt, missesAt;

    private ChangeLog(long version, long base, Flow[] flows, long[] versions, long groupsAt, long missesAt) {
        this.version = version;
        this.base = base;
        this.flows = flows;
        this.versions = versions;
        this.groupsAt = groupsAt;
        this.missesAt = missesAt;
    }

    /** The log of the next version, which changed groups and no flows. */
    ChangeLog nextForGroups() {
        ChangeLog n = next(List.of(), false);
        return new ChangeLog(n.version, n.base, n.flows, n.versions, n.version, missesAt);
    }

    /** The log of the next version, from which a table miss goes to the controllers instead of being dropped. */
    ChangeLog nextForMisses() {
        ChangeLog n = next(List.of(), false);
        return new ChangeLog(n.version, n.base, n.flows, n.versions, groupsAt, n.version);
    }

    /** Whether groups changed after version cached (the caller knows the log {@link #covers} it). */
    boolean groupsChangedAfter(long cached) { return groupsAt > cached; }

    /** Whether table misses began to go to the controllers after version cached. */
    boolean missesChangedAfter(long cached) { return missesAt > cached; }

    /** The log of the next version, in which the flows changed were added or removed; everything: nothing can be updated. */
    ChangeLog next(List<Flow> changed, boolean everything) {
        long v = version + 1;
        if (everything || changed.size() > MAX_FLOWS) return new ChangeLog(v, v, new Flow[0], new long[0], groupsAt, missesAt);
        int from = 0;
        long newBase = base;
        while (flows.length - from + changed.size() > MAX_FLOWS) {   // forget whole versions, oldest first
            newBase = versions[from];
            while (from < flows.length && versions[from] == newBase) from++;
        }
        Flow[] fs = Arrays.copyOfRange(flows, from, flows.length + changed.size());
        long[] vs = Arrays.copyOfRange(versions, from, flows.length + changed.size());
        for (int i = 0; i < changed.size(); i++) {
            fs[flows.length - from + i] = changed.get(i);
            vs[flows.length - from + i] = v;
        }
        return new ChangeLog(v, newBase, fs, vs, groupsAt, missesAt);
    }

    /** Whether a cache filled under version cached can be brought to this version by evicting what changed since. */
    boolean covers(long cached) { return cached >= base && cached <= version; }

    /** Index of the first change made after version cached. */
    int firstAfter(long cached) {
        int i = 0;
        while (i < versions.length && versions[i] <= cached) i++;
        return i;
    }
}
