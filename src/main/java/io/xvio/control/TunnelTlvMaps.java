package io.xvio.control;

import io.xvio.datapath.tunnel.TunnelDecoder;
import io.xvio.datapath.tunnel.TunnelTlvMap;
import io.xvio.packet.FlowKey;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * Each bridge's Geneve option map, as OVS keeps one per switch (ovs-ofctl add-tlv-map / del-tlv-map /
 * dump-tlv-map). xvio matches tun_metadata0..7 with options of up to 8 bytes (one key word each); a field a flow of
 * the bridge matches or sets cannot be deleted. Used under the {@link Tunnels} lock.
 */
final class TunnelTlvMaps {
    private static final int FIELDS = FlowKey.TUN_METADATA_WORDS;
    private final Map<String, TunnelTlvMap> maps = new LinkedHashMap<>();

    TunnelTlvMap map(String bridge) { return maps.getOrDefault(bridge, TunnelTlvMap.EMPTY); }

    /** Options some bridge maps: decapsulation keeps a packet with such a critical option (RFC 8926 3.5). */
    TunnelDecoder.KnownOptions known() {
        TunnelTlvMap[] all = maps.values().toArray(TunnelTlvMap[]::new);
        return (c, t, l) -> {
            for (TunnelTlvMap m : all) if (m.known(c, t, l)) return true;
            return false;
        };
    }

    /** True if a flow's actions write tun_metadataN (set_field, load, move; also in clone/ct exec): OVS's in-use rule. */
    private static boolean sets(io.xvio.datapath.Flow f, int n) {
        return java.util.regex.Pattern.compile("->tun_metadata" + n + "(?![0-9])").matcher(io.xvio.datapath.FlowFormat.actions(f.actions)).find();
    }

    /** Whether a flow of br matches or sets tun_metadataN (such a field cannot be unmapped). */
    private static IntPredicate inUse(Bridge br) {
        return n -> n < FIELDS && br.flows().stream().anyMatch(f -> f.match.mask(FlowKey.TUN_METADATA0 + n) != 0
                || (f.match.mask(FlowKey.TUN_MISC) & (1L << (FlowKey.TUN_METADATA_PRESENT + n))) != 0 || sets(f, n));
    }

    /**
     * NXT_TLV_TABLE_MOD on br: command 0 adds the mappings, 1 deletes them (by index), 2 clears the map; all or none.
     * Refused with a TlvMapException carrying OVS's code (NXTTMFC_...): also a field or option length xvio cannot
     * match (tun_metadata8 and up: NXTTMFC_BAD_FIELD_IDX; options over 8 bytes: NXTTMFC_BAD_OPT_LEN).
     */
    void mod(Bridge br, int command, List<TunnelTlvMap.Mapping> mappings) {
        TunnelTlvMap map = map(br.name);
        switch (command) {
            case 0 -> {
                for (TunnelTlvMap.Mapping m : mappings) {
                    if (m.index() >= FIELDS)
                        throw new TunnelTlvMap.TlvMapException("NXTTMFC_BAD_FIELD_IDX", "tun_metadata" + m.index() + ": xvio matches tun_metadata0-" + (FIELDS - 1));
                    if (m.len() > 8)
                        throw new TunnelTlvMap.TlvMapException("NXTTMFC_BAD_OPT_LEN", m.len() + "-byte option: xvio matches options of up to 8 bytes");
                }
                map = map.add(mappings);
            }
            case 1 -> map = map.delete(mappings, inUse(br));
            case 2 -> map = map.clear(inUse(br));
            default -> throw new TunnelTlvMap.TlvMapException("NXTTMFC_BAD_COMMAND", "command " + command);
        }
        maps.put(br.name, map);
    }

    /** Runs add-tlv-map BR SPEC..., del-tlv-map BR [SPEC...] or dump-tlv-map BR; returns its output. */
    String command(String cmd, Bridge br, List<String> args) {
        TunnelTlvMap map = map(br.name);
        IntPredicate inUse = inUse(br);
        try {
            switch (cmd) {
                case "dump-tlv-map" -> { return map.dump(); }
                case "add-tlv-map" -> {
                    if (args.size() < 3)
                        throw new ControlException("add-tlv-map needs a bridge and mappings, e.g. \"{class=0x0102,type=0x80,len=4}->tun_metadata0\"");
                    List<TunnelTlvMap.Mapping> add = TunnelTlvMap.parse(String.join(",", args.subList(2, args.size())));
                    for (TunnelTlvMap.Mapping m : add)
                        if (m.index() >= FIELDS || m.len() > 8)
                            throw new ControlException("tun_metadata" + m.index() + " with " + m.len() + "-byte options: xvio matches tun_metadata0-"
                                    + (FIELDS - 1) + " with options of up to 8 bytes");
                    map = map.add(add);
                }
                case "del-tlv-map" -> map = args.size() < 3 ? map.clear(inUse)
                        : map.delete(TunnelTlvMap.parse(String.join(",", args.subList(2, args.size()))), inUse);
                default -> throw new ControlException("unknown command " + cmd);
            }
        } catch (TunnelTlvMap.TlvMapException e) {
            throw new ControlException(e.code + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage());
        }
        maps.put(br.name, map);
        return "";
    }
}
