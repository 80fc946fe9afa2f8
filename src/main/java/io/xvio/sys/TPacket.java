package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.*;

/**
 * AF_PACKET constants and memory-mapped ring layouts, from {@code /usr/include/linux/if_packet.h} (x86-64), and
 * the socket setup shared by {@link PacketRxRing} and {@link PacketTxRing}.
 */
final class TPacket {
    // <bits/socket.h>, <linux/if_ether.h>, <asm-generic/socket.h>
    static final int AF_PACKET = 17, SOCK_RAW = 3, SOL_PACKET = 263, SOL_SOCKET = 1, SO_SNDBUF = 7, SO_SNDBUFFORCE = 32;
    static final int ETH_P_ALL = 0x0003;
    static final int MSG_DONTWAIT = 0x40;

    // packet socket options (SOL_PACKET)
    static final int PACKET_ADD_MEMBERSHIP = 1, PACKET_RX_RING = 5, PACKET_STATISTICS = 6, PACKET_VERSION = 10,
            PACKET_TX_RING = 13, PACKET_LOSS = 14, PACKET_VNET_HDR = 15, PACKET_IGNORE_OUTGOING = 23;
    /** enum tpacket_versions { TPACKET_V1, TPACKET_V2, TPACKET_V3 } */
    static final int TPACKET_V3 = 2;
    static final int PACKET_MR_PROMISC = 1;
    /** sockaddr_ll.sll_pkttype of a frame this host sent (PACKET_OUTGOING). */
    static final int PACKET_OUTGOING = 4;

    // rx ring status (tpacket_hdr_v1.block_status, tpacket3_hdr.tp_status)
    static final int TP_STATUS_KERNEL = 0, TP_STATUS_USER = 1, TP_STATUS_CSUMNOTREADY = 1 << 3,
            TP_STATUS_VLAN_VALID = 1 << 4, TP_STATUS_VLAN_TPID_VALID = 1 << 6;
    // tx ring status (tpacket3_hdr.tp_status)
    static final int TP_STATUS_AVAILABLE = 0, TP_STATUS_SEND_REQUEST = 1, TP_STATUS_SENDING = 2,
            TP_STATUS_WRONG_FORMAT = 4;

    /**
     * struct tpacket_block_desc (48 bytes): u32 version @0, u32 offset_to_priv @4, then struct tpacket_hdr_v1:
     * u32 block_status @8, u32 num_pkts @12, u32 offset_to_first_pkt @16, u32 blk_len @20,
     * aligned u64 seq_num @24, struct tpacket_bd_ts ts_first_pkt @32, ts_last_pkt @40.
     */
    static final long BLK_STATUS = 8, BLK_NUM_PKTS = 12, BLK_FIRST_PKT = 16;

    /**
     * struct tpacket3_hdr (48 bytes): u32 tp_next_offset @0, u32 tp_sec @4, u32 tp_nsec @8, u32 tp_snaplen @12,
     * u32 tp_len @16, u32 tp_status @20, u16 tp_mac @24, u16 tp_net @26, struct tpacket_hdr_variant1
     * { u32 tp_rxhash @28, u32 tp_vlan_tci @32, u16 tp_vlan_tpid @36, u16 tp_padding @38 }, u8 tp_padding[8] @40.
     * It is followed (at TPACKET_ALIGN(48) = 48) by the struct sockaddr_ll of the frame.
     */
    static final long H3_NEXT = 0, H3_SNAPLEN = 12, H3_LEN = 16, H3_STATUS = 20, H3_MAC = 24, H3_VLAN_TCI = 32,
            H3_VLAN_TPID = 36, H3_SIZE = 48;
    /** struct sockaddr_ll (20 bytes): u16 sll_family @0, be16 sll_protocol @2, int sll_ifindex @4, u16 sll_hatype @8,
     * u8 sll_pkttype @10, u8 sll_halen @11, u8 sll_addr[8] @12. */
    static final int SOCKADDR_LL_SIZE = 20;
    static final long SLL_PKTTYPE = 10;
    /** TPACKET3_HDRLEN = TPACKET_ALIGN(sizeof(tpacket3_hdr)) + sizeof(sockaddr_ll) = 68. */
    static final int TPACKET3_HDRLEN = 48 + SOCKADDR_LL_SIZE;
    /** Where a tx frame's data starts without PACKET_TX_HAS_OFF: tp_hdrlen - sizeof(struct sockaddr_ll) = 48. */
    static final long TX_DATA = TPACKET3_HDRLEN - SOCKADDR_LL_SIZE;

    /**
     * struct virtio_net_hdr (10 bytes, linux/virtio_net.h), which the kernel writes right before each received
     * frame (at tp_mac - 10) once PACKET_VNET_HDR is set: u8 flags @0, u8 gso_type @1, u16 hdr_len @2,
     * u16 gso_size @4, u16 csum_start @6, u16 csum_offset @8. The u16s are in the legacy virtio byte order
     * (vio_le(): little-endian on little-endian hosts), which for a packet socket is always the host's order.
     */
    static final int VNET_HDR_SIZE = 10;
    static final long VNET_FLAGS = 0, VNET_GSO_TYPE = 1, VNET_HDR_LEN = 2, VNET_GSO_SIZE = 4, VNET_CSUM_START = 6,
            VNET_CSUM_OFFSET = 8;
    /** virtio_net_hdr.flags: csum_start and csum_offset say where a partial L4 checksum is to be completed. */
    static final int VNET_F_NEEDS_CSUM = 1;

    /** struct tpacket_req3 (28 bytes): tp_block_size, tp_block_nr, tp_frame_size, tp_frame_nr, tp_retire_blk_tov,
     * tp_sizeof_priv, tp_feature_req_word: all unsigned int. */
    static final int REQ3_SIZE = 28;
    /** struct packet_mreq (16 bytes): int mr_ifindex @0, u16 mr_type @4, u16 mr_alen @6, u8 mr_address[8] @8. */
    static final int MREQ_SIZE = 16;
    /** struct tpacket_stats_v3 (12 bytes): tp_packets, tp_drops, tp_freeze_q_cnt. Reading resets them. */
    static final int STATS3_SIZE = 12;

    static final VarHandle INT = JAVA_INT.varHandle();

    private TPacket() {}

    /** socket(AF_PACKET, SOCK_RAW, 0): bound to no protocol yet, so it sees nothing until {@link #bind}. */
    static int socket(String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int fd = (int) Native.SOCKET.invokeExact(cap, AF_PACKET, SOCK_RAW | UnixSocket.SOCK_CLOEXEC, 0);
            if (fd < 0) throw new SysException("socket(AF_PACKET, SOCK_RAW) for " + what, Native.errno(cap));
            return fd;
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static void setInt(int fd, int level, int option, String optionName, int value, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            setsockopt(fd, level, option, optionName + "=" + value, v, what);
        }
    }

    static void setsockopt(int fd, int level, int option, String optionName, MemorySegment value, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            int rc = (int) NetNative.SETSOCKOPT.invokeExact(cap, fd, level, option, value, (int) value.byteSize());
            if (rc < 0) throw new SysException("setsockopt(" + optionName + ") on " + what, NetNative.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static MemorySegment req3(Arena a, int blockSize, int blockNr, int frameSize, int frameNr, int retireTovMs) {
        MemorySegment r = a.allocate(REQ3_SIZE, 4);
        r.set(JAVA_INT, 0, blockSize);
        r.set(JAVA_INT, 4, blockNr);
        r.set(JAVA_INT, 8, frameSize);
        r.set(JAVA_INT, 12, frameNr);
        r.set(JAVA_INT, 16, retireTovMs);
        return r;                       // tp_sizeof_priv and tp_feature_req_word stay 0
    }

    /** bind(fd, sockaddr_ll { AF_PACKET, htons(protocol), ifindex }). Protocol 0 binds for sending only. */
    static void bind(int fd, int ifindex, int protocol, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(Native.CAPTURE);
            MemorySegment sll = a.allocate(SOCKADDR_LL_SIZE, 4);
            sll.set(JAVA_SHORT, 0, (short) AF_PACKET);
            sll.set(JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 2, (short) protocol);
            sll.set(JAVA_INT, 4, ifindex);
            int rc = (int) Native.BIND.invokeExact(cap, fd, sll, SOCKADDR_LL_SIZE);
            if (rc < 0) throw new SysException("bind(AF_PACKET, ifindex " + ifindex + ") for " + what, Native.errno(cap));
        } catch (SysException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    static int pow2AtLeast(int n) {
        int p = 1;
        while (p < n) p <<= 1;
        return p;
    }
}
