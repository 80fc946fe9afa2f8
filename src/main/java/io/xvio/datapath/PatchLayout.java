package io.xvio.datapath;

import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;

import java.util.Arrays;
import java.util.List;

/**
 * The patch ports reachable from one bridge's receive queues (OVS's patch ports, ofproto-dpif-xlate.c's
 * patch_port_output): where, in the port array those queues transmit to, each patch port sits and which bridge and
 * port its peer is. A patch port has no queues: a packet output to it enters the peer's bridge with in_port = the peer,
 * in the same burst on the same PMD thread. {@link #cross} runs after the bridge's own pass over a burst: it takes the
 * packets the pipeline put on patch ports and runs each through the peer bridge ({@link BridgeDatapath#processKeyed},
 * so each bridge caches its own part of the path in its own megaflow cache and revalidates it with its own tables),
 * whose outputs go to the peer's ports at its place in the array. Packets the peers put on patch ports in turn go
 * round again; after {@link #MAX_HOPS} crossings what is left is a counted drop ({@code patch loop}), never a hang.
 *
 * <p>Entering the peer resets the packet's metadata as OVS does: the key is extracted again from the frame as it was
 * at the output (so header rewrites that reached the frame stay), in_port is the peer, metadata, registers, tunnel
 * and conntrack fields are 0; pkt_mark and dp_hash are kept. A frame that also goes to another port (or to a second
 * patch port) crosses as a copy, so the peer's rewrites never reach the others. Immutable, built by the control
 * thread; per-thread scratch only, nothing allocated or locked per packet.
 */
public final class PatchLayout {
    /** How many patch ports a packet may cross in one burst (OVS bounds it by its translation depth). */
    public static final int MAX_HOPS = 8;

    /** Counts packets crossing a patch port: tx on the port left, rx on the peer (the port layer's counters). */
    public interface Counter { void count(int thread, int bytes); }

    /**
     * One patch port of the array: at index {@code at}, a port of bridge {@code from}; its peer is port index
     * {@code peerIndex} (OpenFlow {@code peerOfport}) of {@code peer}, whose ports start at {@code peerBase}.
     */
    public record Hop(int at, BridgeDatapath from, BridgeDatapath peer, int peerIndex, int peerOfport, int peerBase,
                      Counter tx, Counter rx) {}

    private final Hop[] hops;
    /** Per thread (index thread + 2): the packets taken from the patch ports in one round, and slot use counts. */
    private final int[][] taken = new int[BridgeDatapath.MAX_THREADS + 2][];
    private final int[][] uses = new int[BridgeDatapath.MAX_THREADS + 2][];
    private final int[][] counts = new int[BridgeDatapath.MAX_THREADS + 2][];

    public PatchLayout(List<Hop> hops) {
        this.hops = hops.toArray(Hop[]::new);
    }

    public List<Hop> hops() { return List.of(hops); }

    /**
     * Moves the packets of a burst that the pipeline output to patch ports into the peers' pipelines, round after
     * round, until no patch port has packets (or {@link #MAX_HOPS} rounds: the rest is dropped and counted).
     */
    void cross(PacketBatch b, Outputs out, int thread, long now) {
        int ti = thread + 2;
        if (ti < 0 || ti >= taken.length) return;
        int[] list = taken[ti], use = uses[ti], count = counts[ti];
        if (list == null) {                                           // once per thread and layout
            list = taken[ti] = new int[hops.length * PacketBatch.SLOTS];
            use = uses[ti] = new int[PacketBatch.SLOTS];
            count = counts[ti] = new int[hops.length];
        }
        for (int round = 0; ; round++) {
            // take every patch port's packets first: what the peers send to patch ports now is the next round's
            int total = 0;
            for (int x = 0; x < hops.length; x++) {
                Hop h = hops[x];
                int n = out.countFor(h.at);
                count[x] = 0;
                if (n == 0) continue;
                if (round >= MAX_HOPS) {
                    h.from.drops().add(thread, DatapathDrops.Reason.PATCH_LOOP, n);
                    out.empty(h.at);
                    continue;
                }
                System.arraycopy(out.packetsFor(h.at), 0, list, total, n);
                count[x] = n;
                total += n;
                out.empty(h.at);
            }
            if (total == 0) return;
            // a slot sent elsewhere too (another port, a second patch port) crosses as a copy
            Arrays.fill(use, 0);
            for (int x = 0; x < out.touchedCount(); x++) {
                int p = out.touchedPort(x);
                int[] pk = out.packetsFor(p);
                for (int c = 0, n = out.countFor(p); c < n; c++) use[pk[c]]++;
            }
            for (int c = 0; c < total; c++) use[list[c]]++;
            int pos = 0;
            for (int x = 0; x < hops.length; x++) {
                for (int c = pos, end = pos + count[x]; c < end; c++) enter(hops[x], b, list[c], use, out, thread, now);
                pos += count[x];
            }
        }
    }

    /**
     * Before a burst received from a port goes through a bridge with patch ports: its packets' pkt_mark and dp_hash
     * are 0 in their keys. A header-free cached path (whole burst, exact-match hit, a run of equal frames, NORMAL's
     * repeat) never extracts a key, and {@link #enter} takes pkt_mark and dp_hash from it: without this, a packet
     * would cross with the mark of whatever packet its slot held before.
     */
    static void receiving(PacketBatch b) {
        for (int i = 0, n = b.count; i < n; i++) {
            b.keys[i].w[FlowKey.PKT_MARK] = 0;
            b.keys[i].w[FlowKey.DP_HASH] = 0;
            b.keys[i].w[FlowKey.DL_TYPE] = UNFILLED;
        }
    }

    /** dl_type of a key no path has filled (header-free: the frame's tags are as received, a new parse is the flow). */
    private static final long UNFILLED = -1;

    /**
     * OVS hands the peer its flow, not a new parse of the frame: after a push onto a tagged frame the flow has two
     * tags and its dl_type still; after a pop from a frame with two tags (one parsed: dl_type 0x8100), no tag. When one
     * parse of the frame finds another dl_type than the key the pipeline kept, that key's dl_type and outer tag stay.
     * Its L3/L4 fields, under a tag the parse does not pass, are not read: 0, and an IP/ARP type is marked
     * {@link FlowKey#L3_INVALID} (no rewrite, no cache shared with a readable header), where OVS would still have them
     * (an IP packet under two tags).
     */
    private static void keepTags(FlowKey key, long type, long tci) {
        key.w[FlowKey.DL_TYPE] = type;
        key.w[FlowKey.VLAN_TCI] = tci;
        for (int w = FlowKey.NW_SRC; w <= FlowKey.NW_FRAG; w++) key.w[w] = 0;
        key.l3 = key.l4 = -1;
        if (type == 0x0800 || type == 0x86dd || type == 0x0806) key.w[FlowKey.NW_FRAG] = FlowKey.L3_INVALID;
    }

    /** Packet j, output to h's port, enters h's peer (as itself if nothing else sends it, else as a copy). */
    private void enter(Hop h, PacketBatch b, int j, int[] use, Outputs out, int thread, long now) {
        int k = j;
        if (use[j] > 1) {
            use[j]--;
            k = b.copy(j);
            if (k < 0) {
                h.from.drops().add(thread, DatapathDrops.Reason.COPIES, 1);
                return;
            }
        }
        int bytes = b.len[k];
        h.tx.count(thread, bytes);
        h.rx.count(thread, bytes);
        FlowKey key = b.keys[k];
        long mark = key.w[FlowKey.PKT_MARK], hash = key.w[FlowKey.DP_HASH];
        long type = key.w[FlowKey.DL_TYPE], tci = key.w[FlowKey.VLAN_TCI];
        key.extract(b.data, b.off[k], bytes, h.peerOfport);        // metadata, registers, tunnel, ct: 0
        if (type != UNFILLED && key.w[FlowKey.DL_TYPE] != type) keepTags(key, type, tci);
        key.w[FlowKey.PKT_MARK] = mark;
        key.w[FlowKey.DP_HASH] = hash;
        int base = out.base;
        out.base = h.peerBase;
        try {
            h.peer.processKeyed(h.peerIndex, b, k, out, thread, now);
        } finally {
            out.base = base;
        }
    }
}
