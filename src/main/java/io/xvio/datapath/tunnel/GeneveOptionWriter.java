package io.xvio.datapath.tunnel;

import io.xvio.packet.FlowKey;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * Geneve options from a packet's tunnel metadata, what OVS's {@code tun_metadata_to_geneve_header} does when a
 * packet leaves a Geneve port: one TLV per mapped tun_metadataN the packet carries, in field order (N ascending),
 * class/type/length from the bridge's TLV map ({@code add-tlv-map}), reserved bits 0, the data as the field holds
 * it; the header's C bit is set when one of them is critical.
 *
 * <p>xvio keeps tun_metadataN in one 64-bit key word (options of up to 8 bytes): the option's data is the word's low
 * {@code len} bytes in network order, the inverse of what decapsulation loads. A field is present when its word is
 * not 0 (xvio has no present bit: a field set to 0 is not sent, see docs/TUNNELS.md). Immutable, built by the
 * control thread from a {@link TunnelTlvMap}; {@link #length} and {@link #write} run on PMD threads, no allocation.
 */
public final class GeneveOptionWriter {
    /** Fields xvio carries in key words: tun_metadata0..WORDS-1. */
    public static final int WORDS = 8;
    /** Sends nothing (a bridge without mappings, a VXLAN port). */
    public static final GeneveOptionWriter NONE = new GeneveOptionWriter(List.of());

    private final int[] field, head, len;

    private GeneveOptionWriter(List<TunnelTlvMap.Mapping> maps) {
        int n = maps.size();
        field = new int[n];
        head = new int[n];
        len = new int[n];
        for (int x = 0; x < n; x++) {
            TunnelTlvMap.Mapping m = maps.get(x);
            field[x] = m.index();
            head[x] = (m.optClass() << 16) | (m.type() << 8) | (m.len() / 4);
            len[x] = m.len();
        }
    }

    /**
     * The writer of a bridge's map: its mappings of tun_metadata0..7 with at most 8 bytes of data, in field order
     * (others cannot be set in xvio; the control plane refuses them).
     */
    public static GeneveOptionWriter of(TunnelTlvMap map) {
        List<TunnelTlvMap.Mapping> l = map.mappings().stream().filter(m -> m.index() < WORDS && m.len() <= 8).toList();
        return l.isEmpty() ? NONE : new GeneveOptionWriter(l);
    }

    /** True if no field is mapped: nothing is ever written. */
    public boolean isEmpty() { return field.length == 0; }

    /**
     * Bytes of options (0 if none) for the fields present in key words w (their bits in w[TUN_MISC]; values in
     * w[base..base+8)). At most 8 * 12 = 96.
     */
    public int length(long[] w, int base) {
        long present = w[FlowKey.TUN_MISC] >>> FlowKey.TUN_METADATA_PRESENT;
        int n = 0;
        for (int x = 0; x < field.length; x++) if ((present >>> field[x] & 1) != 0) n += 4 + len[x];
        return n;
    }

    /**
     * Writes the options of the fields present in w[base..] at s[at, at + {@link #length}); returns true if one of
     * them is critical (the type's high bit).
     */
    public boolean write(long[] w, int base, MemorySegment s, long at) {
        boolean critical = false;
        long present = w[FlowKey.TUN_MISC] >>> FlowKey.TUN_METADATA_PRESENT;
        for (int x = 0; x < field.length; x++) {
            if ((present >>> field[x] & 1) == 0) continue;
            long v = w[base + field[x]];
            int h = head[x], l = len[x];
            Be.put32(s, at, h);
            critical |= (h & (GeneveOptions.CRITICAL << 8)) != 0;
            at += 4;
            if (l == 8) Be.put64(s, at, v);
            else if (l == 4) Be.put32(s, at, v);
            at += l;
        }
        return critical;
    }

    /** What {@code show} says: "tun_metadata0->{class=0x102,type=0x80,len=4}", comma-separated; "" if none. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int x = 0; x < field.length; x++)
            b.append(x == 0 ? "" : ",").append("tun_metadata").append(field[x]).append("->{class=0x")
                    .append(Integer.toHexString(head[x] >>> 16)).append(",type=0x").append(Integer.toHexString((head[x] >>> 8) & 0xff))
                    .append(",len=").append(len[x]).append('}');
        return b.toString();
    }
}
