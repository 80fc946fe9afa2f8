package io.xvio.testing;

import io.xvio.sys.Netdev;
import io.xvio.sys.PacketRxRing;
import io.xvio.sys.PacketTxRing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * A test's raw view of one interface (typically the far end of a veth whose other end is a switch port): sends
 * exact frames into it and receives every frame that arrives on it, byte for byte, through xvio's own AF_PACKET
 * rings ({@link PacketTxRing}, {@link PacketRxRing}: frames this socket sends are not received back, and VLAN
 * tags the kernel took out are put back in). The interface must exist and be up. Test code, not the hot path.
 */
public final class FramePort implements AutoCloseable {
    private static final int SLOT = 2048, BURST = 32;
    private final String device;
    private final PacketTxRing tx;
    private final PacketRxRing rx;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf = arena.allocate((long) SLOT * BURST, 64);
    private final int[] off = new int[BURST], len = new int[BURST], csum = new int[BURST];

    private FramePort(String device, PacketTxRing tx, PacketRxRing rx) {
        this.device = device;
        this.tx = tx;
        this.rx = rx;
        for (int i = 0; i < BURST; i++) off[i] = i * SLOT;
    }

    /** Opens send and receive rings on device (receiving promiscuously). */
    public static FramePort open(String device) {
        int ifindex = Netdev.query(device).ifindex();
        PacketRxRing rx = PacketRxRing.open(device, ifindex, 1 << 16, 16, true);
        try {
            return new FramePort(device, PacketTxRing.open(device, ifindex, SLOT - 64, 64), rx);
        } catch (RuntimeException e) {
            rx.close();
            throw e;
        }
    }

    public String device() { return device; }

    /** Queues frames and has the kernel send them with one system call; fails if the kernel refuses. */
    public void send(byte[]... frames) {
        for (byte[] f : frames) {
            MemorySegment.copy(MemorySegment.ofArray(f), 0, buf, 0, f.length);
            if (!tx.queue(buf, 0, f.length)) throw new IllegalStateException(device + ": tx ring full");
        }
        int rc = tx.flush();
        for (int tries = 0; rc != 0 && tx.busy(-rc) && tries < 100; tries++) {
            Thread.onSpinWait();
            rc = tx.flush();
        }
        if (rc != 0) throw new IllegalStateException(device + ": sendto failed, errno " + (-rc));
    }

    /** Every frame that has arrived since the last call (possibly none), in arrival order. */
    public List<byte[]> receive() {
        List<byte[]> got = new ArrayList<>();
        int n;
        do {
            n = rx.receive(buf, off, len, csum, SLOT, BURST);
            for (int i = 0; i < n; i++) got.add(buf.asSlice(off[i], len[i]).toArray(JAVA_BYTE));
        } while (n == BURST);
        return got;
    }

    /** Frames the ring dropped as too big or shorter than an Ethernet header (never expected in a test). */
    public long dropped() { return rx.droppedTooBig() + rx.droppedRunt(); }

    @Override
    public void close() {
        try {
            rx.close();
        } finally {
            try {
                tx.close();
            } finally {
                arena.close();
            }
        }
    }
}
