package io.xvio.datapath.conntrack;

/** The ct_state bits, with OVS's CS_* values (lib/packets.h) and ovs-fields(7) names. */
public final class CtState {
    public static final int NEW = 1, EST = 2, REL = 4, RPL = 8, INV = 16, TRK = 32, SNAT = 64, DNAT = 128;
    private static final String[] NAMES = {"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"};

    private CtState() {}

    /** The set bits as OVS prints them in a trace: "new|trk"; "0" when none. */
    public static String format(int state) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < NAMES.length; i++) {
            if ((state & (1 << i)) != 0) b.append(b.isEmpty() ? "" : "|").append(NAMES[i]);
        }
        return b.isEmpty() ? "0" : b.toString();
    }
}
