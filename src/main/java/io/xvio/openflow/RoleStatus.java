package io.xvio.openflow;

/**
 * The role status message OVS sends a master controller that another one's role request demoted (connmgr.c's
 * ofconn_set_role): OFPT_ROLE_STATUS (30) in OpenFlow 1.4+, ONF's experimenter message ONFT_ROLE_STATUS (1911) in
 * 1.3, none in 1.0; xid 0; body ofp14_role_status: role, reason (OFPCRR_MASTER_REQUEST 0), the election id (all
 * ones while none was given).
 */
final class RoleStatus {
    private RoleStatus() {}

    static final int OFPT_ROLE_STATUS = 30, ONFT_ROLE_STATUS = 1911;
    static final int REASON_MASTER_REQUEST = 0, REASON_CONFIG = 1;

    /** The message for version, or null if the version has none. */
    static byte[] encode(int version, int role, int reason, long generationId) {
        if (version < OfVersion.OF13) return null;
        Wire.Writer w;
        if (version == OfVersion.OF13) {
            w = new Wire.Writer(version, OfType.VENDOR, 0);
            w.u32(OfError.ONF_VENDOR).u32(ONFT_ROLE_STATUS);
        } else {
            w = new Wire.Writer(version, OFPT_ROLE_STATUS, 0);
        }
        return w.u32(role).u8(reason).zeros(3).u64(generationId).finish();
    }
}
