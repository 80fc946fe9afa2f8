package io.xvio.openflow;

/**
 * One connection's asynchronous-message configuration (OVS's ofputil_async_cfg, lib/ofp-connection.c): per message
 * kind (packet-in, port status, flow removed, role status, table status, request forward) a bitmap of the reasons
 * it wants, one for the master/equal role and one for the slave role. Defaults are OVS's for the version; set by
 * OpenFlow 1.3's OFPT_SET_ASYNC and Nicira's NXT_SET_ASYNC_CONFIG (three pairs of masks, bits beyond the version's
 * reasons ignored, as OVS does) and 1.4+'s OFPT_SET_ASYNC (properties, each changing one mask; a bit the version
 * does not define is OFPACFC_INVALID, an unknown property OFPACFC_UNSUPPORTED), read back by OFPT_GET_ASYNC_REQUEST.
 */
final class AsyncConfig {
    static final int PACKET_IN = 0, PORT_STATUS = 1, FLOW_REMOVED = 2, KINDS = 6;
    /** Packet-in reasons (OFPR_*): no_match, action, invalid_ttl, action_set, group, packet_out. */
    static final int R10_BITS = 0x7, R14_BITS = 0x3f;
    /** Port status reasons: add, delete, modify. */
    static final int PORT_ADD = 0, PORT_DELETE = 1, PORT_MODIFY = 2;
    /** Flow removed reasons: idle timeout, hard timeout, delete, group delete, meter delete, eviction. */
    static final int RR_IDLE = 0, RR_HARD = 1, RR_DELETE = 2, RR_GROUP_DELETE = 3, RR_METER_DELETE = 4;
    /** Bits each kind may carry in 1.0-1.3 and in 1.4+ (OVS's async_props). */
    private static final int[] ALLOWED10 = {R10_BITS, 0x7, 0x3f, 0x7, 0x18, 0x3};
    private static final int[] ALLOWED14 = {R14_BITS, 0x7, 0x3f, 0x7, 0x18, 0x3};

    /** [kind][0: master or equal, 1: slave]. */
    private final int[][] masks = new int[KINDS][2];

    /** OVS's ofputil_async_cfg_default. */
    static AsyncConfig defaults(int version) {
        AsyncConfig a = new AsyncConfig();
        a.masks[PACKET_IN][0] = R14_BITS & ~(1 << 2);
        a.masks[PORT_STATUS][0] = a.masks[PORT_STATUS][1] = 0x7;
        // OFPRR14_BITS, OFPRR13_BITS (no meter delete: 1.4's), OFPRR10_BITS
        a.masks[FLOW_REMOVED][0] = version >= OfVersion.OF14 ? 0x3f : version == OfVersion.OF13 ? 0xf : 0x7;
        return a;
    }

    /** OFPC_INVALID_TTL_TO_CONTROLLER, a switch config flag of OpenFlow 1.0-1.2. */
    static final int INVALID_TTL_TO_CONTROLLER = 4;

    /** The switch config's invalid-TTL flag: the master/equal role's packet-in bit for invalid_ttl (OVS's ofconn_set_invalid_ttl_to_controller). */
    synchronized void setInvalidTtl(boolean on) {
        if (on) masks[PACKET_IN][0] |= 1 << 2;
        else masks[PACKET_IN][0] &= ~(1 << 2);
    }

    /** Whether a connection in this role takes messages of kind for some reason. */
    synchronized boolean wantsAny(int kind, boolean slave) { return masks[kind][slave ? 1 : 0] != 0; }

    /** Whether a connection in this role (slave or not) takes a message of kind for reason. */
    synchronized boolean wants(int kind, int reason, boolean slave) {
        return (masks[kind][slave ? 1 : 0] & (1 << reason)) != 0;
    }

    /** The 24-byte legacy body (1.3's OFPT_SET_ASYNC, NXT_SET_ASYNC_CONFIG): every mask is replaced. */
    synchronized void setLegacy(Wire.Reader r, int version) {
        if (r.remaining() != 24) throw OfError.BAD_LEN.fail("async config of " + r.remaining() + " bytes (24 expected)");
        int[] allowed = version >= OfVersion.OF14 ? ALLOWED14 : ALLOWED10;
        int[][] next = new int[KINDS][2];
        for (int kind = 0; kind < 3; kind++)
            for (int role = 0; role < 2; role++) next[kind][role] = (int) r.u32() & allowed[kind];
        for (int kind = 0; kind < 3; kind++) masks[kind] = next[kind];
    }

    /** 1.4+ properties (type 2k: slave's mask of kind k, 2k+1: master's): each changes one mask; all or nothing. */
    synchronized void setProperties(Wire.Reader r, int version) {
        int[][] next = new int[KINDS][];
        for (int k = 0; k < KINDS; k++) next[k] = masks[k].clone();
        while (r.remaining() > 0) {
            GroupMod.Prop p = GroupMod.Prop.read(r);
            if (p.type() == GroupMod.PROP_EXPERIMENTER || p.type() == 0xfffe)
                throw OfError.PROP_BAD_EXP_TYPE.fail("async config experimenter property 0x" + Long.toHexString(p.experimenter()));
            if (p.type() >= 2 * KINDS) throw OfError.ASYNC_UNSUPPORTED.fail("async config property type " + p.type());
            int kind = p.type() / 2, role = p.type() % 2 == 1 ? 0 : 1;
            long mask = p.fixed(4);
            int allowed = (version >= OfVersion.OF14 ? ALLOWED14 : ALLOWED10)[kind];
            if ((mask & ~allowed) != 0) throw OfError.ASYNC_INVALID.fail("async mask 0x" + Long.toHexString(mask) + " for property " + p.type() + " (allowed 0x" + Integer.toHexString(allowed) + ")");
            next[kind][role] = (int) mask;
        }
        for (int k = 0; k < KINDS; k++) masks[k] = next[k];
    }

    /** OFPT_GET_ASYNC_REPLY: 1.3's three pairs of masks, or 1.4+'s twelve properties. */
    synchronized byte[] reply(int version, int xid) {
        Wire.Writer w = new Wire.Writer(version, OfType.GET_ASYNC_REPLY, xid);
        int[] allowed = version >= OfVersion.OF14 ? ALLOWED14 : ALLOWED10;
        if (version < OfVersion.OF14) {
            for (int kind = 0; kind < 3; kind++) w.u32(masks[kind][0] & allowed[kind]).u32(masks[kind][1] & allowed[kind]);
        } else {
            for (int kind = 0; kind < KINDS; kind++) {
                w.u16(2 * kind).u16(8).u32(masks[kind][1] & allowed[kind]);
                w.u16(2 * kind + 1).u16(8).u32(masks[kind][0] & allowed[kind]);
            }
        }
        return w.finish();
    }
}
