package io.xvio.control.ovsdb;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Datapath table's {@code capabilities} xvio writes for the {@code netdev} datapath: the keys ovs-vswitchd writes
 * (ofproto-dpif.c's get_datapath_cap), each with what xvio's datapath really does, which is not always what OVS's
 * userspace datapath says. ovn-controller reads some of them (ct_zero_snat, ct_flush, ...) to choose the flows it
 * installs, so a key is true only where xvio has the feature:
 * <ul>
 * <li>one VLAN header is parsed (no QinQ inner tag in the key), no MPLS;</li>
 * <li>recirculation, ct_state/zone/mark/label, the NAT ct_state bits, the original-direction tuple (v4 and v6),
 *     masked set actions, userspace tunnel push/pop, clone, ct_clear and check_pkt_len are there;</li>
 * <li>not there: ND extension fields, megaflow UFIDs, truncated output, sample, conntrack event masks, timeout
 *     policies, explicit drop actions, lb_output, zero-address SNAT (nat(src=0.0.0.0)), add_mpls, psample, and the
 *     OpenFlow conntrack flush (NXT_CT_FLUSH); dp_hash uses OVS's L4 hash only (max_hash_alg 0).</li>
 * </ul>
 */
public final class DatapathCapabilities {
    private DatapathCapabilities() {}

    public static Map<String, String> netdev() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("max_vlan_headers", "1");
        m.put("max_mpls_depth", "0");
        m.put("recirc", "true");
        m.put("ct_state", "true");
        m.put("ct_zone", "true");
        m.put("ct_mark", "true");
        m.put("ct_label", "true");
        m.put("ct_state_nat", "true");
        m.put("ct_orig_tuple", "true");
        m.put("ct_orig_tuple6", "true");
        m.put("nd_ext", "false");
        m.put("masked_set_action", "true");
        m.put("tnl_push_pop", "true");
        m.put("ufid", "false");
        m.put("trunc", "false");
        m.put("clone", "true");
        m.put("sample_nesting", "false");
        m.put("ct_eventmask", "false");
        m.put("ct_clear", "true");
        m.put("max_hash_alg", "0");
        m.put("check_pkt_len", "true");
        m.put("ct_timeout", "false");
        m.put("explicit_drop_action", "false");
        m.put("lb_output_action", "false");
        m.put("ct_zero_snat", "false");
        m.put("add_mpls", "false");
        m.put("psample", "false");
        m.put("ct_flush", "false");
        return m;
    }
}
