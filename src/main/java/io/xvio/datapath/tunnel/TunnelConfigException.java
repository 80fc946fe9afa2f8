package io.xvio.datapath.tunnel;

/** A tunnel port's or underlay's configuration is wrong; the message names the key and what is allowed. */
public final class TunnelConfigException extends IllegalArgumentException {
    public TunnelConfigException(String message) { super(message); }
}
