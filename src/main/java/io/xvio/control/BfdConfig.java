package io.xvio.control;

import io.xvio.datapath.bfd.BfdSettings;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tunnel port's BFD settings from the config file ({@code bfd: {enable: true, min_rx: 500}} in the port's mapping)
 * or a command ({@code bfd:enable=true bfd:min_tx=100} on add-port and set-port): OVS's Interface {@code bfd} column,
 * as a map of strings. Unlike the OVSDB column (read as OVS reads it: a bad value logged and the default used), an
 * unknown key or a bad value here is refused with a message naming it.
 */
final class BfdConfig {
    private BfdConfig() {}

    static final String PREFIX = "bfd:";

    /** The port's {@code bfd:} mapping of a config file; where names it ("bridges.br-int.ports.vx0.bfd"). */
    static Map<String, String> fromYaml(Object o, String where) {
        if (!(o instanceof Map<?, ?> m))
            throw new IllegalArgumentException(where + " must be a mapping, e.g. {enable: true, min_rx: 500} (keys: " + String.join(", ", BfdSettings.keys()) + ")");
        Map<String, String> cfg = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            Object v = e.getValue();
            if (!(v instanceof String || v instanceof Number || v instanceof Boolean))
                throw new IllegalArgumentException(where + "." + e.getKey() + ": \"" + Logging.excerpt(String.valueOf(v), 40) + "\" is not a scalar");
            cfg.put(String.valueOf(e.getKey()), String.valueOf(v));
        }
        check(cfg, where);
        return cfg;
    }

    /** Whether a command's KEY=VALUE setting is a BFD one (bfd:KEY=VALUE). */
    static boolean isBfd(String setting) { return setting.startsWith(PREFIX); }

    /**
     * current with a command's bfd:KEY=VALUE settings (others skipped): each key set, an empty value removes it, the
     * rest kept (as ovs-vsctl set Interface P bfd:KEY=VALUE); what refers to names the command.
     */
    static Map<String, String> merge(Map<String, String> current, List<String> settings, String what) {
        Map<String, String> cfg = new LinkedHashMap<>(current);
        for (String kv : settings) {
            if (!isBfd(kv)) continue;
            int eq = kv.indexOf('=');
            if (eq <= PREFIX.length()) throw new ControlException(what + ": \"" + Logging.excerpt(kv, 60) + "\" is not bfd:KEY=VALUE");
            String k = kv.substring(PREFIX.length(), eq), v = kv.substring(eq + 1);
            if (v.isEmpty()) cfg.remove(k);
            else cfg.put(k, v);
        }
        try {
            check(cfg, what + ": bfd");
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage());
        }
        return cfg;
    }

    private static void check(Map<String, String> cfg, String where) {
        List<String> bad = BfdSettings.refusals(cfg);
        if (!bad.isEmpty())
            throw new IllegalArgumentException(where + ": " + bad.getFirst().replaceFirst("(: [^:]*(used|ignored)| ignored)$", "")
                    + " (keys: " + String.join(", ", BfdSettings.keys()) + ")");
    }
}
