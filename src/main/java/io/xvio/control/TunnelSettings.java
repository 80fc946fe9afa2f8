package io.xvio.control;

import io.xvio.datapath.tunnel.IpAddr;
import io.xvio.datapath.tunnel.Prefix;
import io.xvio.datapath.tunnel.RouteTable;
import io.xvio.datapath.tunnel.TunnelConfig;
import io.xvio.datapath.tunnel.TunnelConfigException;
import io.xvio.datapath.tunnel.TunnelPorts;
import io.xvio.datapath.tunnel.UnderlayConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tunnel part of a configuration file (issue 16), read from the same YAML bridges map as {@link Config}: each
 * bridge's underlay ({@code ip:}, {@code routes:}) and its tunnel ports ({@code type: vxlan|geneve} with OVS's
 * options), checked across bridges: static routes' gateways on connected networks, a tunnel port's local_ip one of
 * some bridge's addresses, no two tunnel ports that packets could not tell apart. Errors are ConfigExceptions naming
 * the file and the key. Config.parse calls it with the bridges map and {@link #apply}s the result to its bridges.
 */
public record TunnelSettings(Map<String, UnderlayConfig> underlays, Map<String, Map<String, TunnelConfig>> tunnelPorts,
                             RouteTable routes, Map<String, Map<String, Map<String, String>>> bfd) {
    public static final TunnelSettings NONE = new TunnelSettings(Map.of(), Map.of(), RouteTable.EMPTY, Map.of());

    public static boolean isTunnelType(Object type) { return "vxlan".equals(type) || "geneve".equals(type); }

    /** Reads the tunnel settings of bridges (the "bridges:" mapping of the file named source). */
    public static TunnelSettings parse(Map<?, ?> bridges, String source) {
        Map<String, UnderlayConfig> underlays = new LinkedHashMap<>();
        Map<String, Map<String, TunnelConfig>> ports = new LinkedHashMap<>();
        Map<String, Map<String, Map<String, String>>> bfd = new LinkedHashMap<>();
        List<TunnelPorts.Entry> all = new ArrayList<>();
        try {
            for (var e : bridges.entrySet()) {
                String bn = String.valueOf(e.getKey()), where = "bridges." + bn;
                if (!(e.getValue() instanceof Map<?, ?> br)) continue;   // Config reports a bridge that is not a mapping
                @SuppressWarnings("unchecked") Map<String, ?> b = (Map<String, ?>) br;
                UnderlayConfig u = UnderlayConfig.parse(b, where);
                if (u.kernel()) {
                    if (!io.xvio.sys.Netdev.validName(bn))
                        throw new TunnelConfigException(where + ".ip: kernel: the bridge's internal interface takes its name, \"" + Logging.excerpt(bn, 40)
                                + "\", which is no valid interface name (1-15 characters, no '/', ':' or spaces)");
                    if (b.get("ports") instanceof Map<?, ?> ps && ps.containsKey(bn))
                        throw new TunnelConfigException(where + ".ip: kernel: port " + bn + " has the bridge's name, which its internal interface takes");
                }
                if (u.present() || u.kernel()) underlays.put(bn, u);
                if (!(b.get("ports") instanceof Map<?, ?> ps)) continue;
                for (var pe : ps.entrySet()) {
                    if (!(pe.getValue() instanceof Map<?, ?> p) || !isTunnelType(p.get("type"))) continue;
                    @SuppressWarnings("unchecked") Map<String, Object> pm = new LinkedHashMap<>((Map<String, ?>) p);
                    String pn = String.valueOf(pe.getKey());
                    Object b0 = pm.remove("bfd");                       // the port's, not the tunnel's
                    if (b0 != null) {
                        try {
                            bfd.computeIfAbsent(bn, k -> new LinkedHashMap<>()).put(pn, BfdConfig.fromYaml(b0, where + ".ports." + pn + ".bfd"));
                        } catch (IllegalArgumentException x) {
                            throw new TunnelConfigException(x.getMessage());
                        }
                    }
                    TunnelConfig tc = TunnelConfig.parse(pm, where + ".ports." + pn);
                    ports.computeIfAbsent(bn, k -> new LinkedHashMap<>()).put(pn, tc);
                    all.add(new TunnelPorts.Entry(pm.get("ofport") instanceof Integer n ? n : -1, pn, tc));
                }
            }
            RouteTable routes = RouteTable.of(underlays);
            for (TunnelPorts.Entry t : all) {
                if (t.config().localIp() == null) continue;
                IpAddr local = IpAddr.of(t.config().localIp());
                boolean owned = underlays.values().stream().flatMap(u -> u.addresses().stream()).map(Prefix::addr).anyMatch(local::equals)
                        || underlays.values().stream().anyMatch(UnderlayConfig::kernel);    // the kernel's: known at run time
                if (!owned)
                    throw new TunnelConfigException("port " + t.name() + ": local_ip " + local + " is not an address of any bridge (give it in a bridge's ip:)");
            }
            new TunnelPorts(all);
            if (!all.isEmpty() && underlays.isEmpty())
                throw new TunnelConfigException("tunnel port " + all.getFirst().name() + " needs an underlay: a bridge with ip: ADDR/LEN or ip: kernel (the tunnel endpoint) and an uplink port");
            return new TunnelSettings(underlays, ports, routes, bfd);
        } catch (TunnelConfigException ex) {
            throw new ConfigException(source + ": " + ex.getMessage());
        }
    }

    /** bridges with each bridge's underlay and each tunnel port's options from these settings. */
    static Map<String, Config.BridgeConfig> apply(TunnelSettings t, Map<String, Config.BridgeConfig> bridges) {
        if (t.underlays().isEmpty() && t.tunnelPorts().isEmpty() && t.bfd().isEmpty()) return bridges;
        Map<String, Config.BridgeConfig> out = new LinkedHashMap<>();
        for (var e : bridges.entrySet()) {
            Config.BridgeConfig b = e.getValue();
            Map<String, TunnelConfig> tp = t.tunnelPorts().getOrDefault(e.getKey(), Map.of());
            Map<String, Config.PortConfig> ports = new LinkedHashMap<>();
            for (var pe : b.ports().entrySet()) {
                Config.PortConfig p = pe.getValue();
                TunnelConfig tc = tp.get(pe.getKey());
                ports.put(pe.getKey(), tc == null ? p : new Config.PortConfig(p.name(), p.type(), p.ofport(), p.path(), p.mode(), p.queues(),
                        p.mergeable(), p.device(), p.packed(), p.queue(), p.pmdCpu(), p.offloads(), tc, p.policing()));
            }
            out.put(e.getKey(), new Config.BridgeConfig(b.name(), ports, b.flows(), b.vlans(), b.frag(), b.forwardBpdu(), b.groups(),
                    b.controller(), t.underlays().getOrDefault(e.getKey(), UnderlayConfig.NONE), b.meters(), b.mirrors(),
                    t.bfd().getOrDefault(e.getKey(), Map.of())));
        }
        return out;
    }
}
