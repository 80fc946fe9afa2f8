package io.xvio.openflow;

/** Message types (ofp_header.type); where 1.0 and 1.1+ differ, both. */
public final class OfType {
    private OfType() {}

    public static final int HELLO = 0, ERROR = 1, ECHO_REQUEST = 2, ECHO_REPLY = 3, VENDOR = 4, FEATURES_REQUEST = 5,
            FEATURES_REPLY = 6, GET_CONFIG_REQUEST = 7, GET_CONFIG_REPLY = 8, SET_CONFIG = 9, PACKET_IN = 10,
            FLOW_REMOVED = 11, PORT_STATUS = 12, PACKET_OUT = 13, FLOW_MOD = 14;
    /** OpenFlow 1.0 numbers. */
    public static final int OF10_PORT_MOD = 15, OF10_STATS_REQUEST = 16, OF10_STATS_REPLY = 17, OF10_BARRIER_REQUEST = 18,
            OF10_BARRIER_REPLY = 19;
    /** OpenFlow 1.3+ numbers. */
    public static final int GROUP_MOD = 15, PORT_MOD = 16, TABLE_MOD = 17, MULTIPART_REQUEST = 18, MULTIPART_REPLY = 19,
            BARRIER_REQUEST = 20, BARRIER_REPLY = 21, ROLE_REQUEST = 24, ROLE_REPLY = 25, GET_ASYNC_REQUEST = 26,
            GET_ASYNC_REPLY = 27, SET_ASYNC = 28, METER_MOD = 29, BUNDLE_CONTROL = 33, BUNDLE_ADD_MESSAGE = 34;

    /** Multipart (stats) types, same numbers in 1.0 for the first five. */
    public static final int MP_DESC = 0, MP_FLOW = 1, MP_AGGREGATE = 2, MP_TABLE = 3, MP_PORT_STATS = 4, MP_TABLE_FEATURES = 12, MP_PORT_DESC = 13,
            MP_FLOW_STATS_15 = 17, MP_VENDOR = 0xffff;
    /** Group and meter multiparts (OpenFlow 1.1+ / 1.3+). */
    public static final int MP_GROUP = 6, MP_GROUP_DESC = 7, MP_GROUP_FEATURES = 8, MP_METER = 9, MP_METER_CONFIG = 10,
            MP_METER_FEATURES = 11;

    /** Nicira message subtypes (OFPT_VENDOR / OFPT_EXPERIMENTER with vendor 0x2320). */
    public static final int NXT_SET_FLOW_FORMAT = 12, NXT_FLOW_MOD = 13, NXT_FLOW_MOD_TABLE_ID = 15,
            NXT_SET_PACKET_IN_FORMAT = 16, NXT_SET_CONTROLLER_ID = 20, NXT_ROLE_REQUEST = 10, NXT_ROLE_REPLY = 11,
            NXT_SET_ASYNC_CONFIG = 19, NXT_SET_ASYNC_CONFIG2 = 27;
    /** NXT_CT_FLUSH_ZONE: flush one conntrack zone (ovn-controller, for a zone it gives a new port). */
    public static final int NXT_CT_FLUSH_ZONE = 29;
    /** Nicira stats subtypes. */
    public static final int NXST_FLOW = 0, NXST_AGGREGATE = 1;
}
