package io.xvio.control.ovsdb;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * The OpenFlow port numbers of one bridge, given out as OVS's ofproto (alloc_ofp_port): a wanted number (an
 * ofport_request, or the number the database or the port held before) when no port has it, even one freed a moment
 * ago; otherwise the next automatic number after the last one given, going round 1..32767 (OVS leaves the upper half
 * to controllers), skipping numbers freed less than an hour ago, so that flows still naming an old port do not apply
 * to a new one. When every free number was freed within the hour, the one freed longest ago.
 */
final class OfportAllocator {
    /** Automatic numbers: OVS's lower half of the port range. */
    static final int MAX_AUTO = 32767;
    /** How long a freed number is not given out automatically (OVS's hour). */
    static final long QUARANTINE_MILLIS = 60 * 60 * 1000L;

    private final int maxAuto;
    private final LongSupplier millis;
    /** When each number was freed (numbers freed within the last hour, and some older ones not yet looked at). */
    private final Map<Integer, Long> freedAt = new HashMap<>();
    /** The last automatic number looked at: the search goes on after it. */
    private int last;

    /** millis: a monotonic clock in milliseconds (tests pass their own). */
    OfportAllocator(LongSupplier millis) {
        this(MAX_AUTO, millis);
    }

    /** With fewer automatic numbers (tests). */
    OfportAllocator(int maxAuto, LongSupplier millis) {
        if (maxAuto < 1) throw new IllegalArgumentException("maxAuto " + maxAuto + " must be at least 1");
        this.maxAuto = maxAuto;
        this.millis = millis;
    }

    /**
     * The number for a port being added: wanted (null: none) if no port in used has it, else an automatic one;
     * -1 when every automatic number is in use.
     */
    int take(Integer wanted, Set<Integer> used) {
        if (wanted != null && wanted > 0 && !used.contains(wanted)) return wanted;
        long now = millis.getAsLong(), lruAt = Long.MAX_VALUE;
        int lru = -1;
        for (int i = 0; i < maxAuto; i++) {
            if (++last > maxAuto) last = 1;
            if (used.contains(last)) continue;
            Long at = freedAt.get(last);
            if (at == null) return last;
            if (now - at >= QUARANTINE_MILLIS) {
                freedAt.remove(last);
                return last;
            }
            if (at < lruAt) {
                lruAt = at;
                lru = last;
            }
        }
        return lru;
    }

    /** A port let go of ofport: not given out automatically for an hour. */
    void freed(int ofport) {
        freedAt.put(ofport, millis.getAsLong());
    }
}
