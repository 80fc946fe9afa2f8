package io.xvio.control.ovsdb;

import io.xvio.control.ControlException;
import io.xvio.control.ControllerSettings;
import io.xvio.openflow.OfChannels;
import io.xvio.openflow.PacketInLimits;
import io.xvio.openflow.PacketInScheduler;

import java.util.ArrayList;
import java.util.List;

/**
 * A Bridge row's OpenFlow side: its {@code controller} column (Controller rows: {@code target}, {@code
 * inactivity_probe} in ms, OVS's default 5000) and {@code fail_mode} (empty: standalone, as OVS). The smallest
 * inactivity_probe of the bridge's controllers is the bridge's (xvio keeps one per bridge); 0 turns probes off in OVS,
 * which xvio does not do: it is taken as the default. Likewise the smallest {@code controller_rate_limit} and
 * {@code controller_burst_limit} (packet-ins a second, at least 100; burst at least 25) of its controllers is the
 * bridge's packet-in rate limit (none set: no limit).
 */
final class BridgeControllers {
    private BridgeControllers() {}

    /** The settings the database gives bridge row b; OvsdbException (with the reason) if they cannot be served. */
    static ControllerSettings read(TableCache db, TableCache.Row b) throws OvsdbException {
        List<String> targets = new ArrayList<>();
        long probe = Long.MAX_VALUE, rate = Long.MAX_VALUE, burst = Long.MAX_VALUE;
        for (String cu : Datum.uuids(b.get("controller"), "Bridge controller")) {
            TableCache.Row c = db.row("Controller", cu);
            if (c == null) continue;                       // arrives in the same update
            targets.add(Datum.string(c.get("target"), "Controller target"));
            Long p = Datum.optionalInteger(c.get("inactivity_probe"), "Controller inactivity_probe");
            if (p != null && p > 0) probe = Math.min(probe, Math.max(1000, p));
            Long r = Datum.optionalInteger(c.get("controller_rate_limit"), "Controller controller_rate_limit");
            if (r != null && r > 0) rate = Math.min(rate, Math.max(PacketInScheduler.MIN_RATE, r));       // OVS's schema minimum
            Long bu = Datum.optionalInteger(c.get("controller_burst_limit"), "Controller controller_burst_limit");
            if (bu != null && bu > 0) burst = Math.min(burst, Math.max(PacketInScheduler.MIN_BURST, bu));
        }
        targets.sort(null);
        String mode = Datum.optionalString(b.get("fail_mode"), "Bridge fail_mode");
        OfChannels.FailMode fm;
        try {
            fm = mode == null || mode.isEmpty() ? OfChannels.FailMode.STANDALONE : OfChannels.FailMode.parse(mode);
            targets = ControllerSettings.checkTargets(targets);
        } catch (IllegalArgumentException | ControlException e) {
            throw new OvsdbException(e.getMessage());
        }
        return new ControllerSettings(targets, fm, probe == Long.MAX_VALUE ? OfChannels.DEFAULT_PROBE_MS : probe,
                PacketInLimits.of(rate == Long.MAX_VALUE ? 0 : rate, burst == Long.MAX_VALUE ? 0 : burst));
    }
}
