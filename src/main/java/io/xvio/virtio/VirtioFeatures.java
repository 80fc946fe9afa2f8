package io.xvio.virtio;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/** Feature bits of virtio (1.1 §6) and of the network device (§5.1.3) that xvio knows. */
public final class VirtioFeatures {
    public static final int NET_F_CSUM = 0, NET_F_GUEST_CSUM = 1, NET_F_CTRL_GUEST_OFFLOADS = 2, NET_F_MTU = 3, NET_F_MAC = 5,
            NET_F_GUEST_TSO4 = 7, NET_F_GUEST_TSO6 = 8, NET_F_GUEST_ECN = 9, NET_F_HOST_TSO4 = 11, NET_F_HOST_TSO6 = 12,
            NET_F_HOST_ECN = 13, NET_F_MRG_RXBUF = 15,
            NET_F_STATUS = 16, NET_F_CTRL_VQ = 17, NET_F_CTRL_RX = 18, NET_F_GUEST_ANNOUNCE = 21, NET_F_MQ = 22;
    public static final int F_NOTIFY_ON_EMPTY = 24, F_ANY_LAYOUT = 27, RING_F_INDIRECT_DESC = 28, RING_F_EVENT_IDX = 29,
            F_VERSION_1 = 32, F_ACCESS_PLATFORM = 33, F_RING_PACKED = 34, F_IN_ORDER = 35;

    private VirtioFeatures() {}

    public static long bit(int b) { return 1L << b; }

    public static boolean has(long features, int b) { return (features & (1L << b)) != 0; }

    /** Names of the set bits, for logs: "VERSION_1 MRG_RXBUF ...". */
    public static String describe(long features) {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 64; b++) {
            if ((features & (1L << b)) == 0) continue;
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(name(b));
        }
        return sb.toString();
    }

    public static String name(int b) {
        return switch (b) {
            case NET_F_CSUM -> "CSUM"; case NET_F_GUEST_CSUM -> "GUEST_CSUM"; case NET_F_MTU -> "MTU";
            case NET_F_CTRL_GUEST_OFFLOADS -> "CTRL_GUEST_OFFLOADS"; case NET_F_GUEST_TSO4 -> "GUEST_TSO4";
            case NET_F_GUEST_TSO6 -> "GUEST_TSO6"; case NET_F_GUEST_ECN -> "GUEST_ECN"; case NET_F_HOST_TSO4 -> "HOST_TSO4";
            case NET_F_HOST_TSO6 -> "HOST_TSO6"; case NET_F_HOST_ECN -> "HOST_ECN";
            case NET_F_MAC -> "MAC"; case NET_F_MRG_RXBUF -> "MRG_RXBUF"; case NET_F_STATUS -> "STATUS";
            case NET_F_CTRL_VQ -> "CTRL_VQ"; case NET_F_CTRL_RX -> "CTRL_RX"; case NET_F_GUEST_ANNOUNCE -> "GUEST_ANNOUNCE";
            case NET_F_MQ -> "MQ"; case F_NOTIFY_ON_EMPTY -> "NOTIFY_ON_EMPTY"; case F_ANY_LAYOUT -> "ANY_LAYOUT";
            case RING_F_INDIRECT_DESC -> "INDIRECT_DESC"; case RING_F_EVENT_IDX -> "EVENT_IDX";
            case F_VERSION_1 -> "VERSION_1"; case F_ACCESS_PLATFORM -> "ACCESS_PLATFORM"; case F_RING_PACKED -> "RING_PACKED";
            case F_IN_ORDER -> "IN_ORDER"; case 26 -> "LOG_ALL"; case 30 -> "PROTOCOL_FEATURES";
            default -> "bit" + b;
        };
    }

    /** Length of struct virtio_net_hdr the driver uses: 12 with VERSION_1 or MRG_RXBUF, else 10. */
    public static int netHeaderLength(long features) {
        return has(features, F_VERSION_1) || has(features, NET_F_MRG_RXBUF) ? 12 : 10;
    }

    /** The offload bits xvio offers when a port's offloads are on (checksums and TCP segmentation both ways). */
    public static final long OFFLOADS = bit(NET_F_CSUM) | bit(NET_F_GUEST_CSUM) | bit(NET_F_GUEST_TSO4) | bit(NET_F_GUEST_TSO6)
            | bit(NET_F_GUEST_ECN) | bit(NET_F_HOST_TSO4) | bit(NET_F_HOST_TSO6) | bit(NET_F_HOST_ECN);

    /**
     * Whether the driver's receive headers carry offload state (it negotiated GUEST_CSUM): the port then writes
     * the first ten bytes of each frame's header itself (flags, gso_type, hdr_len, gso_size, csum_start,
     * csum_offset) and the queue only adds num_buffers.
     */
    public static boolean rxHeaderFromCaller(long features) { return has(features, NET_F_GUEST_CSUM); }

    /**
     * Bytes of each transmitted frame's virtio-net header the device need not read: all of it (hdrLen) unless CSUM
     * was negotiated. Without CSUM (and so without any GSO, which needs it) the driver must send flags 0 and
     * gso_type NONE, and num_buffers is for received frames only: the header carries nothing. Not reading it saves
     * a cache line per frame when the driver wrote the header in the line before the frame (DPDK's virtio driver
     * puts it at the end of the mbuf headroom), a line the driver's CPU holds.
     */
    static int txHeaderSkipped(long features, int hdrLen) { return has(features, NET_F_CSUM) ? 0 : hdrLen; }

    /**
     * Writes the virtio-net header of a received frame (hdrLen bytes at start of buf): all zero (or, with
     * fromCaller, the ten bytes the caller put there) but num_buffers = 1 when the header has it (12 bytes); a
     * frame spread over several buffers gets its count patched later.
     */
    static void writeRxHeader(MemorySegment buf, long start, int hdrLen, boolean fromCaller) {
        if (!fromCaller) {
            buf.set(JAVA_LONG_UNALIGNED, start, 0L);
            buf.set(JAVA_SHORT_UNALIGNED, start + 8, (short) 0);
        }
        if (hdrLen == 12) buf.set(JAVA_SHORT_UNALIGNED, start + 10, (short) 1);
    }
}
