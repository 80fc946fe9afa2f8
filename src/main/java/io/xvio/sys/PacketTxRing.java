package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.xvio.sys.TPacket.*;
import static java.lang.foreign.ValueLayout.*;

/**
 * An AF_PACKET socket that only sends (bound to an interface with protocol 0, so it receives nothing), through a
 * memory-mapped TPACKET_V3 transmit ring of fixed-size frames: {@link #queue} copies a frame into the next free
 * slot and marks it TP_STATUS_SEND_REQUEST, {@link #flush} makes the kernel send everything queued with one
 * {@code sendto(fd, NULL, 0, MSG_DONTWAIT)}. The kernel marks a slot TP_STATUS_AVAILABLE again once the frame
 * has left (it copies the data first wherever it would outlive the slot, e.g. across a veth). PACKET_LOSS is
 * set, so a frame the kernel refuses is skipped instead of blocking the ring.
 *
 * <p>With virtio-net headers (PACKET_VNET_HDR, {@link #open(String, int, int, int, boolean)}) each slot's data
 * starts with a {@code struct virtio_net_hdr} (10 bytes) that tells the kernel what is left to "hardware": a
 * partial checksum (NEEDS_CSUM with csum_start/csum_offset) or TCP segmentation. {@link #queue} writes a zero
 * header (a complete frame); {@link #queueWithHeader} copies a header the caller wrote right before the frame.
 * The kernel then no longer caps a slot's frame at the MTU: callers check lengths themselves.
 *
 * <p>{@link #queue} and {@link #flush} are the hot path of one thread: no allocation, {@code -errno} instead
 * of exceptions.
 */
public final class PacketTxRing implements FrameSender, AutoCloseable {
    private final int fd;
    private final String device;
    private final int frameSize, frameCount;
    /** Bytes of virtio-net header at the start of each slot's data: 0, or 10 with PACKET_VNET_HDR. */
    private final int vnet;
    private final MemorySegment ring;
    private final MemorySegment capture;
    private volatile boolean closed;

    // writer state (one thread)
    private int next;
    private int queued;
    private boolean kick;       // something to send, or a full ring the kernel may not have been told about

    private PacketTxRing(int fd, String device, int frameSize, int frameCount, MemorySegment ring, int vnet) {
        this.fd = fd;
        this.vnet = vnet;
        this.device = device;
        this.frameSize = frameSize;
        this.frameCount = frameCount;
        this.ring = ring;
        this.capture = Arena.ofAuto().allocate(Math.max(64, NetNative.CAPTURE_SIZE), 64);
    }

    /**
     * Opens a transmit ring on interface ifindex (named device in messages) whose slots hold frames of up to
     * maxFrame bytes, with at least minFrames slots.
     */
    public static PacketTxRing open(String device, int ifindex, int maxFrame, int minFrames) {
        return open(device, ifindex, maxFrame, minFrames, false);
    }

    /**
     * Opens a transmit ring as {@link #open(String, int, int, int)} does, with a virtio-net header before each
     * frame if vnetHeaders (PACKET_VNET_HDR, set before the ring: the kernel refuses it once a ring exists).
     */
    public static PacketTxRing open(String device, int ifindex, int maxFrame, int minFrames, boolean vnetHeaders) {
        if (maxFrame < 64 || minFrames < 1) throw new IllegalArgumentException("maxFrame " + maxFrame + ", minFrames " + minFrames);
        int hdr = vnetHeaders ? VNET_HDR_SIZE : 0;
        int frameSize = Math.max(2048, pow2AtLeast((int) TX_DATA + hdr + maxFrame));
        int blockSize = Math.max(frameSize, 65536);
        int perBlock = blockSize / frameSize;
        int blocks = Math.max(1, (minFrames + perBlock - 1) / perBlock);
        int frames = perBlock * blocks;
        String what = "AF_PACKET tx on " + device;
        int fd = TPacket.socket(what);
        MemorySegment ring = null;
        try (Arena a = Arena.ofConfined()) {
            setInt(fd, SOL_PACKET, PACKET_VERSION, "PACKET_VERSION", TPACKET_V3, what);
            setInt(fd, SOL_PACKET, PACKET_LOSS, "PACKET_LOSS", 1, what);
            if (vnetHeaders) setInt(fd, SOL_PACKET, PACKET_VNET_HDR, "PACKET_VNET_HDR", 1, what);
            // let the ring, not the socket's send buffer, bound what is in flight
            int sndbuf = (int) Math.min(Integer.MAX_VALUE / 2, (long) frames * (frameSize + 1024));
            try {
                setInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, "SO_SNDBUFFORCE", sndbuf, what);
            } catch (SysException e) {
                setInt(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", sndbuf, what);
            }
            setsockopt(fd, SOL_PACKET, PACKET_TX_RING, "PACKET_TX_RING (TPACKET_V3, " + frames + " x " + frameSize + " bytes)",
                    req3(a, blockSize, blocks, frameSize, frames, 0), what);
            ring = Mmap.mapShared(fd, (long) blockSize * blocks, 0);
            TPacket.bind(fd, ifindex, 0, what);
            return new PacketTxRing(fd, device, frameSize, frames, ring, hdr);
        } catch (RuntimeException e) {
            if (ring != null) Mmap.unmap(ring);
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    public String device() { return device; }
    public int frameSize() { return frameSize; }
    public int frameCount() { return frameCount; }
    /** The longest frame a slot holds (after its virtio-net header, if any). */
    public int maxFrame() { return frameSize - (int) TX_DATA - vnet; }

    /** Whether each slot carries a virtio-net header (PACKET_VNET_HDR). */
    public boolean vnetHeaders() { return vnet != 0; }

    /**
     * Copies buf[off, off+len) into the next slot (after a zero virtio-net header, with PACKET_VNET_HDR) and marks
     * it for sending. Returns false, copying nothing, if the kernel still owns that slot (the ring is full). len
     * must be at most {@link #maxFrame()}.
     */
    public boolean queue(MemorySegment buf, long off, int len) {
        if (len > maxFrame() || len < 0) throw new IndexOutOfBoundsException();
        long f = (long) next * frameSize;
        if (!free(f)) return false;
        MemorySegment r = ring;
        if (vnet != 0) {
            r.set(JAVA_LONG_UNALIGNED, f + TX_DATA, 0L);
            r.set(JAVA_SHORT_UNALIGNED, f + TX_DATA + 8, (short) 0);
        }
        MemorySegment.copy(buf, off, r, f + TX_DATA + vnet, len);
        publish(f, vnet + len);
        return true;
    }

    /**
     * With PACKET_VNET_HDR: copies the virtio-net header the caller wrote at buf[off - 10, off) and the frame
     * buf[off, off+len) into the next slot, as {@link #queue} does. len must be at most {@link #maxFrame()}.
     */
    public boolean queueWithHeader(MemorySegment buf, long off, int len) {
        if (vnet == 0 || len > maxFrame() || len < 0) throw new IndexOutOfBoundsException();
        long f = (long) next * frameSize;
        if (!free(f)) return false;
        MemorySegment.copy(buf, off - vnet, ring, f + TX_DATA, vnet + len);
        publish(f, vnet + len);
        return true;
    }

    private boolean free(long f) {
        int status = (int) INT.getAcquire(ring, f + H3_STATUS);
        if ((status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING | TP_STATUS_WRONG_FORMAT)) != 0) {
            kick = true;
            return false;
        }
        return true;
    }

    private void publish(long f, int len) {
        MemorySegment r = ring;
        r.set(JAVA_INT, f + H3_NEXT, 0);          // variable-sized slots are not supported for tx
        r.set(JAVA_INT, f + H3_SNAPLEN, len);
        r.set(JAVA_INT, f + H3_LEN, len);
        INT.setRelease(r, f + H3_STATUS, TP_STATUS_SEND_REQUEST);
        next = next + 1 == frameCount ? 0 : next + 1;
        queued++;
        kick = true;
    }

    /** Frames queued since the last {@link #flush}. */
    public int queued() { return queued; }

    /**
     * Whether {@link #flush} has work: frames were queued, or a slot was found busy (frames an earlier flush
     * could not send must be kicked again, or a full ring would stay full).
     */
    public boolean needsFlush() { return kick; }

    /**
     * Has the kernel send every queued frame. Returns 0, or -errno: -ENXIO when the interface is gone,
     * -ENETDOWN when it is down, -EAGAIN/-ENOBUFS when the kernel had no room now (the frames stay queued and go
     * with the next flush).
     */
    public int flush() {
        queued = 0;
        kick = false;
        try {
            long rc = (long) NetNative.SENDTO_AT.invokeExact(capture, fd, 0L, 0L, MSG_DONTWAIT, 0L, 0);
            if (rc >= 0) return 0;
            int err = NetNative.errno(capture);
            if (busy(err)) kick = true;              // the rest goes with the next flush
            return -err;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Unmaps the ring and closes the socket. No thread may be in {@link #queue} or {@link #flush}. */
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
