package io.xvio.openflow;

import io.xvio.datapath.tunnel.TunnelTlvMap;

import java.util.ArrayList;
import java.util.List;

/**
 * Nicira's Geneve option table messages (OVS's {@code nicira-ext.h}), which ovn-controller sends first on every
 * connection to map OVN's option (class 0x102, type 0x80, 4 bytes) to a tun_metadata field:
 * NXT_TLV_TABLE_REQUEST (empty), NXT_TLV_TABLE_REPLY ({@code max_option_space} u32, {@code max_fields} u16, 10 bytes
 * reserved, then the mappings) and NXT_TLV_TABLE_MOD ({@code command} u16 add/delete/clear, 6 bytes pad, then the
 * mappings). A mapping ({@code nx_tlv_map}) is 8 bytes: class u16, type u8, len u8, index u16, 2 bytes pad.
 */
public final class TlvTable {
    private TlvTable() {}

    public static final int NXT_TLV_TABLE_MOD = 24, NXT_TLV_TABLE_REQUEST = 25, NXT_TLV_TABLE_REPLY = 26;
    /** What xvio matches: tun_metadata0..7, options of up to 8 bytes each (one flow key word per field). */
    public static final int MAX_FIELDS = io.xvio.packet.FlowKey.TUN_METADATA_WORDS, MAX_SPACE = 8 * MAX_FIELDS;
    /** nx_tlv_table_mod_command. */
    public static final int ADD = 0, DELETE = 1, CLEAR = 2;

    /** A decoded NXT_TLV_TABLE_MOD. */
    public record Mod(int command, List<TunnelTlvMap.Mapping> mappings) {}

    /**
     * Decodes an NXT_TLV_TABLE_MOD body (r after the Nicira subtype): a command other than add, delete or clear is
     * NXTTMFC_BAD_COMMAND, a body that is not whole mappings BAD_LEN, an option length that is not a multiple of 4 up
     * to 124 NXTTMFC_BAD_OPT_LEN, an index from 64 NXTTMFC_BAD_FIELD_IDX (OVS's checks, ofp-switch.c).
     */
    public static Mod decodeMod(Wire.Reader r) {
        int command = r.u16();
        r.skip(6);
        if (command > CLEAR) throw OfError.TLV_BAD_COMMAND.fail("NXT_TLV_TABLE_MOD command " + command + " (0 add, 1 delete, 2 clear)");
        return new Mod(command, decodeMappings(r, true));
    }

    /** The mappings that fill the rest of r (checked when check is true, as a mod's are). */
    static List<TunnelTlvMap.Mapping> decodeMappings(Wire.Reader r, boolean check) {
        if (r.remaining() % 8 != 0) throw OfError.BAD_LEN.fail("TLV table: " + r.remaining() + " bytes of mappings is not a multiple of 8");
        List<TunnelTlvMap.Mapping> l = new ArrayList<>();
        while (r.remaining() > 0) {
            int cls = r.u16(), type = r.u8(), len = r.u8(), index = r.u16();
            r.skip(2);
            if (check && (len % 4 != 0 || len > TunnelTlvMap.MAX_LEN))
                throw OfError.TLV_BAD_OPT_LEN.fail("option length " + len + " is not a multiple of 4 up to " + TunnelTlvMap.MAX_LEN);
            if (check && index >= TunnelTlvMap.MAX_FIELDS)
                throw OfError.TLV_BAD_FIELD_IDX.fail("tun_metadata" + index + ": fields are tun_metadata0..tun_metadata" + (TunnelTlvMap.MAX_FIELDS - 1));
            l.add(new TunnelTlvMap.Mapping(cls, type, len, index));
        }
        return l;
    }

    /** NXT_TLV_TABLE_REQUEST (for tests and clients). */
    public static byte[] encodeRequest(int version, int xid) {
        return new Wire.Writer(version, OfType.VENDOR, xid).u32(OfVersion.NX_VENDOR).u32(NXT_TLV_TABLE_REQUEST).finish();
    }

    /** NXT_TLV_TABLE_MOD (for tests and clients). */
    public static byte[] encodeMod(int version, int xid, Mod mod) {
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, xid).u32(OfVersion.NX_VENDOR).u32(NXT_TLV_TABLE_MOD);
        w.u16(mod.command()).zeros(6);
        putMappings(w, mod.mappings());
        return w.finish();
    }

    /** NXT_TLV_TABLE_REPLY with the switch's limits and its mappings. */
    public static byte[] encodeReply(int version, int xid, int maxSpace, int maxFields, List<TunnelTlvMap.Mapping> mappings) {
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, xid).u32(OfVersion.NX_VENDOR).u32(NXT_TLV_TABLE_REPLY);
        w.u32(maxSpace).u16(maxFields).zeros(10);
        putMappings(w, mappings);
        return w.finish();
    }

    /** A reply's body (r after the Nicira subtype): its mappings (for tests and clients). */
    public static List<TunnelTlvMap.Mapping> decodeReply(Wire.Reader r) {
        r.skip(16);
        return decodeMappings(r, false);
    }

    private static void putMappings(Wire.Writer w, List<TunnelTlvMap.Mapping> mappings) {
        for (TunnelTlvMap.Mapping m : mappings) w.u16(m.optClass()).u8(m.type()).u8(m.len()).u16(m.index()).zeros(2);
    }
}
