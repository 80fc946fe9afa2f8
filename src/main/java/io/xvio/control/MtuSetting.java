package io.xvio.control;

import io.xvio.packet.PacketBatch;

import java.util.Map;

/**
 * A port's {@code mtu} key (OVS's Interface {@code mtu_request}): the largest IP packet the port carries, in bytes,
 * 0 when not given (vhost-user: 1500, as OVS-DPDK's default; tap: the kernel's default). Taken by vhostuser ports
 * (the frame size the port accepts and sends, what a tunnel over it may put out) and tap ports (the kernel
 * device's MTU, set when xvio creates it). afpacket and afxdp ports follow the MTU of the existing interface they
 * attach to: xvio does not change a NIC it does not own, so {@code mtu} is refused there with the command to use.
 */
public final class MtuSetting {
    private MtuSetting() {}

    /** Smallest MTU (IPv4's 68, as OVS and Linux). */
    public static final int MIN = 68;
    /** Largest MTU: 65535 (an IP packet's length field, as OVS), whose frame with two VLAN tags fits a packet slot. */
    public static final int MAX = Math.min(65535, PacketBatch.MAX_FRAME - 14 - 8);
    /** A vhost-user port's MTU when none is configured (OVS-DPDK's default). */
    public static final int DEFAULT = 1500;

    /** Reads and removes key "mtu" from a port's settings p; 0 when absent. where names the port for errors. */
    static int take(Map<String, Object> p, String type, String source, String where) {
        Object v = p.remove("mtu");
        if (v == null) return 0;
        check(type, where, source);
        return Config.integer(v, source, where + ".mtu", MIN, MAX);
    }

    /** Refuses mtu on a port type that cannot take it, saying why and what to do instead. */
    public static void check(String type, String where, String source) {
        switch (type) {
            case "vhostuser", "tap" -> { }
            case "afpacket", "afxdp" -> throw new ConfigException(source + ": " + where + ".mtu: an " + type
                    + " port takes the MTU of the interface it attaches to (xvio does not change a NIC it does not own; OVS would): "
                    + "set it with `ip link set DEV mtu N`");
            case "vxlan", "geneve" -> throw new ConfigException(source + ": " + where + ".mtu: a " + type
                    + " port has no MTU of its own (the mtu of its underlay bridge's uplink limits what it carries)");
            case "patch" -> throw new ConfigException(source + ": " + where + ".mtu: a patch port has no MTU of its own");
            default -> { }          // an unknown type: its own error comes later
        }
    }

    /**
     * OVSDB's Interface mtu_request (null: none) on a port of this (xvio) type: the MTU, or an
     * IllegalArgumentException whose message becomes the Interface's error.
     */
    public static int fromRequest(Long request, String type) {
        if (request == null) return 0;
        if (request < MIN || request > MAX) throw new IllegalArgumentException("mtu_request " + request + " is outside " + MIN + ".." + MAX);
        try {
            check(type, "Interface", "mtu_request");
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage().replace("mtu_request: Interface.mtu: ", "mtu_request: ")
                    .replace("set it with `ip link set DEV mtu N`", "set it with `ip link set DEV mtu N`, then clear mtu_request"));
        }
        return request.intValue();
    }

    /** The MTU a port of this config runs with: the configured one or {@link #DEFAULT}. */
    public static int orDefault(int mtu) { return mtu > 0 ? mtu : DEFAULT; }
}
