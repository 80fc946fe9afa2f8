package io.xvio.datapath.tunnel;

import io.xvio.packet.PacketBatch;
import io.xvio.util.SpscSlots;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An underlay's ICMP answers to overlay frames too big for it ({@link PathMtu}), on their way back to the sender: the
 * poll-mode thread that drops a too-big frame at a tunnel port writes the answer here, encapsulated as if the remote
 * endpoint had sent it (the port's outer header with both Ethernet and both IP addresses swapped, the same VNI and
 * UDP destination port), and the thread that polls the underlay's endpoint port receives it. The underlay then
 * decapsulates it like any tunnel frame: it enters the overlay from the tunnel port with the tunnel metadata of the
 * remote (tun_id, tun_src = remote, tun_dst = local), as Linux's VXLAN device gives its answers to a collect-metadata
 * port, so the flows that take the remote's traffic to the sender take the answer too.
 *
 * <p>One ring of {@link #SLOTS} answers per producing thread (single producer, single consumer, {@link SpscSlots}: the queue is
 * polled by one thread at a time), made at that thread's first answer, and one shared count of answers waiting, so the
 * consumer's poll is one volatile read while none waits. A full ring does not answer (a sender that keeps sending too
 * big frames gets {@code SLOTS} answers per poll, which rate-limits them as the kernel's ICMP rate limit would); the
 * drop itself is counted by the port either way. No allocation per packet, no locks.
 */
public final class TooBigAnswers {
    public static final int SLOTS = 4;
    /** The outer headers (at most IPv6, UDP, Geneve with 252 bytes of options), then the answer: Ethernet plus at most 1280 bytes of IP. */
    private static final int HEADROOM = 384, SLOT_BYTES = HEADROOM + 14 + 1280 + 58;
    private static final VarHandle RINGS = MethodHandles.arrayElementVarHandle(Ring[].class);
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle WAITING;

    static {
        try {
            WAITING = MethodHandles.lookup().findVarHandle(TooBigAnswers.class, "waiting", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final class Ring {
        final MemorySegment frames = Arena.ofAuto().allocate((long) SLOTS * SLOT_BYTES, 64);
        final int[] lens = new int[SLOTS], offs = new int[SLOTS];
        final SpscSlots slots = new SpscSlots(SLOTS);
    }

    private final Ring[] rings;
    @SuppressWarnings("unused") private volatile int waiting;
    private final long[] sent;

    public TooBigAnswers(int maxThreads) {
        rings = new Ring[maxThreads];
        sent = new long[maxThreads * 8];
    }

    /**
     * Producer (thread's own ring): answers the inner frame s[off, off+len) that needs an IP MTU of at most mtu, when
     * {@link PathMtu} says an answer is due and the ring has room; h is the tunnel's outer header (towards the remote),
     * which the answer comes back in, reversed. Returns whether one was queued.
     */
    public boolean offer(int thread, MemorySegment s, long off, int len, int mtu, TunnelHeader h) {
        if (thread < 0 || thread >= rings.length) return false;
        Ring r = (Ring) RINGS.getAcquire(rings, thread);
        if (r == null) {
            r = new Ring();                                          // once per thread, at its first too-big frame
            RINGS.setRelease(rings, thread, r);
        }
        int slot = r.slots.claim(), hl = h.length();
        if (slot < 0 || hl > HEADROOM) return false;             // a claimed slot not published stays free
        long start = (long) slot * SLOT_BYTES, inner = start + HEADROOM;
        int n = PathMtu.answer(s, off, len, mtu, r.frames, inner);
        if (n <= 0) return false;
        long outer = h.push(r.frames, inner, n, 0, 0);
        reverse(r.frames, outer, h.ipv6());
        r.offs[slot] = (int) (outer - start);
        r.lens[slot] = n + hl;
        r.slots.publish();
        WAITING.getAndAdd(this, 1);
        sent[thread * 8]++;
        return true;
    }

    /** Consumer: moves waiting answers into b (at most a burst); returns how many. One volatile read when none waits. */
    public int drain(PacketBatch b) {
        if (waiting == 0) return 0;
        int n = 0;
        for (int t = 0; t < rings.length && n < PacketBatch.BURST; t++) {
            Ring r = (Ring) RINGS.getAcquire(rings, t);
            if (r == null) continue;
            for (int k = r.slots.ready(); k > 0 && n < PacketBatch.BURST; k--) {
                int slot = r.slots.oldest(), len = r.lens[slot];
                MemorySegment.copy(r.frames, (long) slot * SLOT_BYTES + r.offs[slot], b.data, b.off[n], len);
                b.len[n++] = len;
                r.slots.release();
            }
        }
        if (n > 0) WAITING.getAndAdd(this, -n);
        b.count = n;
        return n;
    }

    /**
     * Makes the outer headers at o come from the remote: swaps the Ethernet addresses and the IP addresses. The UDP
     * ports stay (the destination port is the tunnel's), and no checksum changes: the IPv4 header sum and the UDP
     * pseudo-header sum do not depend on the order of the addresses.
     */
    static void reverse(MemorySegment f, long o, boolean ipv6) {
        swap(f, o, o + 6, 6);
        long ip = o + TunnelHeader.ETH;
        if (ipv6) swap(f, ip + 8, ip + 24, 16);
        else swap(f, ip + 12, ip + 16, 4);
    }

    private static void swap(MemorySegment f, long a, long b, int n) {
        for (int i = 0; i < n; i++) {
            byte x = f.get(java.lang.foreign.ValueLayout.JAVA_BYTE, a + i);
            f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, a + i, f.get(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i));
            f.set(java.lang.foreign.ValueLayout.JAVA_BYTE, b + i, x);
        }
    }

    /** Answers queued so far (every thread). */
    public long sent() {
        long s = 0;
        for (int t = 0; t < rings.length; t++) s += (long) LONGS.getOpaque(sent, t * 8);
        return s;
    }
}
