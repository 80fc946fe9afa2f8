package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.xvio.sys.TPacket.*;

/**
 * An AF_PACKET socket without a ring that sends one frame per {@code sendto}, each preceded by a
 * {@code struct virtio_net_hdr} (PACKET_VNET_HDR): the way large frames (a guest's 64 KB TSO frames) leave whole,
 * for the kernel or the NIC to segment and checksum. Bound to an interface with protocol 0, so it receives
 * nothing.
 *
 * <p>Why not the transmit ring ({@link PacketTxRing}): a TPACKET_V3 transmit ring has slots of one fixed size
 * (tp_next_offset must be 0), so carrying 64 KB frames there would make every slot 64 KiB+ (16 MiB per ring of
 * 256 slots, per PMD thread and port) for the few frames that need it; and tpacket_snd hands the ring's pages to
 * the skb as fragments, at most MAX_SKB_FRAGS (17) pages, which a 64 KB frame at a slot's page offset can exceed
 * ("Packet exceed the number of skb frags"). A socket with a ring sends only from its ring (packet_sendmsg), so
 * large frames need this second socket; packet_snd copies them into a fresh skb (linear headers up to hdr_len,
 * the payload in page fragments), and the caller keeps their order with the ring's frames by flushing the ring
 * first.
 *
 * <p>{@link #send} is the hot path of one thread: no allocation, {@code -errno} instead of exceptions.
 */
public final class PacketVnetSender implements AutoCloseable {
    /** Size of the virtio-net header before each frame. */
    public static final int HEADER = VNET_HDR_SIZE;

    private final int fd;
    private final String device;
    private final MemorySegment capture;
    private volatile boolean closed;

    private PacketVnetSender(int fd, String device) {
        this.fd = fd;
        this.device = device;
        this.capture = Arena.ofAuto().allocate(Math.max(64, NetNative.CAPTURE_SIZE), 64);
    }

    /** Opens the socket on interface ifindex (named device in messages), with PACKET_VNET_HDR. */
    public static PacketVnetSender open(String device, int ifindex) {
        String what = "AF_PACKET tx (virtio-net headers) on " + device;
        int fd = TPacket.socket(what);
        try {
            setInt(fd, SOL_PACKET, PACKET_VNET_HDR, "PACKET_VNET_HDR", 1, what);
            // room for a burst of 64 KB frames in flight (a veth passes them on at once; a NIC queue holds them)
            int sndbuf = 32 * 70_000;
            try {
                setInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, "SO_SNDBUFFORCE", sndbuf, what);
            } catch (SysException e) {
                setInt(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF", sndbuf, what);
            }
            TPacket.bind(fd, ifindex, 0, what);
            return new PacketVnetSender(fd, device);
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    public String device() { return device; }

    /**
     * Sends the frame buf[off, off+len) with the virtio-net header the caller wrote at buf[off - {@link #HEADER},
     * off). Returns 0, or -errno: -EAGAIN/-ENOBUFS when the kernel has no room now, -EINVAL when it refuses the
     * header (hdr_len beyond the frame, a checksum position outside it, a GSO type it does not know), -EMSGSIZE
     * for a frame over the MTU without a GSO type, -ENXIO / -ENETDOWN when the interface is gone or down.
     */
    public int send(MemorySegment buf, long off, int len) {
        if (off < HEADER || len < 0 || off + len > buf.byteSize() || !buf.isNative()) throw new IndexOutOfBoundsException();
        try {
            long rc = (long) NetNative.SENDTO_AT.invokeExact(capture, fd, buf.address() + off - HEADER, (long) (HEADER + len),
                    MSG_DONTWAIT, 0L, 0);
            return rc >= 0 ? 0 : -NetNative.errno(capture);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes the socket. No thread may be in {@link #send}. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
    }
}
