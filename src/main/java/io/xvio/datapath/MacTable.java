package io.xvio.datapath;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The L2 learning table of a bridge: (VLAN, MAC) to port, with aging. Open addressing over plain arrays:
 * learning and lookup allocate nothing.
 *
 * <p>Shared by every PMD thread of the bridge, which all learn and look up at once. Each slot has a sequence
 * word (a per-slot seqlock): a writer takes the slot by moving its sequence from even to odd with one
 * compare-and-set, from the value it saw while probing, writes key, port and time, and publishes the next even
 * value. A writer that loses the compare-and-set (another thread is writing that slot, or wrote it since the
 * probe) skips this learning: the next frame from that address learns it. Nobody waits. A reader takes key, port
 * and time between two reads of the sequence and uses them only if it was even and unchanged; otherwise it
 * reads the slot again (a few times, then reports "unknown", which floods). So a lookup sees a whole entry one
 * thread wrote, never one thread's address with another's port. The control thread (fdb/show, flushes) uses the
 * same protocol.
 */
public final class MacTable {
    public static final long DEFAULT_AGING_NS = 300_000_000_000L;
    private static final int PROBE = 16, READ_TRIES = 4;
    private static final long USED = 1L << 62;
    private static final VarHandle SEQ = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] keys;      // USED | vlan << 48 | mac, 0 = empty
    private final int[] ports;
    private final long[] seen;
    private final long[] seq;       // even: stable; odd: a writer is in the slot
    private final int mask;
    private final long agingNs;

    public MacTable(int capacity, long agingNs) {
        int cap = Integer.highestOneBit(Math.max(16, capacity - 1) * 2);
        keys = new long[cap];
        ports = new int[cap];
        seen = new long[cap];
        seq = new long[cap];
        mask = cap - 1;
        this.agingNs = agingNs;
    }

    private static long key(long mac, int vlan) { return USED | ((long) vlan << 48) | mac; }

    private int slot(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    /** Records that mac on vlan was seen on port (best effort: skipped if another thread is writing the slot). */
    public void learn(long mac, int vlan, int port, long now) {
        long k = key(mac, vlan);
        int s = slot(k), victim = -1;
        long victimSeq = 0, oldest = Long.MAX_VALUE;
        for (int i = 0; i < PROBE; i++) {
            int j = (s + i) & mask;
            long sq = (long) SEQ.getAcquire(seq, j);
            if ((sq & 1) != 0) continue;                         // being written: not ours to judge now
            long kj = keys[j];
            int pj = ports[j];
            long tj = seen[j];
            VarHandle.loadLoadFence();
            if ((long) SEQ.getOpaque(seq, j) != sq) continue;  // changed under us
            if (kj == k) {
                if (pj == port && now - tj <= 1_000_000_000L) return;   // refresh at most once a second
                write(j, sq, k, port, now);
                return;
            }
            if (kj == 0 || now - tj > agingNs) { victim = j; victimSeq = sq; break; }
            if (tj < oldest) { oldest = tj; victim = j; victimSeq = sq; }
        }
        if (victim >= 0) write(victim, victimSeq, k, port, now);
    }

    /** Writes slot j if its sequence is still expected (even); else leaves it to the thread that changed it. */
    private void write(int j, long expected, long k, int port, long now) {
        if (!SEQ.compareAndSet(seq, j, expected, expected + 1)) return;
        keys[j] = k;
        ports[j] = port;
        seen[j] = now;
        SEQ.setRelease(seq, j, expected + 2);
    }

    /** The port mac was learned on in vlan, or -1 if unknown or aged out. */
    public int lookup(long mac, int vlan, long now) {
        long k = key(mac, vlan);
        int s = slot(k);
        for (int i = 0; i < PROBE; i++) {
            int j = (s + i) & mask;
            for (int tries = 0; ; tries++) {
                long sq = (long) SEQ.getAcquire(seq, j);
                long kj = keys[j];
                int pj = ports[j];
                long tj = seen[j];
                VarHandle.loadLoadFence();
                if ((sq & 1) == 0 && (long) SEQ.getOpaque(seq, j) == sq) {
                    if (kj == k) return now - tj > agingNs ? -1 : pj;
                    if (kj == 0) return -1;
                    break;                                      // another address: probe on
                }
                if (tries == READ_TRIES) return -1;             // a writer keeps the slot: unknown for now (flood)
                Thread.onSpinWait();
            }
        }
        return -1;
    }

    /** Runs change on slot j under its sequence word (control thread: waits for a PMD writer to finish). */
    private void update(int j, Runnable change) {
        while (true) {
            long sq = (long) SEQ.getAcquire(seq, j);
            if ((sq & 1) == 0 && SEQ.compareAndSet(seq, j, sq, sq + 1)) {
                change.run();
                SEQ.setRelease(seq, j, sq + 2);
                return;
            }
            Thread.onSpinWait();
        }
    }

    /** Forgets everything learned on port (it was deleted or went down). */
    public void flushPort(int port) {
        for (int j = 0; j < keys.length; j++) {
            if (keys[j] == 0) continue;
            final int jj = j;
            update(j, () -> { if (keys[jj] != 0 && ports[jj] == port) seen[jj] = Long.MIN_VALUE / 2; });
        }
    }

    /** Forgets everything (ports were renumbered). */
    public void flushAll() {
        for (int j = 0; j < keys.length; j++) {
            final int jj = j;
            if (keys[j] != 0) update(j, () -> keys[jj] = 0L);
        }
    }

    public record Entry(int port, int vlan, long mac, long ageSeconds) {}

    public List<Entry> entries(long now) {
        List<Entry> out = new ArrayList<>();
        for (int j = 0; j < keys.length; j++) {
            long sq, k, t;
            int p;
            do {
                sq = (long) SEQ.getAcquire(seq, j);
                k = keys[j];
                p = ports[j];
                t = seen[j];
                VarHandle.loadLoadFence();
            } while ((sq & 1) != 0 || (long) SEQ.getOpaque(seq, j) != sq);
            if (k == 0 || now - t > agingNs) continue;
            out.add(new Entry(p, (int) ((k >>> 48) & 0xfff), k & 0xffff_ffff_ffffL, (now - t) / 1_000_000_000L));
        }
        return out;
    }
}
