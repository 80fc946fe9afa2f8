package io.xvio.datapath.meter;

/** A meter string that does not parse, with ovs-ofctl's message for the same mistake. */
public final class MeterSyntaxException extends IllegalArgumentException {
    public MeterSyntaxException(String message) { super(message); }
}
