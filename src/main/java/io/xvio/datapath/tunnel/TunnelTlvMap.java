package io.xvio.datapath.tunnel;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Geneve option table of a switch (OVS's tun_metadata mapping, NXT_TLV_TABLE_MOD): which option (class, type,
 * length) a flow sees as tun_metadataN, set with {@code add-tlv-map br0 "{class=0x0102,type=0x80,len=4}->tun_metadata0"},
 * shown with {@code dump-tlv-map}, removed with {@code del-tlv-map}. Up to 64 fields sharing 256 bytes of option
 * space; an option's data is 0..124 bytes, a multiple of 4; one (class, type) maps to one field. Immutable: a change
 * makes a new map, which the bridge publishes (and with which it rebuilds its decoders); {@link #known} is what
 * decapsulation asks about critical options.
 */
public final class TunnelTlvMap implements TunnelDecoder.KnownOptions {
    public static final int MAX_FIELDS = 64, MAX_SPACE = 256, MAX_LEN = 124;

    /** One mapping: option (class, type) with len bytes of data is tun_metadata{index}. */
    public record Mapping(int optClass, int type, int len, int index) {
        @Override
        public String toString() {
            return "{class=0x" + Integer.toHexString(optClass) + ",type=0x" + Integer.toHexString(type) + ",len=" + len + "}->tun_metadata" + index;
        }
    }

    /** A refused change, with OVS's error name (NXTTMFC_...) and what was wrong. */
    public static final class TlvMapException extends IllegalArgumentException {
        public final String code;
        public TlvMapException(String code, String message) {
            super(code + ": " + message);
            this.code = code;
        }
    }

    public static final TunnelTlvMap EMPTY = new TunnelTlvMap(new Mapping[MAX_FIELDS]);
    private static final Pattern ONE = Pattern.compile(
            "\\{class=(0[xX][0-9a-fA-F]+|[0-9]+),type=(0[xX][0-9a-fA-F]+|[0-9]+),len=(0[xX][0-9a-fA-F]+|[0-9]+)}->tun_metadata([0-9]+)");

    private final Mapping[] byIndex;

    private TunnelTlvMap(Mapping[] byIndex) { this.byIndex = byIndex; }

    /**
     * Parses OVS's syntax: mappings separated by commas, "{class=C,type=T,len=L}->tun_metadataN", numbers decimal or
     * 0x hex; the empty string is no mappings. Checks each value's range (class 16 bits, type 8 bits, len a multiple of 4
     * up to 124, index below 64).
     */
    public static List<Mapping> parse(String s) {
        List<Mapping> l = new ArrayList<>();
        String t = s.strip();
        int at = 0;
        while (at < t.length()) {
            if (t.charAt(at) == ',' && !l.isEmpty()) at++;
            Matcher m = ONE.matcher(t);
            m.region(at, t.length());
            if (!m.lookingAt())
                throw new TlvMapException("invalid tlv mapping", "\"" + TunnelConfig.excerpt(t.substring(at)) + "\" is not {class=C,type=T,len=L}->tun_metadataN");
            int c = number(m.group(1), 0xffff, "class"), ty = number(m.group(2), 0xff, "type"), len = number(m.group(3), 0xff, "len");
            int idx = number(m.group(4), Integer.MAX_VALUE, "tun_metadata index");
            if (len % 4 != 0 || len > MAX_LEN)
                throw new TlvMapException("NXTTMFC_BAD_OPT_LEN", "option length " + len + " is not a multiple of 4 up to " + MAX_LEN);
            if (idx >= MAX_FIELDS) throw new TlvMapException("NXTTMFC_BAD_FIELD_IDX", "tun_metadata" + idx + ": fields are tun_metadata0..tun_metadata" + (MAX_FIELDS - 1));
            l.add(new Mapping(c, ty, len, idx));
            at = m.end();
        }
        return l;
    }

    private static int number(String s, int max, String what) {
        long v;
        try {
            v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
        } catch (NumberFormatException e) {
            v = Long.MAX_VALUE;
        }
        if (v > max) throw new TlvMapException("invalid tlv mapping", what + " " + TunnelConfig.excerpt(s) + " is over " + max);
        return (int) v;
    }

    /** The map with these mappings added; all or none (NXTTMFC_ALREADY_MAPPED, _DUP_ENTRY, _TABLE_FULL). */
    public TunnelTlvMap add(List<Mapping> add) {
        Mapping[] n = byIndex.clone();
        for (Mapping m : add) {
            if (n[m.index()] != null)
                throw new TlvMapException("NXTTMFC_ALREADY_MAPPED", "tun_metadata" + m.index() + " is already mapped to " + n[m.index()]);
            for (Mapping o : n)
                if (o != null && o.optClass() == m.optClass() && o.type() == m.type())
                    throw new TlvMapException("NXTTMFC_DUP_ENTRY", "option class=0x" + Integer.toHexString(m.optClass()) + ",type=0x"
                            + Integer.toHexString(m.type()) + " is already mapped: " + o);
            n[m.index()] = m;
        }
        int space = 0;
        for (Mapping o : n) if (o != null) space += o.len();
        if (space > MAX_SPACE)
            throw new TlvMapException("NXTTMFC_TABLE_FULL", "the mappings need " + space + " bytes of option space, the switch has " + MAX_SPACE);
        return new TunnelTlvMap(n);
    }

    /**
     * The map without the fields of these mappings (OVS deletes by index; a field not mapped is ignored, as OVS does).
     * inUse tells whether a flow matches or sets tun_metadataN: such a field cannot go (NXTTMFC_INVALID_TLV_DEL).
     */
    public TunnelTlvMap delete(List<Mapping> del, IntPredicate inUse) {
        Mapping[] n = byIndex.clone();
        for (Mapping m : del) {
            if (n[m.index()] != null && inUse.test(m.index()))
                throw new TlvMapException("NXTTMFC_INVALID_TLV_DEL", "tun_metadata" + m.index() + " is used by a flow");
            n[m.index()] = null;
        }
        return new TunnelTlvMap(n);
    }

    /** The empty map, unless a flow uses a field (del-tlv-map without mappings). */
    public TunnelTlvMap clear(IntPredicate inUse) {
        for (Mapping m : byIndex) if (m != null && inUse.test(m.index()))
            throw new TlvMapException("NXTTMFC_INVALID_TLV_DEL", "tun_metadata" + m.index() + " is used by a flow");
        return EMPTY;
    }

    public Mapping get(int index) { return index >= 0 && index < MAX_FIELDS ? byIndex[index] : null; }

    public List<Mapping> mappings() {
        List<Mapping> l = new ArrayList<>();
        for (Mapping m : byIndex) if (m != null) l.add(m);
        return l;
    }

    /** True if (class, type) with dataLen bytes is mapped: decapsulation keeps packets with such a critical option. */
    @Override
    public boolean known(int optClass, int type, int dataLen) {
        for (Mapping m : byIndex) if (m != null && m.optClass() == optClass && m.type() == type && m.len() == dataLen) return true;
        return false;
    }

    /** Where tun_metadata{index}'s data is in wire-form options, or -1 (absent, or not mapped). No allocation. */
    public int find(byte[] opts, int optLen, int index) {
        Mapping m = get(index);
        return m == null ? -1 : GeneveOptions.find(opts, optLen, m.optClass(), m.type(), m.len());
    }

    /** {@code dump-tlv-map}: as ovs-ofctl prints NXT_TLV_TABLE_REPLY (without the message header line). */
    public String dump() {
        StringBuilder b = new StringBuilder();
        int space = 0;
        for (Mapping m : byIndex) if (m != null) space += m.len();
        b.append(" max option space=").append(MAX_SPACE).append(" max fields=").append(MAX_FIELDS).append('\n');
        b.append(" allocated option space=").append(space).append("\n\n");
        b.append(" mapping table:\n  class  type  length  match field\n ------  ----  ------  --------------");
        for (Mapping m : mappings())
            b.append(String.format("%n %6s  %4s  %6d  tun_metadata%d", hex(m.optClass()), hex(m.type()), m.len(), m.index()));
        return b.append('\n').toString();
    }

    /** C's %#x: 0 is "0", others "0x..". */
    private static String hex(int v) { return v == 0 ? "0" : "0x" + Integer.toHexString(v); }
}
