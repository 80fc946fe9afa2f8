package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static io.xvio.sys.TPacket.*;
import static java.lang.foreign.ValueLayout.*;

/**
 * An AF_PACKET socket bound to one interface for every protocol (ETH_P_ALL), receiving through a memory-mapped
 * TPACKET_V3 ring: the kernel fills blocks of frames and hands a block over by setting its status to
 * TP_STATUS_USER (when it is full or after {@link #RETIRE_TOV_MS}); {@link #receive} copies frames out and gives
 * each block back (TP_STATUS_KERNEL) as soon as its last frame is copied. Frames this host sends out of the
 * interface are not received (PACKET_IGNORE_OUTGOING, and a check of sll_pkttype where that option is missing).
 *
 * <p>{@link #receive} is the hot path: one thread, no allocation, no system call. The ring must not be
 * {@linkplain #close closed} while that thread may still be in it.
 */
public final class PacketRxRing implements AutoCloseable {
    /** Block retire timeout: the longest a frame waits in a partly filled block before the kernel hands it over. */
    public static final int RETIRE_TOV_MS = 1;
    /** Frame size the kernel checks tp_frame_nr against (TPACKET_V3 packs frames of any size into blocks). */
    private static final int V3_FRAME_SIZE = 2048;
    private static final ValueLayout.OfShort BE_SHORT = JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** flags[i] bit: the frame's TCP/UDP checksum is only partial (TP_STATUS_CSUMNOTREADY) and must be completed. */
    public static final int RX_CSUM_PARTIAL = 1;

    private final int fd;
    private final String device;
    private final int blockSize, blockCount;
    private final MemorySegment ring;
    private final boolean ignoreOutgoingByKernel;
    private volatile boolean closed;

    // reader state (one thread)
    private int block;          // block being read
    private int left;           // frames left in it (0: no block open)
    private long frame;         // offset of the next frame header in ring
    private long droppedTooBig, droppedRunt;

    private PacketRxRing(int fd, String device, int blockSize, int blockCount, MemorySegment ring, boolean ignoreOutgoing) {
        this.fd = fd;
        this.device = device;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.ring = ring;
        this.ignoreOutgoingByKernel = ignoreOutgoing;
    }

    /**
     * Opens a receive ring of blockCount blocks of blockSize bytes (a power of two, at least a page) on the
     * interface ifindex (called device in messages), in promiscuous mode if asked (PACKET_MR_PROMISC: the
     * kernel drops the membership when the socket closes).
     */
    public static PacketRxRing open(String device, int ifindex, int blockSize, int blockCount, boolean promiscuous) {
        if (Integer.bitCount(blockSize) != 1 || blockSize < 4096 || blockCount < 1)
            throw new IllegalArgumentException("block size must be a power of two >= 4096: " + blockSize + " x " + blockCount);
        String what = "AF_PACKET rx on " + device;
        int fd = TPacket.socket(what);
        MemorySegment ring = null;
        try (Arena a = Arena.ofConfined()) {
            setInt(fd, SOL_PACKET, PACKET_VERSION, "PACKET_VERSION", TPACKET_V3, what);
            boolean ignoreOutgoing = true;
            try {
                setInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, "PACKET_IGNORE_OUTGOING", 1, what);
            } catch (SysException e) {
                ignoreOutgoing = false;          // before Linux 4.20: filtered by sll_pkttype instead
            }
            int frameNr = (blockSize / V3_FRAME_SIZE) * blockCount;
            setsockopt(fd, SOL_PACKET, PACKET_RX_RING, "PACKET_RX_RING (TPACKET_V3, " + blockCount + " x " + blockSize + " bytes)",
                    req3(a, blockSize, blockCount, V3_FRAME_SIZE, frameNr, RETIRE_TOV_MS), what);
            ring = Mmap.mapShared(fd, (long) blockSize * blockCount, 0);
            TPacket.bind(fd, ifindex, ETH_P_ALL, what);
            if (promiscuous) {
                MemorySegment mreq = a.allocate(MREQ_SIZE, 4);
                mreq.set(JAVA_INT, 0, ifindex);
                mreq.set(JAVA_SHORT, 4, (short) PACKET_MR_PROMISC);
                setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, "PACKET_ADD_MEMBERSHIP (PACKET_MR_PROMISC)", mreq, what);
            }
            return new PacketRxRing(fd, device, blockSize, blockCount, ring, ignoreOutgoing);
        } catch (RuntimeException e) {
            if (ring != null) Mmap.unmap(ring);
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    public String device() { return device; }
    public int blockSize() { return blockSize; }
    public int blockCount() { return blockCount; }
    public boolean ignoresOutgoingInKernel() { return ignoreOutgoingByKernel; }
    /** Frames longer than the caller's slot (or truncated by the kernel to fit a block); read racily. */
    public long droppedTooBig() { return droppedTooBig; }
    /** Frames shorter than an Ethernet header; read racily. */
    public long droppedRunt() { return droppedRunt; }

    /**
     * Copies up to max frames into buf: frame i at offset off[i] (set by the caller), at most capacity bytes,
     * its length in len[i] and {@link #RX_CSUM_PARTIAL} in flags[i] if its L4 checksum is incomplete. A VLAN tag
     * the kernel took out of the frame (TP_STATUS_VLAN_VALID) is put back in. Returns the number of frames.
     */
    public int receive(MemorySegment buf, int[] off, int[] len, int[] flags, int capacity, int max) {
        int n = 0;
        MemorySegment r = ring;
        while (n < max) {
            if (left == 0) {
                long b = (long) block * blockSize;
                if (((int) INT.getAcquire(r, b + BLK_STATUS) & TP_STATUS_USER) == 0) break;
                left = r.get(JAVA_INT, b + BLK_NUM_PKTS);
                frame = b + r.get(JAVA_INT, b + BLK_FIRST_PKT);
                if (left <= 0) { left = 0; releaseBlock(r); continue; }
            }
            long h = frame;
            int snap = r.get(JAVA_INT, h + H3_SNAPLEN);
            int wire = r.get(JAVA_INT, h + H3_LEN);
            int status = r.get(JAVA_INT, h + H3_STATUS);
            boolean tagged = (status & TP_STATUS_VLAN_VALID) != 0;
            int out = tagged ? wire + 4 : wire;
            if (!ignoreOutgoingByKernel && r.get(JAVA_BYTE, h + H3_SIZE + SLL_PKTTYPE) == PACKET_OUTGOING) {
                // our own transmissions
            } else if (snap < wire || out > capacity) {
                droppedTooBig++;
            } else if (wire < 14) {
                droppedRunt++;
            } else {
                long src = h + Short.toUnsignedLong(r.get(JAVA_SHORT, h + H3_MAC));
                long dst = off[n];
                if (tagged) {
                    MemorySegment.copy(r, src, buf, dst, 12);
                    int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 ? Short.toUnsignedInt(r.get(JAVA_SHORT, h + H3_VLAN_TPID)) : 0x8100;
                    buf.set(BE_SHORT, dst + 12, (short) (tpid == 0 ? 0x8100 : tpid));
                    buf.set(BE_SHORT, dst + 14, (short) r.get(JAVA_INT, h + H3_VLAN_TCI));
                    MemorySegment.copy(r, src + 12, buf, dst + 16, wire - 12);
                } else {
                    MemorySegment.copy(r, src, buf, dst, wire);
                }
                len[n] = out;
                flags[n] = (status & TP_STATUS_CSUMNOTREADY) != 0 ? RX_CSUM_PARTIAL : 0;
                n++;
            }
            if (--left == 0) releaseBlock(r);
            else frame = h + r.get(JAVA_INT, h + H3_NEXT);
        }
        return n;
    }

    private void releaseBlock(MemorySegment r) {
        INT.setRelease(r, (long) block * blockSize + BLK_STATUS, TP_STATUS_KERNEL);
        block = block + 1 == blockCount ? 0 : block + 1;
    }

    /**
     * Frames the kernel dropped because the ring was full since the last call (PACKET_STATISTICS, which resets
     * them). Control path; safe while another thread receives.
     */
    public long takeKernelDrops() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment st = a.allocate(STATS3_SIZE, 4);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, STATS3_SIZE);
            int rc = (int) NetNative.GETSOCKOPT.invokeExact(cap, fd, SOL_PACKET, PACKET_STATISTICS, st, len);
            if (rc < 0) throw new SysException("getsockopt(PACKET_STATISTICS) on AF_PACKET rx on " + device, NetNative.errno(cap));
            return Integer.toUnsignedLong(st.get(JAVA_INT, 4));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Unmaps the ring and closes the socket (which leaves promiscuous mode). No thread may be in {@link #receive}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            Mmap.unmap(ring);
        } finally {
            Fd.closeQuietly(fd);
        }
    }
}
