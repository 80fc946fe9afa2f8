package io.xvio.datapath;

import io.xvio.packet.FlowKey;

/**
 * The fields an OpenFlow 1.5 packet-out may give its packet besides the frame (OVS's mf_is_pipeline_field): in_port,
 * metadata, the registers (reg, xreg, xxreg) and the tunnel fields tun_id, tun_src/dst, tun_ipv6_src/dst, tun_flags
 * and tun_metadata (with their present bits); not tun_tos, tun_ttl, tun_tp_src/dst, pkt_mark or conntrack state.
 */
public final class PipelineFields {
    private PipelineFields() {}

    /** Per key word, the bits of pipeline fields. */
    private static final long[] BITS = new long[FlowKey.WORDS];

    static {
        BITS[FlowKey.IN_PORT] = Field.IN_PORT.fullMask();
        BITS[FlowKey.METADATA] = -1L;
        for (int w = FlowKey.XREG0; w < FlowKey.XREG0 + 8; w++) BITS[w] = -1L;
        for (int w = FlowKey.TUN_ID; w <= FlowKey.TUN_IPV6_DST_LO; w++) BITS[w] = -1L;
        BITS[FlowKey.TUN_MISC] = Field.TUN_FLAGS.fullMask() | Field.TUN_METADATA_PRESENT.fullMask();
        for (int w = FlowKey.TUN_METADATA0; w < FlowKey.TUN_METADATA0 + FlowKey.TUN_METADATA_WORDS; w++) BITS[w] = -1L;
    }

    /** The bits of key word w that are pipeline fields. */
    public static long bits(int w) { return BITS[w]; }

    /** The first word where m matches a field that is no pipeline field, or -1 when it matches only those. */
    public static int foreignWord(Match m) {
        for (int w = 0; w < FlowKey.WORDS; w++) if ((m.mask(w) & ~BITS[w]) != 0) return w;
        return -1;
    }
}
