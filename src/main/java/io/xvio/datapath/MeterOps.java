package io.xvio.datapath;

import io.xvio.datapath.meter.LiveMeter;
import io.xvio.datapath.meter.MeterTable;

/**
 * meter:N in a bridge's datapath on a cache miss (the OP_METER case of BridgeDatapath.replay runs it at replay).
 * A packet that passes is recorded as OP_METER, so each later packet of the megaflow meets the meter again; a packet the meter drops leaves the translation uncacheable (the
 * actions after the meter were not recorded), so the next packet translates again until one passes.
 */
final class MeterOps {
    private MeterOps() {}

    /**
     * Meters a packet of len bytes with meter id of meters; false if dropped. A meter that does not exist (flows may
     * not name one; only a del-meters racing a translation) lets the packet pass, as OVS's datapath does, and leaves
     * the translation uncached. A trace (trace != null) notes the meter and meters nothing.
     */
    static boolean translate(MeterTable meters, long id, int len, int thread, long now, MegaflowCache.Recorder rec, Trace trace) {
        LiveMeter m = meters.get(id);
        if (trace != null) {
            trace.note(0, "meter:" + id + (m == null ? " (no such meter: passes)" : " (a trace does not meter: passes)"));
            if (rec != null) {
                if (m == null) rec.uncacheable = true; else rec.meter(m);
            }
            return true;
        }
        if (m == null) {
            if (rec != null) rec.uncacheable = true;
            return true;
        }
        if (m.admit(len, thread, now)) {
            if (rec != null) rec.meter(m);
            return true;
        }
        if (rec != null) rec.uncacheable = true;
        return false;
    }
}
