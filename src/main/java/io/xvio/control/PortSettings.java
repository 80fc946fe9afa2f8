package io.xvio.control;

import io.xvio.port.Policer;
import io.xvio.port.Port;
import io.xvio.port.PortPolicing;
import io.xvio.port.VhostUserPort;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What set-port may change on a running port: its policing (the keys of {@link PolicingConfig}) and, on a vhostuser
 * port, tx-retries-max (OVS's Interface option).
 */
final class PortSettings {
    private PortSettings() {}

    private static final String TX_RETRIES = "tx-retries-max";
    private static final List<String> POLICING = List.of("ingress-policing-rate", "ingress-policing-burst", "egress-policer");
    private static final List<String> KEYS = java.util.stream.Stream.concat(POLICING.stream(), java.util.stream.Stream.of(TX_RETRIES)).toList();

    /** KEY=VALUE settings as a map, each key known and given once. */
    private static Map<String, String> parse(List<String> settings) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : settings) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new ControlException("setting \"" + Logging.excerpt(kv, 60) + "\" is not KEY=VALUE");
            String k = kv.substring(0, eq), v = kv.substring(eq + 1);
            if (!KEYS.contains(k)) throw new ControlException("set-port: unknown key \"" + Logging.excerpt(k, 40) + "\" (allowed: " + String.join(", ", KEYS) + ")");
            if (m.containsKey(k)) throw new ControlException("set-port: " + k + " given twice");
            m.put(k, v);
        }
        return m;
    }

    /** The tx-retries-max the settings give (checked against the port's type and 0..32), else null. */
    static Integer txRetriesMax(Port port, List<String> settings) {
        String v = parse(settings).get(TX_RETRIES);
        if (v == null) return null;
        if (!(port instanceof VhostUserPort))
            throw new ControlException("set-port: " + TX_RETRIES + " applies to vhostuser ports only (" + port.name() + " is not one)");
        int n = VhostUserPort.parseTxRetriesMax(v);
        if (n < 0)
            throw new ControlException("set-port: " + TX_RETRIES + "=" + Logging.excerpt(v, 20) + " is not an integer in 0.." + VhostUserPort.TX_RETRIES_LIMIT);
        return n;
    }

    /** The port's policing after KEY=VALUE settings (keys not given keep the port's current values), else null if none is given. */
    static PolicingConfig policing(Port port, List<String> settings) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (var e : parse(settings).entrySet()) {
            String k = e.getKey(), v = e.getValue();
            if (!POLICING.contains(k)) continue;
            m.put(k, k.equals("egress-policer") ? v : v.matches("\\d{1,12}") ? (Object) Long.parseLong(v) : v);
        }
        if (m.isEmpty()) return null;
        PolicingConfig given;
        try {
            given = PolicingConfig.take(m, "set-port", port.name());
        } catch (ConfigException e) {
            throw new ControlException(e.getMessage());
        }
        PortPolicing now = port.counters().policing;
        Policer in = now.ingress, out = now.egress;
        // a policer keeps OVS's units converted to bytes (kbps * 125, kb * 125): converted back exactly
        long rate = containsKey(settings, "ingress-policing-rate") ? given.ingressRateKbps() : in == null ? 0 : in.bytesPerSecond() / 125;
        long burst = containsKey(settings, "ingress-policing-burst") ? given.ingressBurstKb() : in == null ? 0 : in.burstBytes() / 125;
        long cir = containsKey(settings, "egress-policer") ? given.egressCir() : out == null ? 0 : out.bytesPerSecond();
        long cbs = containsKey(settings, "egress-policer") ? given.egressCbs() : out == null ? 0 : out.burstBytes();
        return new PolicingConfig(rate, burst, cir, cbs);
    }

    private static boolean containsKey(List<String> settings, String key) {
        for (String s : settings) if (s.startsWith(key + "=")) return true;
        return false;
    }
}
