package io.xvio.control.ovsdb;

import io.xvio.port.HeldTx;

/**
 * OVS's Open_vSwitch other_config:tx-flush-interval: microseconds (0..1000000) a frame may wait in an output batch.
 * xvio holds frames only in AF_XDP ports that send several bursts per system call (port.HeldTx); the value applies
 * at once, and when the key goes away the YAML key tx-flush-interval's value (default 100) applies again.
 */
final class TxFlushInterval {
    private TxFlushInterval() {}

    /** The microseconds in value; IllegalArgumentException naming what is wrong. */
    static int parse(String value) {
        int us;
        try {
            us = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + (value.length() > 40 ? value.substring(0, 40) + "..." : value) + "\" is not a number of microseconds");
        }
        if (us < 0 || us > HeldTx.MAX_HOLD_MICROS) throw new IllegalArgumentException(us + " is outside 0.." + HeldTx.MAX_HOLD_MICROS);
        return us;
    }
}
