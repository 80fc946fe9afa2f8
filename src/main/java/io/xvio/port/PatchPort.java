package io.xvio.port;

import io.xvio.packet.PacketBatch;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One end of a patch pair (OVS's {@code type=patch}, {@code options:peer}): a port with no queues joining two bridges.
 * A packet the datapath outputs to it enters the peer port's bridge in the same burst ({@code datapath.PatchLayout}),
 * which counts it here as transmitted and on the peer as received; nothing reaches {@link #transmit}. The control
 * thread wires the pair and sets the state: up only when the peer exists, is a patch port and names this one back.
 */
public final class PatchPort implements Port {
    private final String name, peer;
    private final int ofport;
    private final PortCounters counters = new PortCounters();
    private volatile String status = "down (not wired yet)";

    public PatchPort(String name, int ofport, String peer) {
        this.name = name;
        this.ofport = ofport;
        this.peer = peer;
    }

    /** The peer port's name (options:peer). */
    public String peer() { return peer; }

    /** Control thread: "up", or "down (why)". */
    public void setStatus(String s) { status = s; }

    /** A packet crossed from this port to its peer (the PMD thread's count). */
    public void sent(int thread, int bytes) {
        if (thread < 0 || thread >= PortCounters.MAX_THREADS) return;
        counters.add(thread, PortCounters.Counter.TX_PACKETS, 1);
        counters.add(thread, PortCounters.Counter.TX_BYTES, bytes);
    }

    /** A packet crossed from the peer into this port's bridge. */
    public void received(int thread, int bytes) {
        if (thread < 0 || thread >= PortCounters.MAX_THREADS) return;
        counters.add(thread, PortCounters.Counter.RX_PACKETS, 1);
        counters.add(thread, PortCounters.Counter.RX_BYTES, bytes);
    }

    @Override public String name() { return name; }
    @Override public String type() { return "patch"; }
    @Override public int ofport() { return ofport; }
    @Override public int rxQueues() { return 0; }
    @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
    /**
     * Packets reach this only while the pair is down (no peer to cross to: OVS has no datapath port for such a patch
     * either): counted as dropped. When up, they crossed to the peer's bridge before the burst was transmitted.
     */
    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        if (n > 0 && thread >= 0 && thread < PortCounters.MAX_THREADS) counters.add(thread, PortCounters.Counter.TX_DROP_DOWN, n);
    }
    @Override public PortCounters counters() { return counters; }
    @Override public Map<String, Long> extraCounters() { return Map.of(); }
    @Override public String status() { return status; }

    @Override
    public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("peer", peer);
        return m;
    }

    @Override public void start() { }
    @Override public void close() { }
}
