package io.xvio.control.ovsdb;

/**
 * OVS's Open_vSwitch other_config:userspace-tso-enable: whether the vhost-user ports made from the database
 * (dpdkvhostuser, dpdkvhostuserclient) offer their guests checksum and TCP segmentation offloads. OVS defaults it
 * to false (its userspace TSO was experimental); xvio's vhost-user ports offer offloads by default (a virtio guest
 * expects them: YAML key {@code offloads}, default true), so xvio reads it so: unset or "true" (any case, as OVS
 * compares): offloads offered; "false": none, the port as YAML's {@code offloads: false}; any other value: none, as
 * OVS reads it (smap_get_bool with default false takes only "true"), with a warning. As in OVS, the value is read
 * once: a later change needs a restart of xvio (a guest negotiates its features once, when its driver starts).
 */
final class UserspaceTso {
    private UserspaceTso() {}

    /** Whether vhost-user ports offer offloads for this value of userspace-tso-enable (null: unset). */
    static boolean offloads(String value) {
        return value == null || value.equalsIgnoreCase("true");
    }

    /** The log line for the value xvio goes by (null: unset, nothing to say: xvio's default). */
    static String describe(String value) {
        if (value == null) return null;
        if (value.equalsIgnoreCase("true")) return "other_config:userspace-tso-enable=" + value + ": vhost-user ports offer checksum and TSO offloads (xvio's default)";
        if (value.equalsIgnoreCase("false")) return "other_config:userspace-tso-enable=" + value + ": vhost-user ports offer no offloads (show: port key offloads: false)";
        return "other_config:userspace-tso-enable=\"" + value + "\" is not true or false: read as false, as OVS does: vhost-user ports offer no offloads";
    }

    /** The log line for a value that differs from the one xvio started with. */
    static String changed(String started, String now) {
        return "other_config:userspace-tso-enable changed from " + (started == null ? "unset" : started) + " to " + (now == null ? "unset" : now)
                + ": needs a restart of xvio (as in OVS); vhost-user ports made until then " + (offloads(started) ? "offer" : "do not offer") + " offloads";
    }
}
