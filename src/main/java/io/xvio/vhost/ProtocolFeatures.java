package io.xvio.vhost;

/** VHOST_USER_PROTOCOL_F_* bits. */
public final class ProtocolFeatures {
    public static final int MQ = 0, LOG_SHMFD = 1, RARP = 2, REPLY_ACK = 3, MTU = 4, BACKEND_REQ = 5,
            CROSS_ENDIAN = 6, CONFIG = 9, INFLIGHT_SHMFD = 12, RESET_DEVICE = 13, CONFIGURE_MEM_SLOTS = 15, STATUS = 16;
    /** Device feature bit saying the front-end may ask for protocol features. */
    public static final int F_PROTOCOL_FEATURES = 30;
    /** Device feature bit: log dirty pages (migration). */
    public static final int F_LOG_ALL = 26;

    private ProtocolFeatures() {}

    public static String describe(long bits) {
        StringBuilder sb = new StringBuilder();
        for (int b = 0; b < 64; b++) {
            if ((bits & (1L << b)) == 0) continue;
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(switch (b) {
                case MQ -> "MQ"; case LOG_SHMFD -> "LOG_SHMFD"; case RARP -> "RARP"; case REPLY_ACK -> "REPLY_ACK";
                case MTU -> "MTU"; case BACKEND_REQ -> "BACKEND_REQ"; case CROSS_ENDIAN -> "CROSS_ENDIAN";
                case CONFIG -> "CONFIG"; case INFLIGHT_SHMFD -> "INFLIGHT_SHMFD"; case RESET_DEVICE -> "RESET_DEVICE";
                case CONFIGURE_MEM_SLOTS -> "CONFIGURE_MEM_SLOTS"; case STATUS -> "STATUS";
                default -> "bit" + b;
            });
        }
        return sb.toString();
    }
}
