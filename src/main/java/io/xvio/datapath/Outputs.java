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

    public void add(int port, int packet) {
        port += base;
        int c = counts[port];
        if (c == PacketBatch.SLOTS) return;   // more than one copy per slot to one port: cannot happen twice a burst
        if (c == 0) touched[touchedCount++] = port;
        packets[port][c] = packet;
        counts[port] = c + 1;
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
}
