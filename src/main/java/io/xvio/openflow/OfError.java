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
    BAD_FLAGS(3, 5, false, 5, 7);

    final int type10, code10, type, code;
    final boolean nx10;

    OfError(int type10, int code10, boolean nx10, int type, int code) {
        this.type10 = type10;
        this.code10 = code10;
        this.nx10 = nx10;
        this.type = type;
        this.code = code;
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
        if (version == OfVersion.OF10 && nx10) {
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
