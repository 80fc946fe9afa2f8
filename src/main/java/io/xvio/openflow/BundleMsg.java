package io.xvio.openflow;

/**
 * The bundle messages' bodies (ofp14_bundle_ctrl_msg: bundle id, control type, flags) as OVS's ofp-bundle.c reads
 * and writes them: OFPT_BUNDLE_CONTROL (33) and OFPT_BUNDLE_ADD_MESSAGE (34) in OpenFlow 1.4 and 1.5, and ONF's
 * extension for 1.3, the same bodies in an experimenter message (experimenter 0x4f4e4600, ONFT_BUNDLE_CONTROL 2300,
 * ONFT_BUNDLE_ADD_MESSAGE 2301). A control message may carry properties (8-byte multiples, ignored, as OVS does);
 * an add message carries one whole OpenFlow message whose version and xid are the outer one's.
 */
final class BundleMsg {
    private BundleMsg() {}

    static final int ONFT_BUNDLE_CONTROL = 2300, ONFT_BUNDLE_ADD_MESSAGE = 2301;
    /** OFPBCT_*: control types; a request's reply is the next number. */
    static final int OPEN_REQUEST = 0, OPEN_REPLY = 1, CLOSE_REQUEST = 2, CLOSE_REPLY = 3, COMMIT_REQUEST = 4, COMMIT_REPLY = 5,
            DISCARD_REQUEST = 6, DISCARD_REPLY = 7;
    /** OFPBF_*. */
    static final int ATOMIC = 1, ORDERED = 2;

    /** A bundle control request or reply. */
    record Control(long id, int type, int flags) {}

    /**
     * An add message: its bundle id and flags, and where in the whole message (outer header included) the inner one
     * starts and how long it is.
     */
    record Add(long id, int flags, int innerAt, int innerLength) {}

    /** The control body after the header (and, for 1.3, the experimenter header). */
    static Control decodeControl(Wire.Reader r) {
        if (r.remaining() < 8 || (r.remaining() - 8) % 8 != 0)
            throw OfError.BAD_LEN.fail("bundle control body of " + r.remaining() + " bytes (8 and properties in 8-byte units)");
        long id = r.u32();
        int type = r.u16(), flags = r.u16();
        return new Control(id, type, flags);
    }

    /**
     * The add body after the header (r positioned there, on the whole message msg), checked as OVS's
     * ofputil_decode_bundle_add: an inner header that is there (OFPBFC_MSG_BAD_LEN), of the outer version
     * (OFPBFC_BAD_VERSION), with a length that fits (OFPBFC_MSG_BAD_LEN) and the outer xid (OFPBFC_MSG_BAD_XID).
     * What follows the inner message (padding, properties) is ignored.
     */
    static Add decodeAdd(Wire.Reader r, byte[] msg) {
        if (r.remaining() < 8) throw OfError.BAD_LEN.fail("bundle add body of " + r.remaining() + " bytes (at least 8)");
        long id = r.u32();
        r.u16();                                           // type: not used in an add
        int flags = r.u16();
        int at = r.position();
        if (r.remaining() < 8) throw OfError.BUNDLE_MSG_BAD_LEN.fail("bundle add of bundle " + id + " carries no message header");
        if (msg[at] != msg[0]) throw OfError.BUNDLE_BAD_VERSION.fail("inner message of version " + (msg[at] & 0xff) + " in a " + OfVersion.name(msg[0] & 0xff) + " bundle add");
        int len = ((msg[at + 2] & 0xff) << 8) | (msg[at + 3] & 0xff);
        if (len < 8 || len > r.remaining()) throw OfError.BUNDLE_MSG_BAD_LEN.fail("inner message length " + len + " with " + r.remaining() + " bytes there");
        for (int i = 4; i < 8; i++)
            if (msg[at + i] != msg[i]) throw OfError.BUNDLE_MSG_BAD_XID.fail("inner xid differs from the bundle add's");
        return new Add(id, flags, at, len);
    }

    /** A header for a bundle message of version: OFPT type14 in 1.4+, the ONF experimenter message onfType in 1.3. */
    static Wire.Writer header(int version, int type14, int onfType, int xid) {
        if (version == OfVersion.OF13) {
            Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, xid);
            return w.u32(OfError.ONF_VENDOR).u32(onfType);
        }
        return new Wire.Writer(version, type14, xid);
    }

    static byte[] control(int version, int xid, Control c) {
        Wire.Writer w = header(version, OfType.BUNDLE_CONTROL, ONFT_BUNDLE_CONTROL, xid);
        return w.u32(c.id()).u16(c.type()).u16(c.flags()).finish();
    }

    /** A bundle add carrying inner (whose xid should be xid). */
    static byte[] add(int version, int xid, long id, int flags, byte[] inner) {
        Wire.Writer w = header(version, OfType.BUNDLE_ADD_MESSAGE, ONFT_BUNDLE_ADD_MESSAGE, xid);
        return w.u32(id).u16(0).u16(flags).bytes(inner).finish();
    }

    static String typeName(int type) {
        return switch (type) {
            case OPEN_REQUEST -> "OPEN_REQUEST";
            case OPEN_REPLY -> "OPEN_REPLY";
            case CLOSE_REQUEST -> "CLOSE_REQUEST";
            case CLOSE_REPLY -> "CLOSE_REPLY";
            case COMMIT_REQUEST -> "COMMIT_REQUEST";
            case COMMIT_REPLY -> "COMMIT_REPLY";
            case DISCARD_REQUEST -> "DISCARD_REQUEST";
            case DISCARD_REPLY -> "DISCARD_REPLY";
            default -> "type " + type;
        };
    }
}
