package io.xvio.packet;

import io.xvio.sys.Mmap;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Up to {@link #BURST} frames in one off-heap buffer, one fixed slot each. A frame starts at {@code off[i]}
 * with {@link #HEADROOM} free bytes before it (room for a virtio-net header, pushed VLAN tags, tunnel headers).
 * Owned by one poll-mode thread and reused for every burst: nothing is allocated per packet.
 *
 * <p>Large frames: a slot holds a whole 64 KB TSO frame (a guest's GSO frame is at most 65,535 bytes of IP plus
 * its Ethernet header and tags), so a large frame travels like a small one, copied once from the sending guest's
 * chain into its slot and once from there into the receiver's buffers. One slot size for every frame keeps the
 * small-frame path exactly as it was (only each slot's first lines are touched; the pages a burst touches are as
 * many as with 16 KiB slots) at the price of address space: 64 slots of 66 KiB, 4.3 MB per PMD thread. A
 * separate pool of big buffers would save memory but give every frame two possible homes.
 *
 * <p>Offload state (the virtio-net header's fields, {@link VnetHeader}) travels with each packet in per-slot
 * arrays: {@link #vflags} (NEEDS_CSUM), {@link #gsoType}, {@link #gsoSize}, {@link #csumAt} (where the checksummed
 * part starts, as an absolute offset into {@link #data}: VLAN push/pop move the frame's start, never its L3/L4
 * bytes) and {@link #csumOffset}. They are valid only when {@link #offloads} is set for the burst; ports that
 * never receive offload state leave it clear and nothing reads the arrays.
 */
public final class PacketBatch {
    public static final int BURST = 32;
    /** Slots after the first BURST hold copies the datapath makes (a packet sent two different ways). */
    public static final int SLOTS = 2 * BURST;
    /**
     * 256: a VLAN push or two, or the largest tunnel header with options (70 bytes of Ethernet/IPv6/UDP/Geneve plus
     * up to 96 bytes of Geneve options from tun_metadata0..7, TunnelPort).
     */
    public static final int HEADROOM = 256;
    public static final int SLOT = 65536 + 2048;
    /**
     * Distance between slot starts: a slot plus three cache lines. With a stride of a power of two every frame's
     * first lines would map to the same L1/L2 cache sets and a burst would evict itself.
     */
    public static final int STRIDE = SLOT + 192;
    /** Largest frame a slot holds. */
    public static final int MAX_FRAME = SLOT - HEADROOM;

    public final MemorySegment data;
    public final int[] off = new int[SLOTS];
    public final int[] len = new int[SLOTS];
    public final FlowKey[] keys = new FlowKey[SLOTS];
    /** Received packets are 0..count-1; copies are BURST..BURST+copies-1. */
    public int count, copies;
    /**
     * Copies made and copies asked for when no copy slot was left, since {@link #reset}: counted on when a chunk of
     * the burst is sent and {@link #copies} starts again (the datapath sizes its chunks by them).
     */
    public int copiesMade, copyMisses;
    /**
     * Bit i: slot i is queued for output as it is now and the actions may still rewrite it. Such an output does not
     * copy the frame; the first rewrite that follows does (the datapath moves the queued sends to the copy), so an
     * output followed by register loads only (OVN's flood: one output per port) never copies.
     */
    public long shared;
    /** Set by a port whose burst has a packet with offload state (the arrays below are meaningful). */
    public boolean offloads;
    /** Per slot: virtio-net header flags (NEEDS_CSUM), gso_type (with the ECN bit), gso_size, csum_offset. */
    public final int[] vflags = new int[SLOTS], gsoType = new int[SLOTS], gsoSize = new int[SLOTS], csumOffset = new int[SLOTS];
    /** Per slot: absolute offset in {@link #data} of csum_start (valid with NEEDS_CSUM). */
    public final int[] csumAt = new int[SLOTS];
    /**
     * Bit i: packet i's checksums (IPv4 header, TCP/UDP/ICMP) were found good ({@link #checksumsGood}) while its
     * frame started at checkedAt[i]. It stays true while the frame stays there, as every rewrite of the datapath
     * updates the checksums it touches; a frame that moves (VLAN push/pop, encapsulation, decapsulation, slots
     * swapped) no longer starts there, and a new frame written there (a burst, a copy) clears it. Saves conntrack's
     * second and later verifications of one packet (OVN: four ct() a packet).
     */
    private long checked;
    private final int[] checkedAt = new int[SLOTS];

    public PacketBatch() { this(false); }

    /**
     * hugePages: a PMD thread's batch, on transparent huge pages where the kernel has them: a burst touches 32 slots
     * 66 KiB apart, 32 TLB entries with 4 KiB pages, one or two with 2 MiB pages.
     */
    public PacketBatch(boolean hugePages) {
        long size = (long) SLOTS * STRIDE;
        if (hugePages) {
            data = Arena.ofAuto().allocate(size, Mmap.HUGE_PAGE);
            Mmap.adviseHugePages(data);
        } else {
            data = Arena.ofAuto().allocate(size, 64);
        }
        for (int i = 0; i < SLOTS; i++) keys[i] = new FlowKey();
        reset();
    }

    /**
     * A batch over memory it does not own, for a port that lends its own buffers (AfXdpPort: UMEM chunks a relay
     * copies guest frames into): off[] is the lender's to set, and {@link #reset} must not be called on it.
     */
    public PacketBatch(MemorySegment lent) {
        data = lent;
        for (int i = 0; i < SLOTS; i++) keys[i] = new FlowKey();
    }

    /** Puts every frame back at the start of its slot, after the headroom. */
    public void reset() {
        for (int i = 0; i < SLOTS; i++) off[i] = frameStart(i);
        count = 0;
        copies = 0;
        copiesMade = copyMisses = 0;
        shared = 0;
        checked = 0;
        clearOffloads();
    }

    /** Whether packet i's checksums were found good and its frame is where it was then (see {@link #checked}). */
    public boolean checksumsChecked(int i) { return (checked & 1L << i) != 0 && checkedAt[i] == off[i]; }

    /** Packet i's checksums, as its frame is now, are good. */
    public void checksumsGood(int i) {
        checked |= 1L << i;
        checkedAt[i] = off[i];
    }

    /** Packet i's frame was written anew where it starts (its checksums are not known). */
    public void checksumsUnknown(int i) { checked &= ~(1L << i); }

    /** Forgets the burst's offload state. */
    public void clearOffloads() {
        if (offloads) {
            java.util.Arrays.fill(vflags, 0);
            java.util.Arrays.fill(gsoType, 0);
            offloads = false;
        }
    }

    /** Copies the datapath wanted since {@link #reset}, made or not. */
    public int copyDemand() { return copiesMade + copyMisses; }

    /** Whether packet i has offload state (a partial checksum or a GSO type). */
    public boolean hasOffload(int i) { return offloads && (vflags[i] | gsoType[i]) != 0; }

    /** Where slot i's frame starts when nothing moved it. */
    public static int frameStart(int i) { return i * STRIDE + HEADROOM; }

    /**
     * Where a frame starts, unmoved, in the slot packet i's frame is in now: after drops a packet's frame may sit in
     * another index's slot (VhostUserPort.readHeaders, Policing), so a new frame for packet i goes here, not to
     * frameStart(i).
     */
    public int ownFrameStart(int i) { return frameStart(off[i] / STRIDE); }

    /**
     * Copies a frame from elsewhere (n bytes at from in s; held IP fragments) into a free copy slot without offload
     * state; returns its index, or -1 if none is left. Its key is the caller's to fill.
     */
    public int copyIn(MemorySegment s, long from, int n) {
        if (copies == BURST || n > MAX_FRAME) {
            if (n <= MAX_FRAME) copyMisses++;
            return -1;
        }
        int j = BURST + copies++;
        copiesMade++;
        off[j] = frameStart(j);
        MemorySegment.copy(s, from, data, off[j], n);
        len[j] = n;
        checksumsUnknown(j);
        if (offloads) {
            vflags[j] = 0;
            gsoType[j] = 0;
        }
        return j;
    }

    /** Copies packet i (frame and key) into a free copy slot; returns its index, or -1 if none is left. */
    public int copy(int i) {
        if (copies == BURST) {
            copyMisses++;
            return -1;
        }
        int j = BURST + copies++;
        copiesMade++;
        off[j] = frameStart(j);
        MemorySegment.copy(data, off[i], data, off[j], len[i]);
        len[j] = len[i];
        keys[j].copyFrom(keys[i]);
        if (checksumsChecked(i)) checksumsGood(j);
        else checksumsUnknown(j);
        if (offloads) {
            vflags[j] = vflags[i];
            gsoType[j] = gsoType[i];
            gsoSize[j] = gsoSize[i];
            csumOffset[j] = csumOffset[i];
            csumAt[j] = csumAt[i] - off[i] + off[j];
        }
        return j;
    }
}
