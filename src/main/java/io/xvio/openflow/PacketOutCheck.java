package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.Match;
import io.xvio.packet.FlowKey;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A packet-out's actions checked against its frame, as OVS's handle_packet_out checks them (ofpacts_check_consistency
 * on the flow extracted from the packet): set_field:...->nw_dst on an ARP frame, or a vlan_vid set on an untagged
 * one, is OFPBAC_MATCH_INCONSISTENT instead of being run. The frame's headers become a match of the fields that decide
 * prerequisites (Ethernet type, VLAN tag, IP protocol, fragment bits, ports or ICMP type and code), and the actions
 * meet {@link CliCheck}'s checks under it, so a shape seen before costs a map lookup.
 */
final class PacketOutCheck {
    private PacketOutCheck() {}

    /** Passes if po's actions fit its frame; else OFPBAC_MATCH_INCONSISTENT. */
    static void check(PacketOut po) {
        CliCheck.check(new FlowMod(FlowMod.ADD, 0, 0, 0, 0, frameMatch(po), po.actions(), 0, 0, -1, 0,
                FlowMod.NO_BUFFER, OfVersion.OF15));
    }

    /**
     * Passes if the groups and meters po's actions name (inside clone and ct too) exist on sw, as OVS checks a
     * packet-out's actions (ofproto_check_ofpacts): else OFPBAC_BAD_OUT_GROUP / OFPMMFC_INVALID_METER.
     */
    static void checkReferences(PacketOut po, OfSwitch sw) {
        List<Long> groups = io.xvio.datapath.ActionOutputs.groups(po.actions());
        if (!groups.isEmpty()) {
            java.util.Set<Long> have = new java.util.HashSet<>();
            for (io.xvio.datapath.Group g : sw.groups()) have.add(g.id);
            for (long g : groups)
                if (!have.contains(g)) throw OfError.BAD_OUT_GROUP.fail("packet-out names group " + g + ", which does not exist");
        }
        List<Long> meters = io.xvio.datapath.ActionOutputs.meters(po.actions());
        if (!meters.isEmpty()) {
            java.util.Set<Long> have = new java.util.HashSet<>();
            for (io.xvio.datapath.meter.LiveMeter m : sw.meters()) have.add(m.id());
            for (long m : meters)
                if (!have.contains(m)) throw OfError.INVALID_METER.fail("packet-out names meter " + m + ", which does not exist");
        }
    }

    /** The deciding fields of po's frame as an exact match. */
    static Match frameMatch(PacketOut po) {
        FlowKey k = new FlowKey();
        k.extract(MemorySegment.ofArray(po.data()), 0, po.data().length, po.inPort());
        return frameMatch(k.w);
    }

    /** The deciding fields of key k, exact, each only where its own prerequisite holds (so the match itself parses). */
    static Match frameMatch(long[] k) {
        Match m = new Match();
        exact(m, Field.DL_TYPE, k);
        exact(m, Field.VLAN_TCI, k);
        long type = Field.DL_TYPE.get(k[FlowKey.DL_TYPE]);
        boolean ip4 = type == 0x0800, ip6 = type == 0x86dd, arp = type == 0x0806 || type == 0x8035;
        if (!ip4 && !ip6 && !arp) return m;
        exact(m, Field.NW_PROTO, k);
        if (arp) return m;
        exact(m, Field.NW_FRAG, k);
        if ((k[FlowKey.NW_FRAG] & (FlowKey.FRAG_LATER | FlowKey.L3_INVALID)) != 0) return m;     // no L4 header
        long proto = Field.NW_PROTO.get(k[FlowKey.NW_PROTO]);
        if (proto == 6 || proto == 17 || proto == 132) {
            exact(m, Field.TP_SRC, k);
            exact(m, Field.TP_DST, k);
        } else if ((ip4 && proto == 1) || (ip6 && proto == 58)) {
            exact(m, Field.ICMP_TYPE, k);
            exact(m, Field.ICMP_CODE, k);
        }
        return m;
    }

    private static void exact(Match m, Field f, long[] k) { m.set(f, k[f.word], f.fullMask()); }
}
