package io.xvio.datapath;

import java.util.BitSet;

/**
 * A port's VLAN mode for NORMAL: an access port carries one VLAN untagged ({@code tag}); a trunk carries the
 * VLANs in {@code trunks} tagged (null = all VLANs; VLAN 0 = untagged frames).
 */
public record PortVlan(int tag, BitSet trunks) {
    public static final PortVlan TRUNK_ALL = new PortVlan(0, null);

    public boolean access() { return tag > 0; }

    /** Whether the port carries vlan. */
    public boolean carries(int vlan) {
        if (tag > 0) return vlan == tag;
        return trunks == null || trunks.get(vlan);
    }
}
