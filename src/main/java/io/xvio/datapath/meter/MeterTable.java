package io.xvio.datapath.meter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A bridge's meters (OVS's per-bridge meter table): an immutable map from id to {@link LiveMeter}, replaced whole
 * on every change (one volatile write), which translations read on a cache miss. Changes come from the control
 * plane, one at a time (synchronized), with the errors ofproto gives for the same meter_mod.
 */
public final class MeterTable {
    private volatile Map<Long, LiveMeter> meters = Map.of();

    /** The meter with this id, or null. */
    public LiveMeter get(long id) { return meters.get(id); }

    /** The meters in id order. */
    public List<LiveMeter> list() {
        List<LiveMeter> l = new ArrayList<>(new TreeMap<>(meters).values());
        return Collections.unmodifiableList(l);
    }

    public int size() { return meters.size(); }

    /**
     * add-meter (modify false: the id must be new, OFPMMFC_METER_EXISTS) or mod-meter (modify true: it must exist,
     * OFPMMFC_UNKNOWN_METER); refuses what OVS's userspace datapath refuses (dpif_netdev_meter_set): more than
     * {@link MeterConfig#MAX_BANDS} bands, band types other than drop, more than {@link MeterConfig#MAX_METERS}.
     */
    public synchronized void put(MeterConfig c, boolean modify, long now) {
        check(c);
        LiveMeter old = meters.get(c.id());
        if (!modify && old != null) throw new IllegalArgumentException("OFPMMFC_METER_EXISTS: meter " + c.id() + " already exists (mod-meter changes it)");
        if (modify && old == null) throw new IllegalArgumentException("OFPMMFC_UNKNOWN_METER: meter " + c.id() + " does not exist (add-meter adds it)");
        if (old != null) {
            old.reconfigure(c, now);
            return;
        }
        if (meters.size() >= MeterConfig.MAX_METERS)
            throw new IllegalArgumentException("OFPMMFC_OUT_OF_METERS: a bridge has at most " + MeterConfig.MAX_METERS + " meters");
        Map<Long, LiveMeter> next = new java.util.HashMap<>(meters);
        next.put(c.id(), new LiveMeter(c, now));
        meters = Map.copyOf(next);
    }

    /** Whether the datapath can run meter c (OVS's dpif-netdev limits and band types). */
    public static void check(MeterConfig c) {
        if (c.bands().size() > MeterConfig.MAX_BANDS)
            throw new IllegalArgumentException("OFPMMFC_OUT_OF_BANDS: meter " + c.id() + " has " + c.bands().size() + " bands; at most " + MeterConfig.MAX_BANDS);
        for (MeterConfig.Band b : c.bands())
            if (b.type() != MeterConfig.BandType.DROP)
                throw new IllegalArgumentException("OFPMMFC_BAD_BAND: meter " + c.id() + ": band type " + b.type().text
                        + " is not supported (as in OVS's userspace datapath, only drop bands)");
    }

    /** del-meters: removes meter id (or every meter for {@link MeterParser#ALL}); returns how many went. */
    public synchronized int delete(long id) {
        if (id == MeterParser.ALL) {
            int n = meters.size();
            meters = Map.of();
            return n;
        }
        if (!meters.containsKey(id)) return 0;
        Map<Long, LiveMeter> next = new java.util.HashMap<>(meters);
        next.remove(id);
        meters = Map.copyOf(next);
        return 1;
    }
}
