package io.xvio.control;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One port mirror, as a row of OVS's Mirror table: frames received on selectSrc ports (select_src_port), frames
 * sent on selectDst ports (select_dst_port), or every frame of the bridge (select_all), optionally only those on
 * selectVlan VLANs, go to outputPort (output_port), which then carries nothing else. YAML under a bridge:
 * <pre>
 * mirrors:
 *   m0: {select-src-port: [vm1], select-dst-port: [vm1], select-vlan: [10], output-port: tap0}
 *   m1: {select-all: true, output-port: tap1}
 * </pre>
 * `xvio add-mirror BRIDGE NAME select-src-port=vm1,vm2 select-dst-port=vm1 output-port=tap0` takes the same keys.
 */
public record MirrorConfig(String name, boolean selectAll, List<String> selectSrc, List<String> selectDst, List<Integer> selectVlan, String outputPort) {
    private static final String[] KEYS = {"select-all", "select-src-port", "select-dst-port", "select-vlan", "output-port"};

    /** Parses a mirror's mapping; ports must be among bridgePorts (the bridge's port names). */
    static MirrorConfig parse(String name, Object raw, Set<String> bridgePorts, String source, String where) {
        Config.checkName(name, source, where);
        Map<String, Object> m = Config.map(raw, source, where);
        Config.keys(m, source, where, KEYS);
        Object all = m.getOrDefault("select-all", Boolean.FALSE);
        if (!(all instanceof Boolean selectAll)) throw new ConfigException(source + ": " + where + ".select-all must be true or false");
        List<String> src = ports(m.get("select-src-port"), bridgePorts, source, where + ".select-src-port");
        List<String> dst = ports(m.get("select-dst-port"), bridgePorts, source, where + ".select-dst-port");
        List<Integer> vlans = new ArrayList<>();
        Object vl = m.get("select-vlan");
        if (vl != null) {
            if (!(vl instanceof List<?> l)) throw new ConfigException(source + ": " + where + ".select-vlan must be a list of VLAN ids");
            for (int i = 0; i < l.size(); i++) vlans.add(Config.integer(l.get(i), source, where + ".select-vlan[" + i + "]", 0, 4095));
        }
        String out = Config.string(Config.require(m, "output-port", source, where), source, where + ".output-port");
        if (!bridgePorts.contains(out)) throw new ConfigException(source + ": " + where + ".output-port: the bridge has no port \"" + out + "\"");
        if (src.contains(out) || dst.contains(out))
            throw new ConfigException(source + ": " + where + ": output-port " + out + " cannot also be a selected port (it carries only mirrored frames)");
        if (!selectAll && src.isEmpty() && dst.isEmpty())
            throw new ConfigException(source + ": " + where + ": selects nothing: give select-all: true, select-src-port or select-dst-port");
        return new MirrorConfig(name, selectAll, src, dst, List.copyOf(vlans), out);
    }

    private static List<String> ports(Object o, Set<String> bridgePorts, String source, String where) {
        if (o == null) return List.of();
        if (!(o instanceof List<?> l)) throw new ConfigException(source + ": " + where + " must be a list of port names");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            String p = Config.string(l.get(i), source, where + "[" + i + "]");
            if (!bridgePorts.contains(p)) throw new ConfigException(source + ": " + where + ": the bridge has no port \"" + p + "\"");
            if (!out.contains(p)) out.add(p);
        }
        return List.copyOf(out);
    }

    /** add-mirror's KEY=VALUE words (lists comma-separated), checked as the YAML would be. */
    static MirrorConfig fromCommand(String name, List<String> settings, Set<String> bridgePorts) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new ConfigException("setting \"" + Logging.excerpt(kv, 60) + "\" is not KEY=VALUE (e.g. output-port=tap0)");
            String k = kv.substring(0, eq), v = kv.substring(eq + 1);
            if (m.containsKey(k)) throw new ConfigException(k + " is given twice");
            m.put(k, switch (k) {
                case "select-all" -> v.equals("true") ? Boolean.TRUE : v.equals("false") ? Boolean.FALSE : v;
                case "select-src-port", "select-dst-port" -> v.isEmpty() ? List.of() : List.of(v.split(",", -1));
                case "select-vlan" -> {
                    List<Object> ids = new ArrayList<>();
                    for (String s : v.split(",", -1)) {
                        try {
                            ids.add(Integer.parseInt(s));
                        } catch (NumberFormatException e) {
                            ids.add(s);
                        }
                    }
                    yield ids;
                }
                default -> v;
            });
        }
        return parse(name, m, bridgePorts, "add-mirror", name);
    }

    /** Parses a bridge's mirrors: mapping (null: none). */
    static List<MirrorConfig> fromConfig(Object raw, Set<String> bridgePorts, String source, String where) {
        if (raw == null) return List.of();
        if (!(raw instanceof Map<?, ?> m)) throw new ConfigException(source + ": " + where + ".mirrors must be a mapping of mirror names to settings");
        List<MirrorConfig> out = new ArrayList<>();
        for (var e : m.entrySet()) {
            if (!(e.getKey() instanceof String n)) throw new ConfigException(source + ": " + where + ".mirrors: a mirror's name must be a string");
            out.add(parse(n, e.getValue(), bridgePorts, source, where + ".mirrors." + n));
        }
        return List.copyOf(out);
    }
}
