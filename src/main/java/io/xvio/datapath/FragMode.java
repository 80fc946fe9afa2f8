package io.xvio.datapath;

/**
 * How a bridge treats IP fragments, as OVS's {@code ovs-ofctl set-frag}: {@code normal} (the default) looks
 * every fragment up with its TCP/UDP ports and ICMP type/code as 0, the first fragment included;
 * {@code nx-match} keeps a first fragment's L4 fields (later fragments have none); {@code drop} drops every
 * fragment before the flow tables. ({@code reassemble} is not supported, as in OVS.)
 */
public enum FragMode {
    NORMAL("normal"), NX_MATCH("nx-match"), DROP("drop");

    public final String text;
    FragMode(String text) { this.text = text; }

    /** The mode named s, or an IllegalArgumentException saying which names exist. */
    public static FragMode parse(String s) {
        for (FragMode m : values()) if (m.text.equals(s)) return m;
        if ("reassemble".equals(s)) throw new IllegalArgumentException("frag mode \"reassemble\" is not supported (as in Open vSwitch): use normal, nx-match or drop");
        throw new IllegalArgumentException("unknown frag mode \"" + s + "\" (normal, nx-match or drop)");
    }
}
