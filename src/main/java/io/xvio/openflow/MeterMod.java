package io.xvio.openflow;

import io.xvio.datapath.meter.MeterConfig;
import io.xvio.datapath.meter.MeterTable;

import java.util.ArrayList;
import java.util.List;

/**
 * An OFPT_METER_MOD (OpenFlow 1.3+: command, flags, meter id, then 16-byte bands) decoded and checked as OVS's
 * ofp-meter.c and ofproto.c do, and applied to the bridge's meter table (the one {@code xvio add-meter} changes):
 * add (OFPMMFC_METER_EXISTS if taken), modify (OFPMMFC_UNKNOWN_METER if not), delete (one meter or OFPM13_ALL; an
 * unknown id is no error; flows naming a deleted meter go with it). What the datapath cannot run is refused with
 * the error OVS's userspace datapath gives: only drop bands (OFPMMFC_BAD_BAND), at most 8 bands
 * (OFPMMFC_OUT_OF_BANDS), a rate above zero (OFPMMFC_BAD_RATE).
 */
record MeterMod(int command, long meterId, MeterConfig config) {
    static final int ADD = 0, MODIFY = 1, DELETE = 2;
    static final int KBPS = 1, PKTPS = 2, BURST = 4, STATS = 8;
    static final int BAND_DROP = 1, BAND_DSCP_REMARK = 2;
    /** OFPM13_MAX, OFPM13_SLOWPATH, OFPM13_CONTROLLER, OFPM13_ALL. */
    static final long MAX = 0xffff0000L, SLOWPATH = 0xfffffffdL, CONTROLLER = 0xfffffffeL, ALL = 0xffffffffL;

    static MeterMod decode(Wire.Reader r, int version) {
        if (version < OfVersion.OF13) throw OfError.BAD_TYPE.fail(OfVersion.name(version) + " has no meter_mod");
        int command = r.u16(), flags = r.u16();
        long id = r.u32();
        if (command != ADD && command != MODIFY && command != DELETE) throw OfError.METER_BAD_COMMAND.fail("meter command " + command);
        if (command == DELETE) return new MeterMod(command, id, null);
        if ((flags & KBPS) != 0 && (flags & PKTPS) != 0) throw OfError.METER_BAD_FLAGS.fail("kbps and pktps together");
        List<MeterConfig.Band> bands = new ArrayList<>();
        while (r.remaining() >= 16) {
            int type = r.u16(), len = r.u16();
            if (len != 16) throw OfError.BAD_LEN.fail("meter band of length " + len + " (16 expected)");
            long rate = r.u32(), burst = r.u32();
            int prec = r.u8();
            r.skip(3);
            MeterConfig.BandType t = switch (type) {
                case BAND_DROP -> MeterConfig.BandType.DROP;
                case BAND_DSCP_REMARK -> MeterConfig.BandType.DSCP_REMARK;
                default -> throw OfError.METER_BAD_BAND.fail("meter band type " + type);
            };
            bands.add(new MeterConfig.Band(t, rate, burst, t == MeterConfig.BandType.DSCP_REMARK ? prec : 0));
        }
        if (r.remaining() != 0) throw OfError.BAD_LEN.fail("meter bands end with " + r.remaining() + " leftover bytes");
        if (id == 0 || id > MAX) throw OfError.INVALID_METER.fail("meter id 0x" + Long.toHexString(id)
                + (id == SLOWPATH || id == CONTROLLER ? " (OVS's slowpath/controller meters are not supported by xvio)" : ""));
        if ((flags & ~(KBPS | PKTPS | BURST | STATS)) != 0) throw OfError.METER_BAD_FLAGS.fail("meter flags 0x" + Integer.toHexString(flags));
        // as OVS's dpif_meter_set: a rate unit is required, and at least one band
        if ((flags & (KBPS | PKTPS)) == 0) throw OfError.METER_BAD_FLAGS.fail("meter flags 0x" + Integer.toHexString(flags) + " name neither kbps nor pktps");
        if (bands.isEmpty()) throw OfError.OUT_OF_BANDS.fail("a meter without bands");
        for (MeterConfig.Band b : bands) if (b.rate() == 0) throw OfError.METER_BAD_RATE.fail("a band with rate 0");
        MeterConfig c = new MeterConfig(id, (flags & KBPS) != 0, (flags & PKTPS) != 0, (flags & BURST) != 0, (flags & STATS) != 0, bands);
        try {
            MeterTable.check(c);
        } catch (IllegalArgumentException e) {
            String m = e.getMessage();
            throw (m.startsWith("OFPMMFC_OUT_OF_BANDS") ? OfError.OUT_OF_BANDS : OfError.METER_BAD_BAND).fail(m);
        }
        return new MeterMod(command, id, c);
    }

    /** Applies this to sw's meter table under the command lock; a sentence for the log. */
    String apply(OfSwitch sw) { return apply(sw, new ArrayList<>()); }

    /** As {@link #apply(OfSwitch)}; the flows a meter delete took with it are added to removed. */
    String apply(OfSwitch sw, List<io.xvio.datapath.Flow> removed) {
        return sw.change(() -> {
            boolean exists = sw.meters().stream().anyMatch(m -> m.id() == meterId);
            switch (command) {
                case ADD -> {
                    if (exists) throw OfError.METER_EXISTS.fail("meter " + meterId + " already exists");
                    sw.putMeter(config, false);
                    return "added meter " + meterId;
                }
                case MODIFY -> {
                    if (!exists) throw OfError.UNKNOWN_METER.fail("meter " + meterId + " does not exist");
                    sw.putMeter(config, true);
                    return "modified meter " + meterId;
                }
                default -> {
                    if (meterId == 0 || (meterId != ALL && !exists)) return "deleted no meter";
                    for (io.xvio.datapath.Flow f : sw.flows())
                        if (io.xvio.datapath.ActionOutputs.namesMeter(f.actions, meterId)) removed.add(f);
                    return "deleted " + sw.deleteMeters(meterId) + " meter(s)";
                }
            }
        });
    }
}
