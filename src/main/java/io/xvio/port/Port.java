package io.xvio.port;

import io.xvio.packet.PacketBatch;

import java.util.Map;

/**
 * A switch port of any kind, as the poll-mode threads see it: burst receive from one of its queues and burst
 * transmit of selected packets of a batch. {@code thread} is the calling PMD thread's index (for per-thread
 * counters and queue choice).
 */
public interface Port extends AutoCloseable {
    String name();

    String type();

    int ofport();

    /** How many receive queues the PMD threads should poll (the most the port can have). */
    int rxQueues();

    /**
     * Whether receive queue q can have frames now (a vhost-user queue the guest has started). PMD threads poll
     * only such queues and ask again every thousand or so busy loops and in every idle one, so this may be
     * slow-ish but must be safe to call from any thread. {@link #receive} still copes with a queue that stopped.
     */
    default boolean rxQueueLive(int q) { return true; }

    /** Fills b (from index 0) with up to a burst of frames from queue q; returns how many. */
    int receive(int q, PacketBatch b, int thread);

    /** {@link #txOffloads} bits: the port takes partial checksums (NEEDS_CSUM), TCP GSO frames over IPv4 / IPv6, with ECN. */
    int TX_CSUM = 1, TX_TSO4 = 2, TX_TSO6 = 4, TX_ECN = 8;

    /**
     * What the port's receiver takes now ({@link #TX_CSUM} ...; a vhost-user guest's negotiated GUEST_* features).
     * 0, the default: every frame must arrive complete, checksummed and at most MTU-sized, and
     * {@link SoftwareOffload} makes it so before {@link #transmit}. Read once per burst and port.
     */
    default int txOffloads() { return 0; }

    /**
     * Sends packets which[0..n) of b; what cannot be sent is counted as dropped with its reason. A packet with
     * offload state (b.hasOffload) reaches a port only if {@link #txOffloads} says it takes it.
     */
    void transmit(int thread, PacketBatch b, int[] which, int n);

    PortCounters counters();

    /** Extra drop counters the port keeps itself (reason to count). */
    Map<String, Long> extraCounters();

    /** "up", or why not ("waiting for connection", ...). */
    String status();

    /** Whether the port is up (what a group bucket's watch_port follows). */
    default boolean live() { return status().equals("up"); }

    /**
     * The port's own MTU (IP bytes: a vhost-user port's configured or default one, the kernel's MTU of a tap xvio
     * made), or 0 when it has none or is unknown (afpacket/afxdp: the attached interface's, found by the caller from
     * detail "device"). What a tunnel over this port as its uplink may send.
     */
    default int mtu() { return 0; }

    /** Details for `show` (path, mode, features, queues). */
    Map<String, String> details();

    void start();

    /**
     * Called by PMD thread {@code thread} in a loop that moved no packets: a port that queues frames for the
     * kernel sends what an earlier transmit left queued (the kernel was busy then), so frames never wait for the
     * next packet to that port. Must be cheap when there is nothing to do.
     */
    default void flushIdle(int thread) {}

    /**
     * Called by PMD thread {@code thread} at the end of a busy loop, at time now (System.nanoTime()), for a port that
     * kept frames back for it ({@link HeldTx}): sends them once they waited {@link HeldTx#maxHoldNanos}. Returns
     * whether the port still holds frames.
     */
    default boolean flushHeld(int thread, long now) { return false; }

    /**
     * A relay direction's burst from src's receive queue q straight into this port's own transmit buffers (one copy
     * of each frame instead of two). Returns the frames taken from src, each sent or dropped and counted as
     * {@link #transmit} would; or -1, having taken nothing, when this port cannot do that now (the default): the
     * caller receives into its batch and transmits.
     */
    default int relayFrom(Port src, int q, int thread) { return -1; }

    /** Called when the number of PMD threads sharing this port's transmit queues is known. */
    default void setTransmitThreads(int threads) {}

    @Override
    void close();

    /** m, an MTU asked for port (OVS's mtu_request); throws unless it is 68..65535. */
    static int checkMtu(String port, int m) {
        if (m < 68 || m > 65535) throw new IllegalArgumentException("port " + port + ": mtu " + m + " is outside 68..65535");
        return m;
    }
}
