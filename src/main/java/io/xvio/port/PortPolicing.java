package io.xvio.port;

/**
 * A port's policers, set by the control plane (config, add-port, set-port) and read by PMD threads once per burst:
 * null for none. Each is a whole {@link Policer}, replaced by one volatile write (a new one starts with a full
 * bucket).
 */
public final class PortPolicing {
    /** ingress_policing_rate / ingress_policing_burst. */
    public volatile Policer ingress;
    /** QoS egress-policer (cir, cbs). */
    public volatile Policer egress;
}
