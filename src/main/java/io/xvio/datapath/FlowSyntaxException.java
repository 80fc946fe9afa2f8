package io.xvio.datapath;

/** A flow string that does not parse: names the offending token and its position (0-based column). */
public final class FlowSyntaxException extends IllegalArgumentException {
    private final int position;

    public FlowSyntaxException(String flow, int position, String message) {
        super(message + " at position " + position + " in \"" + flow + "\"");
        this.position = position;
    }

    public int position() { return position; }
}
