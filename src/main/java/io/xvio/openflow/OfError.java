package io.xvio.openflow;

/**
 * The OpenFlow errors xvio sends, with the (type, code) each version puts on the wire, as OVS's ofp-errors.h
 * assigns them. {@code nx10}: OpenFlow 1.0 has no code of its own for it; OVS then sends a Nicira vendor error
 * (type NXET_VENDOR 0xb0c2, code 0, then vendor 0x2320 and this type and code), and so does xvio.
 */
public enum OfError {
    HELLO_INCOMPATIBLE(0, 0, false, 0, 0),
    BAD_VERSION(1, 0, false, 1, 0),
    BAD_TYPE(1, 1, false, 1, 1),
    BAD_STAT(1, 2, false, 1, 2),
    BAD_VENDOR(1, 3, false, 1, 3),
    BAD_SUBTYPE(1, 4, false, 1, 4),
    BAD_LEN(1, 6, false, 1, 6),
    BUFFER_UNKNOWN(1, 8, false, 1, 8),
    BAD_TABLE_ID(1, 9, true, 1, 9),
    BAD_PORT(1, 11, true, 1, 11),
    /** OF1.5+(1,17): a packet-out's match names a field that is no pipeline field (only OpenFlow 1.5 has one). */
    PIPELINE_FIELDS_ONLY(1, 17, true, 1, 17),
    IS_SLAVE(1, 5, false, 1, 10),
    ROLE_STALE(1, 513, true, 11, 0),
    BAD_ROLE(1, 513, true, 11, 2),
    BAD_ACTION_TYPE(2, 0, false, 2, 0),
    BAD_ACTION_LEN(2, 1, false, 2, 1),
    BAD_ACTION_VENDOR_TYPE(2, 3, false, 2, 3),
    BAD_OUT_PORT(2, 4, false, 2, 4),
    BAD_ACTION_ARGUMENT(2, 5, false, 2, 5),
    MATCH_INCONSISTENT(1, 522, true, 2, 10),
    BAD_SET_TYPE(1, 523, true, 2, 13),
    BAD_SET_LEN(1, 524, true, 2, 14),
    BAD_SET_ARGUMENT(1, 525, true, 2, 15),
    UNKNOWN_INST(2, 257, true, 3, 0),
    UNSUP_INST(2, 257, true, 3, 1),
    BAD_INST_TABLE_ID(2, 257, true, 3, 2),
    BAD_INST_LEN(1, 6, false, 3, 7),
    BAD_MATCH_TYPE(1, 6, false, 4, 0),
    BAD_MATCH_LEN(1, 6, false, 4, 1),
    BAD_WILDCARDS(1, 262, true, 4, 5),
    BAD_FIELD(0, 263, true, 4, 6),
    BAD_VALUE(1, 258, true, 4, 7),
    BAD_MASK(1, 259, true, 4, 8),
    BAD_PREREQ(1, 260, true, 4, 9),
    DUP_FIELD(1, 261, true, 4, 10),
    FLOW_MOD_UNKNOWN(3, 0, false, 5, 0),
    FLOW_MOD_BAD_TABLE_ID(1, 9, true, 5, 2),
    OVERLAP(3, 1, false, 5, 3),
    BAD_COMMAND(3, 4, false, 5, 6),
    BAD_FLAGS(3, 5, false, 5, 7),
    // group_mod (OFPET_GROUP_MOD_FAILED, OpenFlow 1.1+; 1.0 has no groups)
    BAD_OUT_GROUP(2, 9, true, 2, 9),
    GROUP_EXISTS(6, 0, true, 6, 0),
    INVALID_GROUP(6, 1, true, 6, 1),
    OUT_OF_BUCKETS(6, 4, true, 6, 4),
    WATCH_UNSUPPORTED(6, 6, true, 6, 6),
    GROUP_LOOP(6, 7, true, 6, 7),
    UNKNOWN_GROUP(6, 8, true, 6, 8),
    CHAINED_GROUP(6, 9, true, 6, 9),
    GROUP_BAD_TYPE(6, 10, true, 6, 10),
    GROUP_BAD_COMMAND(6, 11, true, 6, 11),
    BAD_BUCKET(6, 12, true, 6, 12),
    BAD_WATCH(6, 13, true, 6, 13),
    UNKNOWN_BUCKET(6, 15, true, 6, 15),
    BUCKET_EXISTS(6, 16, true, 6, 16),
    // properties (OFPET_BAD_PROPERTY, OpenFlow 1.4+)
    PROP_BAD_TYPE(14, 0, true, 14, 0),
    PROP_BAD_LEN(14, 1, true, 14, 1),
    PROP_BAD_VALUE(14, 2, true, 14, 2),
    PROP_BAD_EXPERIMENTER(14, 5, true, 14, 5),
    PROP_BAD_EXP_TYPE(14, 6, true, 14, 6),
    // meter_mod (OFPET_METER_MOD_FAILED, OpenFlow 1.3+)
    METER_EXISTS(12, 1, true, 12, 1),
    INVALID_METER(12, 2, true, 12, 2),
    UNKNOWN_METER(12, 3, true, 12, 3),
    METER_BAD_COMMAND(12, 4, true, 12, 4),
    METER_BAD_FLAGS(12, 5, true, 12, 5),
    METER_BAD_RATE(12, 6, true, 12, 6),
    METER_BAD_BURST(12, 7, true, 12, 7),
    METER_BAD_BAND(12, 8, true, 12, 8),
    METER_BAD_BAND_VALUE(12, 9, true, 12, 9),
    OUT_OF_METERS(12, 10, true, 12, 10),
    OUT_OF_BANDS(12, 11, true, 12, 11),
    // async config (OFPET_ASYNC_CONFIG_FAILED, OpenFlow 1.4+; OVS's own codes before)
    ASYNC_INVALID(15, 0, true, 15, 0),
    ASYNC_UNSUPPORTED(15, 1, true, 15, 1),
    // bundles (OFPET14_BUNDLE_FAILED 17 in OpenFlow 1.4+; ONF experimenter errors 2300+ in 1.3, see encode)
    BUNDLE_UNKNOWN(0), BUNDLE_EPERM(1), BUNDLE_BAD_ID(2), BUNDLE_EXIST(3), BUNDLE_CLOSED(4), OUT_OF_BUNDLES(5),
    BUNDLE_BAD_TYPE(6), BUNDLE_BAD_FLAGS(7), BUNDLE_MSG_BAD_LEN(8), BUNDLE_MSG_BAD_XID(9), BUNDLE_MSG_UNSUP(10),
    BUNDLE_MSG_CONFLICT(11), BUNDLE_MSG_TOO_MANY(12), BUNDLE_MSG_FAILED(13), BUNDLE_TIMEOUT(14), BUNDLE_IN_PROGRESS(15),
    /** OVS's OFPBFC_BAD_VERSION: a Nicira experimenter error (code 22) in 1.4/1.5; 1.3 cannot carry it. */
    BUNDLE_BAD_VERSION(-1),
    // flow monitors: NX1.0-1.1(1,code10), NX1.2-1.3 experimenter code, OF1.4+ (OFPET_FLOW_MONITOR_FAILED 16, code)
    MONITOR_EXISTS(517, 6, 16, 1),
    UNKNOWN_MONITOR(519, 8, 16, 3),
    MONITOR_BAD_FLAGS(518, 7, 16, 5),
    /** OFPMOFC_BAD_COMMAND: OF1.4+(16,4) (only 1.4+ monitor requests have a command). */
    MONITOR_BAD_COMMAND(-1, -1, 16, 4),
    /** OFPSCFC_BAD_FLAGS: OF1.1+(10,0); OpenFlow 1.0 cannot carry it (NXBRC_UNENCODABLE_ERROR, NX1.0(1,521)). */
    SWITCH_CONFIG_BAD_FLAGS(1, 521, true, 10, 0),
    /** NXBRC_NXM_INVALID: NX1.0-1.1(1,256), NX1.2+(2): an invalid NXM match (an add matching on the cookie). */
    NXM_INVALID(256, 2, -1, 2),
    /** NXBRC_MUST_BE_ZERO: NX1.0-1.1(1,515), NX1.2+(4). */
    MUST_BE_ZERO(515, 4, -1, 4),
    /** NXT_RESUME: NXR_NOT_SUPPORTED NX1.0-1.1(1,533), NX1.2+(34); NXR_STALE NX1.0-1.1(1,534), NX1.2+(35). */
    NXR_NOT_SUPPORTED(533, 34, -1, 34),
    NXR_STALE(534, 35, -1, 35),
    /** NXT_TLV_TABLE_MOD (NXTTMFC_*): NX1.0-1.1(1,527..537), NX1.2+(16..38). */
    TLV_BAD_COMMAND(527, 16, -1, 16),
    TLV_BAD_OPT_LEN(528, 17, -1, 17),
    TLV_BAD_FIELD_IDX(529, 18, -1, 18),
    TLV_TABLE_FULL(530, 19, -1, 19),
    TLV_ALREADY_MAPPED(531, 20, -1, 20),
    TLV_DUP_ENTRY(532, 21, -1, 21),
    TLV_INVALID_DEL(537, 38, -1, 38),
    /** NXFMFC_INVALID_TLV_FIELD: NX1.0-1.1(1,536), NX1.2+(37): a match or action on a tun_metadataN the switch's TLV map does not map. */
    INVALID_TLV_FIELD(536, 37, -1, 37);

    final int type10, code10, type, code;
    final boolean nx10;
    /** The Nicira experimenter code OVS sends in OpenFlow 1.2-1.3 (and 1.4+ when type is -1); -1: none. */
    final int nx12;
    /** OFPBFC_* code for a bundle error (NOT_BUNDLE: not one). */
    final int bfc;
    private static final int NOT_BUNDLE = Integer.MIN_VALUE, BFC_BAD_VERSION = -1;
    /** The ONF experimenter id (ONF_EXPERIMENTER_ID) of OpenFlow 1.3's bundle extension and its errors. */
    public static final int ONF_VENDOR = 0x4f4e4600;

    OfError(int type10, int code10, boolean nx10, int type, int code) {
        this.type10 = type10;
        this.code10 = code10;
        this.nx10 = nx10;
        this.type = type;
        this.code = code;
        this.bfc = NOT_BUNDLE;
        this.nx12 = -1;
    }

    /** A Nicira-numbered error: 1.0 wraps (1, code10) in a vendor error, 1.3 sends experimenter code nx12. */
    OfError(int code10, int nx12, int type14, int code14) {
        this.type10 = 1;
        this.code10 = code10;
        this.nx10 = true;
        this.type = type14;
        this.code = code14;
        this.bfc = NOT_BUNDLE;
        this.nx12 = nx12;
    }

    /** A bundle error (OFPBFC_*), as OVS's ofp-errors.h numbers it; OpenFlow 1.0 has no bundles (BAD_TYPE there). */
    OfError(int bfc) {
        this.type10 = 1;
        this.code10 = 1;
        this.nx10 = false;
        this.type = 17;
        this.code = bfc;
        this.bfc = bfc;
        this.nx12 = -1;
    }

    /** What a decoder throws: the error to send and a sentence for the log. */
    public static final class Failure extends RuntimeException {
        public final OfError error;

        public Failure(OfError error, String message) {
            super(message, null, false, false);
            this.error = error;
        }
    }

    public Failure fail(String message) { return new Failure(this, message); }

    /** An OFPT_ERROR for request (its first 64 bytes go along, as OVS sends them). */
    public byte[] encode(int version, int xid, byte[] request) {
        int n = Math.min(64, request == null ? 0 : request.length);
        Wire.Writer w = new Wire.Writer(version, OfType.ERROR, xid);
        if (bfc != NOT_BUNDLE && version != OfVersion.OF10) {
            // OVS: ONF1.3(2300+code) and OF1.4+(17,code); OFPBFC_BAD_VERSION is NX1.4-1.5(22), unencodable in 1.3
            // (NXBRC_UNENCODABLE_ERROR, NX1.2+(10))
            if (bfc == BFC_BAD_VERSION) w.u16(0xffff).u16(version == OfVersion.OF13 ? 10 : 22).u32(OfVersion.NX_VENDOR);
            else if (version == OfVersion.OF13) w.u16(0xffff).u16(2300 + bfc).u32(ONF_VENDOR);
            else w.u16(type).u16(code);
        } else if (nx12 >= 0 && version != OfVersion.OF10 && (version < OfVersion.OF14 || type < 0)) {
            w.u16(0xffff).u16(nx12).u32(OfVersion.NX_VENDOR);
        } else if (version == OfVersion.OF10 && nx10) {
            w.u16(0xb0c2).u16(0).u32(OfVersion.NX_VENDOR).u16(type10).u16(code10);
        } else if (version == OfVersion.OF10) {
            w.u16(type10).u16(code10);
        } else {
            w.u16(type).u16(code);
        }
        if (n > 0) w.bytes(request, 0, n);
        return w.finish();
    }
}
