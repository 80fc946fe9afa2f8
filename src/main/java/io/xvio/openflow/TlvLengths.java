package io.xvio.openflow;

import io.xvio.datapath.tunnel.TunnelTlvMap;
import io.xvio.packet.FlowKey;

import java.util.List;
import java.util.function.Supplier;

/**
 * The option length the switch's Geneve TLV map gives each tun_metadataN, for the NXM/OXM codec while a connection
 * handles messages (OVS's vl_mff_map): NXM_NX_TUN_METADATA0..63 are variable-length headers whose length is the
 * mapped option's, and a match or action on an unmapped one is NXFMFC_INVALID_TLV_FIELD. Unbound (a client, a
 * codec test, an asynchronous message) there is no map: any length up to xvio's 8 bytes is taken, as OVS's tools
 * decode with no table.
 */
final class TlvLengths {
    private TlvLengths() {}

    private static final ScopedValue<int[]> CURRENT = ScopedValue.newInstance();

    /** Length by field index (0: unmapped) from a switch's mappings. */
    static int[] of(List<TunnelTlvMap.Mapping> mappings) {
        int[] l = new int[FlowKey.TUN_METADATA_WORDS];
        for (TunnelTlvMap.Mapping m : mappings) if (m.index() >= 0 && m.index() < l.length) l[m.index()] = m.len();
        return l;
    }

    /** tun_metadataN's option length: -1 with no map bound, 0 when the map does not map it. */
    static int mapped(int n) {
        if (!CURRENT.isBound()) return -1;
        int[] l = CURRENT.get();
        return n >= 0 && n < l.length ? l[n] : 0;
    }

    static boolean bound() { return CURRENT.isBound(); }

    /** After a TLV table mod: the bound lengths (this thread's own array) become the switch's new ones. */
    static void update(int[] lengths) {
        if (CURRENT.isBound()) System.arraycopy(lengths, 0, CURRENT.get(), 0, lengths.length);
    }

    /** Runs body with lengths as the switch's map. */
    static <T> T with(int[] lengths, Supplier<T> body) {
        return ScopedValue.where(CURRENT, lengths).call(body::get);
    }
}
