package io.xvio.control;

import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.Conntrack;
import io.xvio.datapath.conntrack.Timeouts;

import java.util.Map;
import java.util.TreeMap;

/**
 * conntrack: the connection tracker's size and limits, e.g.
 * {@code conntrack: {capacity: 262144, limit: 200000, zone-limit: 1000, zones: {7: 50}}}. capacity: connections
 * preallocated when the first ct() flow arrives (~192 bytes each; default 131072); limit: the most connections at
 * once (default: the capacity); zone-limit: the default limit of a zone (default: none); zones: limits of their own.
 * At a limit a new connection is refused (+inv, counted); established ones keep working. timeouts: seconds per
 * protocol and state with OVS's timeout policy keys ({@code timeouts: {udp_first: 5, tcp_established: 3600}}, see
 * {@link Timeouts#OVS_NAMES}; unset keys keep OVS's defaults), for every zone (xvio has no policy per zone).
 */
public record ConntrackConfig(int capacity, int limit, int zoneLimit, Map<Integer, Integer> zones, Map<String, Integer> timeouts) {
    public static final ConntrackConfig DEFAULT = new ConntrackConfig(Conntrack.DEFAULT_CAPACITY, -1, -1, Map.of(), Map.of());

    public ConntrackConfig(int capacity, int limit, int zoneLimit, Map<Integer, Integer> zones) {
        this(capacity, limit, zoneLimit, zones, Map.of());
    }

    static ConntrackConfig parse(Object raw, String source) {
        if (raw == null) return DEFAULT;
        Map<String, Object> m = Config.map(raw, source, "conntrack");
        Config.keys(m, source, "conntrack", "capacity", "limit", "zone-limit", "zones", "timeouts");
        int cap = m.containsKey("capacity") ? Config.integer(m.get("capacity"), source, "conntrack.capacity", 1, 1 << 27) : DEFAULT.capacity;
        int limit = m.containsKey("limit") ? Config.integer(m.get("limit"), source, "conntrack.limit", 0, cap) : -1;
        int zl = m.containsKey("zone-limit") ? Config.integer(m.get("zone-limit"), source, "conntrack.zone-limit", 0, cap) : -1;
        Map<Integer, Integer> zones = new TreeMap<>();
        if (m.containsKey("zones")) {
            if (!(m.get("zones") instanceof Map<?, ?> z))
                throw new ConfigException(source + ": conntrack.zones must be a mapping of zone to limit, e.g. {7: 1000}");
            for (var e : z.entrySet()) {
                int zone;
                try {
                    zone = Integer.parseInt(String.valueOf(e.getKey()));
                } catch (NumberFormatException x) {
                    throw new ConfigException(source + ": conntrack.zones: \"" + Logging.excerpt(String.valueOf(e.getKey()), 40) + "\" is not a zone number");
                }
                if (zone < 0 || zone > 65535) throw new ConfigException(source + ": conntrack.zones: zone " + zone + " is outside 0..65535");
                zones.put(zone, Config.integer(e.getValue(), source, "conntrack.zones." + zone, 0, cap));
            }
        }
        Map<String, Integer> tos = new TreeMap<>();
        if (m.containsKey("timeouts")) {
            if (!(m.get("timeouts") instanceof Map<?, ?> t))
                throw new ConfigException(source + ": conntrack.timeouts must be a mapping of OVS timeout policy key to seconds, e.g. {udp_first: 5}");
            for (var e : t.entrySet()) {
                String key = String.valueOf(e.getKey());
                if (Timeouts.kind(key) < 0)
                    throw new ConfigException(source + ": conntrack.timeouts: unknown key \"" + Logging.excerpt(key, 40) + "\" (one of "
                            + String.join(", ", Timeouts.OVS_NAMES) + ")");
                tos.put(key, Config.integer(e.getValue(), source, "conntrack.timeouts." + key, 1, Integer.MAX_VALUE));
            }
        }
        return new ConntrackConfig(cap, limit, zl, Map.copyOf(zones), Map.copyOf(tos));
    }

    /** The tracker's timeouts: OVS's defaults with this configuration's keys set. */
    Timeouts timeoutsOf() {
        Timeouts t = new Timeouts();
        timeouts.forEach((k, v) -> t.set(Timeouts.kind(k), v));
        return t;
    }

    /** Applies the limits to a tracker just made. */
    void apply(ConnTracker t) {
        if (limit >= 0) t.setLimit(limit);
        if (zoneLimit >= 0) t.setDefaultZoneLimit(zoneLimit);
        zones.forEach(t::setZoneLimit);
    }
}
