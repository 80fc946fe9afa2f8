package io.xvio.control.ovsdb;

import io.xvio.openflow.OfVersion;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A Bridge row's OpenFlow identity and free-form columns, as ovs-vswitchd reads them:
 * <ul>
 * <li>{@code protocols}: the OpenFlow versions its connections (BRIDGE.mgmt clients and controllers) may negotiate;
 *     empty: OVS's default, every version (xvio's: 1.0, 1.3, 1.4, 1.5). OpenFlow11 and OpenFlow12, which xvio does not
 *     speak, are logged; if nothing else is left no connection is accepted, as OVS with no common version.</li>
 * <li>{@code other_config:datapath-id}: 16 hex digits, not all zero (OVS's dpid_from_string), the datapath id of the
 *     features replies and the {@code datapath_id} column; else {@code other_config:hwaddr} (a unicast, non-zero MAC),
 *     from which OVS derives it; else xvio's own. xvio does not change the LOCAL port's MAC for hwaddr (logged).</li>
 * <li>{@code other_config:disable-in-band}: accepted; xvio has no in-band control. Other keys are logged, once.</li>
 * <li>{@code external_ids}: free-form, kept.</li>
 * </ul>
 * Bad values are logged (the caller logs each warning once) and the rest applies; nothing here throws for a value.
 */
record BridgeOptions(int versions, long datapathId, Map<String, String> externalIds) {
    static final BridgeOptions DEFAULT = new BridgeOptions(OfVersion.BITMAP, 0, Map.of());
    /** other_config keys xvio reads, or accepts with nothing to do. */
    private static final Set<String> KNOWN = Set.of("datapath-id", "hwaddr", "disable-in-band");

    /** The options of bridge row b; warnings gets one line per value not applied (without the bridge's name). */
    static BridgeOptions read(TableCache.Row b, List<String> warnings) throws OvsdbException {
        int versions = versions(Datum.set(b.get("protocols"), "Bridge protocols"), warnings);
        Map<String, String> oc = Datum.stringMap(b.get("other_config"), "Bridge other_config");
        Map<String, String> ids = Datum.stringMap(b.get("external_ids"), "Bridge external_ids");
        long dpid = 0;
        String d = oc.get("datapath-id");
        if (d != null) {
            dpid = datapathId(d);
            if (dpid == 0) warnings.add("other_config:datapath-id=\"" + d + "\" is not 16 hexadecimal digits (not all zero): ignored");
        }
        String hw = oc.get("hwaddr");
        if (hw != null) {
            long mac = mac(hw);
            if (mac < 0) warnings.add("other_config:hwaddr=\"" + hw + "\" is not a MAC address like 02:00:00:00:00:01: ignored");
            else if ((mac & 0x0100_0000_0000L) != 0) warnings.add("other_config:hwaddr=" + hw + ": cannot set MAC address to multicast address: ignored");
            else if (mac == 0) warnings.add("other_config:hwaddr=" + hw + ": cannot set MAC address to zero: ignored");
            else {
                if (dpid == 0) dpid = mac;
                warnings.add("other_config:hwaddr=" + hw + (d != null && dpid != mac ? " does not set the datapath id (datapath-id does)" : " sets the datapath id")
                        + "; xvio does not change the MAC of the bridge's internal port (ip link set BRIDGE address MAC does)");
            }
        }
        for (String k : oc.keySet()) {
            if (!KNOWN.contains(k)) warnings.add("other_config:" + k + "=" + oc.get(k) + " is not used by xvio: ignored");
        }
        return new BridgeOptions(versions, dpid, Map.copyOf(ids));
    }

    /** The wire versions of a protocols set (OVS's ofputil_versions_from_strings); empty set: all xvio speaks. */
    static int versions(List<com.fasterxml.jackson.databind.JsonNode> names, List<String> warnings) {
        if (names.isEmpty()) return OfVersion.BITMAP;
        int asked = 0;
        List<String> unknown = new ArrayList<>(), unspoken = new ArrayList<>();
        for (var n : names) {
            String s = n.asText();
            int v = switch (s.toLowerCase(Locale.ROOT)) {
                case "openflow10" -> OfVersion.OF10;
                case "openflow11" -> 2;
                case "openflow12" -> 3;
                case "openflow13" -> OfVersion.OF13;
                case "openflow14" -> OfVersion.OF14;
                case "openflow15" -> OfVersion.OF15;
                default -> 0;
            };
            if (v == 0) unknown.add(s);
            else if (!OfVersion.supported(v)) unspoken.add(s);
            else asked |= 1 << v;
        }
        if (!unknown.isEmpty()) warnings.add("protocols: unknown OpenFlow version(s) " + unknown + ": ignored");
        if (!unspoken.isEmpty()) warnings.add("protocols: xvio does not speak " + unspoken + " (it speaks OpenFlow10, 13, 14 and 15)");
        if (asked == 0 && unknown.size() == names.size()) return OfVersion.BITMAP;      // OVS: nothing valid, its default
        if (asked == 0) warnings.add("protocols: no version xvio speaks: the bridge accepts no OpenFlow connection");
        return asked;
    }

    /** OVS's dpid_from_string: exactly 16 hex digits; 0 when not (or all zero). */
    static long datapathId(String s) {
        if (s.length() != 16 || !s.matches("[0-9a-fA-F]{16}")) return 0;
        return Long.parseUnsignedLong(s, 16);
    }

    /** A MAC "xx:xx:xx:xx:xx:xx" as 48 bits, or -1. */
    static long mac(String s) {
        if (!s.matches("[0-9a-fA-F]{1,2}(:[0-9a-fA-F]{1,2}){5}")) return -1;
        long m = 0;
        for (String p : s.split(":")) m = m << 8 | Integer.parseInt(p, 16);
        return m;
    }
}
