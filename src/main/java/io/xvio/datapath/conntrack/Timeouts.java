package io.xvio.datapath.conntrack;

import java.util.concurrent.TimeUnit;

/**
 * Expiry per protocol and state: OVS's timeout kinds (CT_TM_* in lib/conntrack-private.h) with the netdev
 * datapath's default policy (lib/conntrack-tp.c), in seconds: TCP first packet (SYN_SENT) 30, opening (SYN_RECV)
 * 30, established 86400, closing (FIN_WAIT) 900, fin-wait (TIME_WAIT) 45, closed 30; UDP and other protocols
 * first 60, multiple (one direction only) 60, both directions 30; ICMP first 60, reply 30.
 */
public final class Timeouts {
    public static final int TCP_FIRST_PACKET = 0, TCP_OPENING = 1, TCP_ESTABLISHED = 2, TCP_CLOSING = 3,
            TCP_FIN_WAIT = 4, TCP_CLOSED = 5, OTHER_FIRST = 6, OTHER_MULTIPLE = 7, OTHER_BIDIR = 8, ICMP_FIRST = 9,
            ICMP_REPLY = 10, KINDS = 11;
    private static final long[] DEFAULT_SECONDS = {30, 30, 86400, 900, 45, 30, 60, 60, 30, 60, 30};

    /**
     * OVS's timeout policy keys (ovs-vsctl add-zone-tp, ovs-vswitchd.conf.db(5) CT_Timeout_Policy) for each kind: the
     * userspace datapath keeps UDP and other protocols in one state machine, as here.
     */
    public static final String[] OVS_NAMES = {"tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait",
            "tcp_time_wait", "tcp_close", "udp_first", "udp_single", "udp_multiple", "icmp_first", "icmp_reply"};

    final long[] nanos = new long[KINDS];

    public Timeouts() {
        for (int i = 0; i < KINDS; i++) nanos[i] = TimeUnit.SECONDS.toNanos(DEFAULT_SECONDS[i]);
    }

    /** Sets one kind's timeout (seconds, >= 1). */
    public Timeouts set(int kind, long seconds) {
        if (kind < 0 || kind >= KINDS || seconds < 1) throw new IllegalArgumentException("bad timeout " + kind + "=" + seconds);
        nanos[kind] = TimeUnit.SECONDS.toNanos(seconds);
        return this;
    }

    /** The kind of an OVS timeout policy key (e.g. "udp_first"), or -1. */
    public static int kind(String ovsName) { return java.util.Arrays.asList(OVS_NAMES).indexOf(ovsName); }

    public long seconds(int kind) { return TimeUnit.NANOSECONDS.toSeconds(nanos[kind]); }
}
