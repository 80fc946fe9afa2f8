package io.xvio.openflow;

import io.xvio.datapath.FragMode;

/**
 * OFPT_SET_CONFIG's body, as OVS's ofputil_switch_config (lib/ofp-switch.c): the fragment handling
 * (flags &amp; OFPC_FRAG_MASK), which is the bridge's, OpenFlow 1.0-1.2's invalid_ttl_to_controller flag (-1 in 1.3+,
 * which has none) and the connection's miss_send_len. A flag the version does not define is OFPSCFC_BAD_FLAGS.
 */
record SwitchConfig(int frag, int invalidTtl, int missSendLen) {
    static final int FRAG_MASK = 3, INVALID_TTL = AsyncConfig.INVALID_TTL_TO_CONTROLLER;

    static SwitchConfig decode(Wire.Reader r, int version) {
        int flags = r.u16(), missSendLen = r.u16();
        boolean ttl = version < OfVersion.OF13;
        if ((flags & ~(FRAG_MASK | (ttl ? INVALID_TTL : 0))) != 0)
            throw OfError.SWITCH_CONFIG_BAD_FLAGS.fail("switch config flags 0x" + Integer.toHexString(flags));
        return new SwitchConfig(flags & FRAG_MASK, ttl ? (flags & INVALID_TTL) != 0 ? 1 : 0 : -1, missSendLen);
    }

    /** The fragment handling asked for, or null: reassembly (OFPC_FRAG_REASM), which OVS's datapath (and xvio) lacks. */
    FragMode fragMode() {
        return switch (frag) {
            case 0 -> FragMode.NORMAL;
            case 1 -> FragMode.DROP;
            case 3 -> FragMode.NX_MATCH;
            default -> null;
        };
    }

    /** OFPC_FRAG_* of m. */
    static int bits(FragMode m) {
        return switch (m) {
            case NORMAL -> 0;
            case DROP -> 1;
            case NX_MATCH -> 3;
        };
    }

    /** A GET_CONFIG_REPLY: the bridge's fragment handling, invalid_ttl_to_controller where the version has it. */
    static byte[] reply(int version, int xid, FragMode frag, boolean invalidTtl, int missSendLen) {
        int flags = bits(frag) | (invalidTtl && version < OfVersion.OF13 ? INVALID_TTL : 0);
        return new Wire.Writer(version, OfType.GET_CONFIG_REPLY, xid).u16(flags).u16(missSendLen).finish();
    }
}
