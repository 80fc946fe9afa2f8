package io.xvio.datapath;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A bridge's recirculation ids: each names where a packet that recirculates goes on (OVS's frozen state): a
 * select group's bucket choice by dp_hash, or a table to resume in. The same state always gets the same id, so
 * every PMD thread's cached translations agree and the ids stay few (one per group or table that recirculates).
 * Written by the slow path under this object's lock; read by the PMD threads from an array published whole.
 */
public final class Recirculations {
    /**
     * Where a recirculated packet goes on, and the register stack it takes along (OVS's frozen_state keeps the
     * stack; registers, metadata and the rest travel in the packet's key).
     */
    public record Frozen(Kind kind, long arg, int table, java.util.List<Long> stack) {
        public Frozen(Kind kind, long arg, int table) { this(kind, arg, table, java.util.List.of()); }
    }

    public enum Kind {
        /** Choose group arg's bucket by the packet's dp_hash (selection_method=dp_hash). */
        SELECT_BUCKET,
        /** Go on with a lookup in table. */
        RESUME_TABLE
    }

    /** Most ids a bridge hands out: beyond, translations that would recirculate are not cached. */
    public static final int MAX_IDS = 1 << 16;

    private final Map<Frozen, Integer> ids = new HashMap<>();
    private volatile Frozen[] byId = new Frozen[1];         // id 0: not recirculated

    /** The id of state f (a new one the first time); -1 if the bridge has handed out {@link #MAX_IDS}. */
    public synchronized int id(Frozen f) {
        Integer id = ids.get(f);
        if (id != null) return id;
        Frozen[] cur = byId;
        if (cur.length >= MAX_IDS) return -1;
        Frozen[] next = Arrays.copyOf(cur, cur.length + 1);
        next[cur.length] = f;
        ids.put(f, cur.length);
        byId = next;
        return cur.length;
    }

    /** The state of id, or null for an id never handed out. */
    public Frozen get(long id) {
        Frozen[] a = byId;
        return id > 0 && id < a.length ? a[(int) id] : null;
    }

    public int size() { return byId.length - 1; }
}
