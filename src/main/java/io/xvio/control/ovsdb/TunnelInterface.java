package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.TunnelConfigException;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An Interface row of type {@code vxlan} or {@code geneve} as a tunnel port (issue 16), with the options
 * ovs-vswitchd.conf.db(5) lists under "Tunnel Options" that xvio has: {@code remote_ip} (IP or flow),
 * {@code local_ip}, {@code key} (N or flow), {@code dst_port}, {@code csum}, {@code tos}, {@code ttl},
 * {@code df_default}, parsed by {@link TunnelConfig#parse} as the YAML file's are. What the OpenStack agent writes is
 * understood too: {@code in_key}/{@code out_key} equal to each other are the port's key (xvio has one key for both
 * directions), {@code egress_pkt_mark=0} is the default. Any other option, or a value xvio cannot honour, is the
 * row's error (OVS logs unknown options and goes on; a tunnel silently different from what was asked is worse).
 * The underlay (a bridge with {@code ip:}) comes from the YAML file: OVSDB has no column for it.
 */
final class TunnelInterface {
    /** Keys TunnelConfig leaves to the YAML port parser: not options of an Interface row. */
    private static final Set<String> NOT_OPTIONS = Set.of("type", "ofport", "tag", "trunks", "pmd-cpu");

    private TunnelInterface() {}

    static Config.PortConfig toPort(String name, String type, Map<String, String> options, int ofport) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : options.entrySet()) {
            String k = e.getKey();
            if (NOT_OPTIONS.contains(k)) throw new IllegalArgumentException(type + ": options:" + k + " is not a tunnel option");
            switch (k) {
                case "in_key", "out_key" -> { }                      // below
                case "egress_pkt_mark" -> {
                    if (!e.getValue().equals("0"))
                        throw new IllegalArgumentException(type + ": options:egress_pkt_mark=" + e.getValue() + " is not supported (xvio has no skb mark on the underlay)");
                }
                default -> m.put(k, e.getValue());
            }
        }
        String in = options.get("in_key"), out = options.get("out_key");
        if (in != null || out != null) {
            if (options.containsKey("key"))
                throw new IllegalArgumentException(type + ": options:key and options:in_key/out_key together: give one or the other");
            if (in == null || !in.equals(out))
                throw new IllegalArgumentException(type + ": options:in_key=" + in + " and out_key=" + out
                        + " differ: xvio has one key per tunnel port (give key, or equal in_key and out_key)");
            m.put("key", in);
        }
        m.put("type", type);
        try {
            TunnelConfig tc = TunnelConfig.parse(m, "options");
            return new Config.PortConfig(name, type, ofport, null, null, 0, false, null, false, 0, -1, false, tc);
        } catch (TunnelConfigException e) {
            throw new IllegalArgumentException(type + ": " + e.getMessage(), e);
        }
    }
}
