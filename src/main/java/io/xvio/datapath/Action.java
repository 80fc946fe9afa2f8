package io.xvio.datapath;

/** One action of a flow, in the subset of ovs-actions(7) the datapath executes today. */
public record Action(Kind kind, int port) {
    public enum Kind { OUTPUT, IN_PORT, NORMAL, FLOOD, ALL, DROP }

    public static Action output(int ofport) { return new Action(Kind.OUTPUT, ofport); }
    public static Action of(Kind k) { return new Action(k, 0); }

    @Override
    public String toString() {
        return switch (kind) {
            case OUTPUT -> "output:" + port;
            case IN_PORT -> "in_port";
            case NORMAL -> "NORMAL";
            case FLOOD -> "FLOOD";
            case ALL -> "ALL";
            case DROP -> "drop";
        };
    }
}
