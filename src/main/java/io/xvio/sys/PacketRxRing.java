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
 * each block back (TP_STATUS_KERNEL) as soon as its last frame is consumed. Frames this host sends out of the
 * interface are not received (PACKET_IGNORE_OUTGOING, and a check of sll_pkttype where that option is missing).
 *
 * <p>With virtio-net headers (PACKET_VNET_HDR) the kernel says, per frame, which L4 checksum a local sender left
 * partial (reported by {@link #receive}) and hands over GSO frames (a sender's TCP segmentation offload, or a
 * NIC's GRO) whole, with their gso_type and gso_size: {@link #receive} stops before such a frame and leaves it in
 * the ring ({@link #gsoPending()}, the {@code pending*} accessors) for the caller to cut into segments; the
 * caller moves past it with {@link #skipPending()}. Its block stays the caller's until then.
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

    private final int fd;
    private final String device;
    private final int blockSize, blockCount;
    private final MemorySegment ring;
    private final boolean ignoreOutgoingByKernel, vnet;
    private volatile boolean closed;

    // reader state (one thread)
    private int block;          // block being read
    private int left;           // frames left in it (0: no block open)
    private long frame;         // offset of the next frame header in ring
    private boolean pending;    // frame is a GSO frame the caller is cutting
    private long droppedTooBig, droppedRunt;

    private PacketRxRing(int fd, String device, int blockSize, int blockCount, MemorySegment ring, boolean ignoreOutgoing, boolean vnet) {
        this.fd = fd;
        this.device = device;
        this.blockSize = blockSize;
        this.blockCount = blockCount;
        this.ring = ring;
        this.ignoreOutgoingByKernel = ignoreOutgoing;
        this.vnet = vnet;
    }

    /**
     * Opens a receive ring of blockCount blocks of blockSize bytes (a power of two, at least a page) on the
     * interface ifindex (called device in messages), in promiscuous mode if asked (PACKET_MR_PROMISC: the
     * kernel drops the membership when the socket closes), without virtio-net headers: GSO frames are too big.
     */
    public static PacketRxRing open(String device, int ifindex, int blockSize, int blockCount, boolean promiscuous) {
        return open(device, ifindex, blockSize, blockCount, promiscuous, false);
    }

    /**
     * Opens a receive ring as {@link #open(String, int, int, int, boolean)} does, with virtio-net headers if
     * vnetHeaders (PACKET_VNET_HDR, set before the ring): partial checksums are reported and GSO frames
     * left for the caller to segment. A block must then hold the largest GSO frame (64 KB plus headers).
     */
    public static PacketRxRing open(String device, int ifindex, int blockSize, int blockCount, boolean promiscuous, boolean vnetHeaders) {
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
            // before the ring: the kernel refuses (EBUSY) once a ring exists
            if (vnetHeaders) setInt(fd, SOL_PACKET, PACKET_VNET_HDR, "PACKET_VNET_HDR", 1, what);
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
            return new PacketRxRing(fd, device, blockSize, blockCount, ring, ignoreOutgoing, vnetHeaders);
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
    /** Whether frames come with virtio-net headers (checksum state, GSO frames whole). */
    public boolean vnetHeaders() { return vnet; }
    /** Frames longer than the caller's slot (or truncated by the kernel to fit a block); read racily. */
    public long droppedTooBig() { return droppedTooBig; }
    /** Frames shorter than an Ethernet header; read racily. */
    public long droppedRunt() { return droppedRunt; }

    /** {@link #receive} from slot 0 of buf. */
    public int receive(MemorySegment buf, int[] off, int[] len, int[] csum, int capacity, int max) {
        return receive(buf, off, len, csum, 0, capacity, max);
    }

    /**
     * Copies frames into buf, into slots first..max-1: frame i at offset off[i] (set by the caller), at most
     * capacity bytes, its length in len[i]. A VLAN tag the kernel took out of the frame (TP_STATUS_VLAN_VALID) is
     * put back in. csum[i] is 0, or, for a frame whose L4 checksum a local sender left partial (virtio-net headers
     * only), {@code start << 16 | offset}: see {@link #csumStart} and {@link #csumOffset}, relative to the copied
     * frame. Stops before a GSO frame ({@link #gsoPending()}), and does nothing while one is pending. Returns the
     * index after the last slot filled.
     */
    public int receive(MemorySegment buf, int[] off, int[] len, int[] csum, int first, int capacity, int max) {
        if (pending) return first;
        int n = first;
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
            long src = h + Short.toUnsignedLong(r.get(JAVA_SHORT, h + H3_MAC));
            boolean tagged = (status & TP_STATUS_VLAN_VALID) != 0;
            int out = tagged ? wire + 4 : wire;
            if (!ignoreOutgoingByKernel && r.get(JAVA_BYTE, h + H3_SIZE + SLL_PKTTYPE) == PACKET_OUTGOING) {
                // our own transmissions
            } else if (snap < wire) {
                droppedTooBig++;                    // truncated by the kernel to fit a block
            } else if (vnet && r.get(JAVA_BYTE, src - VNET_HDR_SIZE + VNET_GSO_TYPE) != 0) {
                pending = true;                     // the caller cuts it, then calls skipPending()
                break;
            } else if (out > capacity) {
                droppedTooBig++;
            } else if (wire < 14) {
                droppedRunt++;
            } else {
                long dst = off[n];
                if (tagged) {
                    MemorySegment.copy(r, src, buf, dst, 12);
                    buf.set(BE_SHORT, dst + 12, (short) (vlanTag(r, h, status) >>> 16));
                    buf.set(BE_SHORT, dst + 14, (short) r.get(JAVA_INT, h + H3_VLAN_TCI));
                    MemorySegment.copy(r, src + 12, buf, dst + 16, wire - 12);
                } else {
                    MemorySegment.copy(r, src, buf, dst, wire);
                }
                len[n] = out;
                csum[n] = vnet ? partialChecksum(r, src - VNET_HDR_SIZE, tagged ? 4 : 0) : 0;
                n++;
            }
            advance(r, h);
        }
        return n;
    }

    /** Where a csum[i] from {@link #receive} says the checksummed bytes start (from the frame's first byte). */
    public static int csumStart(int csum) { return csum >>> 16; }

    /** Where a csum[i] from {@link #receive} says the checksum goes (from {@link #csumStart}). */
    public static int csumOffset(int csum) { return csum & 0xffff; }

    /** NEEDS_CSUM offsets of the virtio-net header at vh, shifted past a re-inserted tag; 0 if complete. */
    private static int partialChecksum(MemorySegment r, long vh, int shift) {
        if ((r.get(JAVA_BYTE, vh + VNET_FLAGS) & VNET_F_NEEDS_CSUM) == 0) return 0;
        int start = Math.min(0xffff, Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, vh + VNET_CSUM_START)) + shift);
        return start << 16 | Short.toUnsignedInt(r.get(JAVA_SHORT_UNALIGNED, vh + VNET_CSUM_OFFSET));
    }

    /** The tag the kernel took out of the frame at h as tpid << 16 | tci (tpid 0x8100 if it did not say). */
    private static int vlanTag(MemorySegment r, long h, int status) {
        int tpid = (status & TP_STATUS_VLAN_TPID_VALID) != 0 ? Short.toUnsignedInt(r.get(JAVA_SHORT, h + H3_VLAN_TPID)) : 0;
        return (tpid == 0 ? 0x8100 : tpid) << 16 | (r.get(JAVA_INT, h + H3_VLAN_TCI) & 0xffff);
    }

    // ------------------------------------------------------------------ the pending GSO frame

    /** Whether {@link #receive} stopped before a GSO frame, which stays in the ring until {@link #skipPending()}. */
    public boolean gsoPending() { return pending; }

    /** The ring's memory, where the pending frame is. */
    public MemorySegment memory() { return ring; }

    /** Offset in {@link #memory()} of the pending frame's first byte (its destination MAC). */
    public long pendingFrame() { return frame + Short.toUnsignedLong(ring.get(JAVA_SHORT, frame + H3_MAC)); }

    /** Length of the pending frame as it is in the ring (without a tag the kernel took out). */
    public int pendingLength() { return ring.get(JAVA_INT, frame + H3_LEN); }

    /** The VLAN tag the kernel took out of the pending frame (tpid << 16 | tci), or 0. */
    public int pendingVlanTag() {
        int status = ring.get(JAVA_INT, frame + H3_STATUS);
        return (status & TP_STATUS_VLAN_VALID) != 0 ? vlanTag(ring, frame, status) : 0;
    }

    public int pendingVnetFlags() { return ring.get(JAVA_BYTE, pendingFrame() - VNET_HDR_SIZE + VNET_FLAGS) & 0xff; }
    public int pendingGsoType() { return ring.get(JAVA_BYTE, pendingFrame() - VNET_HDR_SIZE + VNET_GSO_TYPE) & 0xff; }
    public int pendingHdrLen() { return vnet16(VNET_HDR_LEN); }
    public int pendingGsoSize() { return vnet16(VNET_GSO_SIZE); }
    public int pendingCsumStart() { return vnet16(VNET_CSUM_START); }
    public int pendingCsumOffset() { return vnet16(VNET_CSUM_OFFSET); }

    private int vnet16(long field) {
        return Short.toUnsignedInt(ring.get(JAVA_SHORT_UNALIGNED, pendingFrame() - VNET_HDR_SIZE + field));
    }

    /**
     * Copies the pending GSO frame whole to buf at dst (a VLAN tag the kernel took out put back in), and its
     * virtio-net header to the ten bytes before dst, csum_start moved past a re-inserted tag. Returns the frame's
     * length, or -1 (nothing copied) if none is pending or it is longer than capacity. The frame stays pending:
     * call {@link #skipPending()} after it.
     */
    public int copyPending(MemorySegment buf, long dst, int capacity) {
        if (!pending) return -1;
        MemorySegment r = ring;
        long h = frame;
        int wire = r.get(JAVA_INT, h + H3_LEN);
        int status = r.get(JAVA_INT, h + H3_STATUS);
        boolean tagged = (status & TP_STATUS_VLAN_VALID) != 0;
        int out = tagged ? wire + 4 : wire;
        if (out > capacity || wire < 14) return -1;
        long src = h + Short.toUnsignedLong(r.get(JAVA_SHORT, h + H3_MAC));
        MemorySegment.copy(r, src - VNET_HDR_SIZE, buf, dst - VNET_HDR_SIZE, VNET_HDR_SIZE);
        if (tagged) {
            MemorySegment.copy(r, src, buf, dst, 12);
            buf.set(BE_SHORT, dst + 12, (short) (vlanTag(r, h, status) >>> 16));
            buf.set(BE_SHORT, dst + 14, (short) r.get(JAVA_INT, h + H3_VLAN_TCI));
            MemorySegment.copy(r, src + 12, buf, dst + 16, wire - 12);
            long cs = dst - VNET_HDR_SIZE + VNET_CSUM_START;
            buf.set(JAVA_SHORT_UNALIGNED, cs, (short) (Short.toUnsignedInt(buf.get(JAVA_SHORT_UNALIGNED, cs)) + 4));
        } else {
            MemorySegment.copy(r, src, buf, dst, wire);
        }
        return out;
    }

    /** Moves past the pending GSO frame (giving its block back if it was the last); nothing if none is pending. */
    public void skipPending() {
        if (!pending) return;
        pending = false;
        advance(ring, frame);
    }

    private void advance(MemorySegment r, long h) {
        if (--left == 0) releaseBlock(r);
        else frame = h + r.get(JAVA_INT, h + H3_NEXT);
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
