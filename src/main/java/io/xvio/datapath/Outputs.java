package io.xvio.datapath;

import io.xvio.packet.PacketBatch;

/**
 * Where the packets of one burst go: for each bridge port (by dense index) the list of packet indices to send
 * there. Filled by the datapath, drained by the poll-mode thread, reused for every burst.
 */
public final class Outputs {
    private final int[][] packets;
    private final int[] counts;
    private final int[] touched;
    private int touchedCount;

    public Outputs(int maxPorts) {
        packets = new int[maxPorts][PacketBatch.SLOTS];
        counts = new int[maxPorts];
        touched = new int[maxPorts];
    }

    public int capacity() { return counts.length; }

    /**
     * Added to every port index given to {@link #add}: a decapsulated packet's overlay bridge ({@link Underlay})
     * sends to its own ports, which the PMD thread finds at base.. in the underlay's port array.
     */
    public int base;

    /** Queues packet for port; false if the port already has a burst's worth of sends ({@link PacketBatch#SLOTS}). */
    public boolean add(int port, int packet) {
        port += base;
        int c = counts[port];
        if (c == PacketBatch.SLOTS) return false;
        if (c == 0) touched[touchedCount++] = port;
        packets[port][c] = packet;
        counts[port] = c + 1;
        return true;
    }

    /** Whether any port has packet queued. */
    public boolean holds(int packet) {
        for (int x = 0; x < touchedCount; x++) {
            int[] pk = packets[touched[x]];
            for (int c = 0, n = counts[touched[x]]; c < n; c++) if (pk[c] == packet) return true;
        }
        return false;
    }

    /** Every queued send of packet from becomes one of packet to (its copy, before from is rewritten). */
    public void relocate(int from, int to) {
        for (int x = 0; x < touchedCount; x++) {
            int[] pk = packets[touched[x]];
            for (int c = 0, n = counts[touched[x]]; c < n; c++) if (pk[c] == from) pk[c] = to;
        }
    }

    /** Takes every queued send of packet away; returns how many there were. A port left with none is not touched. */
    public int remove(int packet) {
        int removed = 0, left = 0;
        for (int x = 0; x < touchedCount; x++) {
            int port = touched[x], n = counts[port], kept = 0;
            int[] pk = packets[port];
            for (int c = 0; c < n; c++) if (pk[c] != packet) pk[kept++] = pk[c];
            removed += n - kept;
            counts[port] = kept;
            if (kept > 0) touched[left++] = port;              // the others keep their order
        }
        touchedCount = left;
        return removed;
    }

    /** Ports that received at least one packet in this burst, in first-use order. */
    public int touchedCount() { return touchedCount; }
    public int touchedPort(int i) { return touched[i]; }
    public int[] packetsFor(int port) { return packets[port]; }
    public int countFor(int port) { return counts[port]; }

    /** Takes port's packets away (a patch port's, which cross to its peer instead): the port is no longer touched. */
    public void empty(int port) {
        if (counts[port] == 0) return;
        counts[port] = 0;
        int x = 0;
        while (touched[x] != port) x++;
        System.arraycopy(touched, x + 1, touched, x, touchedCount - x - 1);     // the others keep their order
        touchedCount--;
    }

    public void clear() {
        for (int i = 0; i < touchedCount; i++) counts[touched[i]] = 0;
        touchedCount = 0;
    }

    /** Sends a burst's queued packets on (the PMD thread's ports, captures, mirrors, policers); chunk counts from 0. */
    public interface Sender {
        void send(PacketBatch b, Outputs out, int chunk);
    }

    private Sender sender;
    private int chunk;

    /**
     * The sender that lets the datapath send a burst in chunks ({@link #sendChunk}); null (tests, traces): a burst is
     * one chunk, whose copies are limited to the batch's copy slots.
     */
    public void setSender(Sender s) { sender = s; }

    public boolean chunked() { return sender != null; }

    /** Which chunk of the burst the packets queued now belong to (0 unless the datapath sent earlier ones). */
    public int chunk() { return chunk; }

    /**
     * Between two packets of a burst: sends what the packets so far queued, then frees the batch's copy slots for
     * the packets after them. Only with every copy done with (no recirculation or crossing left to run).
     */
    public void sendChunk(PacketBatch b) {
        sender.send(b, this, chunk++);
        clear();
        b.copies = 0;
        b.shared = 0;
    }

    /** The burst is sent: nothing queued, and the next one starts at chunk 0. */
    public void endBurst() {
        clear();
        chunk = 0;
    }
}
