package io.xvio.datapath.action;

import io.xvio.datapath.DatapathDrops;
import io.xvio.datapath.Field;
import io.xvio.packet.FlowKey;

import java.util.List;

/**
 * The translation of one packet (OVS's xlate context) as actions see it: each operation executes on the packet in
 * its burst slot and, on a cache miss, records the datapath operation and the key bits it depended on, so the
 * megaflow entry replays it. Slots: i is the packet (or a copy of it).
 */
public interface Xlate {
    FlowKey key(int i);

    /** output:PORT (OpenFlow port number): a missing port or the input port is a counted drop. */
    void output(int ofport, int i, boolean copy);
    /** IN_PORT: back out of the port the packet came from. */
    void outputInPort(int i, boolean copy);
    /** NORMAL: the learning switch. */
    void normal(int i, int inPort, boolean copy);
    /** FLOOD / ALL: every port but the input port. */
    void flood(int i, boolean copy);

    /** Writes value under mask into field f (128-bit fields: hi and lo words); a tun_metadataN written becomes present. */
    void set(int i, Field f, long value, long mask, long valueLo, long maskLo);
    /** Reads nBits of field f from bit ofs; the cache entry then depends on those bits. */
    long read(int i, Field f, int ofs, int nBits);
    /** metadata = (metadata & ~mask) | (value & mask) (OpenFlow metadata never leaves the switch). */
    void writeMetadata(int i, long value, long mask);
    void pushVlan(int i, int ethertype);
    void stripVlan(int i);
    /** dec_ttl: false when the TTL ran out (the packet is counted as dropped). Not IP: nothing happens. */
    boolean decTtl(int i);

    /** Looks packet i up in table (in_port = port for the lookup, -1: unchanged) and runs what it finds; false if dead. */
    boolean lookup(int table, int inPort, int port, int i, int depth, boolean copy, boolean tail);

    /**
     * goto_table's (and a packet-out's output:TABLE's) lookup: as {@link #lookup}, but a miss there may go to the
     * controllers (a resubmit's may not).
     */
    default boolean gotoTable(int table, int inPort, int i, int depth, boolean copy, boolean tail) {
        return lookup(table, inPort, -1, i, depth, copy, tail);
    }
    /** Runs group id on packet i. */
    void group(long id, int table, int inPort, int i, int depth, boolean copy, boolean tail);
    /** Runs acts on packet i; false if the packet was dropped for good. */
    boolean execute(List<Action> acts, int table, int inPort, int i, int depth, boolean copy, boolean tail);
    /** Runs acts on a copy of packet i (a clone whose actions rewrite it); the copy's fate is its own. */
    void executeOnCopy(List<Action> acts, int table, int inPort, int i, int depth);

    /**
     * Whether packet i's frame is at least n bytes long now. The packet's length is not in the flow key: the
     * translation is not cached (each such packet is translated).
     */
    boolean lengthAtLeast(int i, int n);

    /**
     * ct(...) on packet i in zone: tracks it (and, with nat, translates it); with a table, the tracked packet goes on
     * there in another pass (the packet itself unless tail is false, then a copy). Then the packet goes on untracked.
     * Returns false if the packet is an IP fragment held until its datagram is whole: it goes no further now.
     */
    boolean conntrack(int i, Ct ct, int zone, boolean tail);
    /** ct_clear: the packet's ct_* fields go back to 0 (untracked). */
    void ctClear(int i);

    /**
     * meter:N on packet i: false if the meter's band dropped it (counted in meter-stats; the packet is gone). A
     * meter that does not exist (a flow cannot name one) lets it pass, as OVS's datapath does.
     */
    boolean meter(int i, long id);

    /**
     * controller: packet i, at most maxLen bytes of it, goes to the OpenFlow controllers (found in table); the
     * translation is not cached. Without a controller it is a counted drop.
     */
    void controller(int i, int maxLen, int table);

    /** The controller action c on packet i: as {@link #controller(int, int, int)}, with c's userdata. */
    default void controller(int i, Controller c, int table) { controller(i, c.maxLen(), table); }

    /**
     * dec_ttl found packet i's TTL expired: an invalid_ttl packet-in (the whole packet) to the connections of controller
     * id that asked for that reason; the translation is not cached. No controller: nothing (the TTL drop is counted).
     */
    default void invalidTtl(int i, int id, int table) { }

    /**
     * controller(...,pause) c on packet i: the translation stops (not cached); the list running and each enclosing
     * one add the rest of their actions to the continuation, and the packet-in goes out with it. False if the packet
     * is gone now (no controller: a counted drop).
     */
    default boolean pause(int i, Controller c, int table) {
        controller(i, c, table);
        return false;
    }

    /**
     * learn(...) on packet i: reads the specs' source fields (the cache entry then depends on them), queues the flow
     * to learn for the control plane and, for a cached entry, refreshes the learned flow at each hit; sets
     * result_dst. Never blocks: a full queue is a counted drop of the learning (the packet goes on).
     */
    void learn(int i, Learn l);

    /** A counted drop (with the cache recording it); the translation goes on. */
    void drop(DatapathDrops.Reason reason);

    /** The low 64 bits (word 2) of 128-bit field f of packet i (read recorded, as read()). */
    long readLo(int i, Field f);

    /** A clone's actions start with a copy of the register stack; returns what {@link #stackLeave} restores. */
    default long stackEnter() { return 0; }

    /** After a clone: the register stack as it was before it. */
    default void stackLeave(long saved) { }

    /** The register stack (push:/pop:) of this packet's translation. */
    void stackPush(long value);
    boolean stackEmpty();
    long stackPop();
}
