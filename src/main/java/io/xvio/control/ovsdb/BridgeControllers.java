package io.xvio.control.ovsdb;

import io.xvio.control.ControlException;
import io.xvio.control.ControllerSettings;
import io.xvio.openflow.OfChannels;

import java.util.ArrayList;
import java.util.List;

/**
 * A Bridge row's OpenFlow side: its {@code controller} column (Controller rows: {@code target}, {@code
 * inactivity_probe} in ms, OVS's default 5000) and {@code fail_mode} (empty: standalone, as OVS). The smallest
 * inactivity_probe of the bridge's controllers is the bridge's (xvio keeps one per bridge); 0 turns probes off in OVS,
 * which xvio does not do: it is taken as the default.
 */
final class BridgeControllers {
    private BridgeControllers() {}

    /** The settings the database gives bridge row b; OvsdbException (with the reason) if they cannot be served. */
    static ControllerSettings read(TableCache db, TableCache.Row b) throws OvsdbException {
        List<String> targets = new ArrayList<>();
        long probe = Long.MAX_VALUE;
        for (String cu : Datum.uuids(b.get("controller"), "Bridge controller")) {
            TableCache.Row c = db.row("Controller", cu);
            if (c == null) continue;                       // arrives in the same update
            targets.add(Datum.string(c.get("target"), "Controller target"));
            Long p = Datum.optionalInteger(c.get("inactivity_probe"), "Controller inactivity_probe");
            if (p != null && p > 0) probe = Math.min(probe, Math.max(1000, p));
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
        return new ControllerSettings(targets, fm, probe == Long.MAX_VALUE ? OfChannels.DEFAULT_PROBE_MS : probe);
    }
}
