package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;

import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * What an OpenFlow connection may see and change of one bridge. The control layer implements it over the same
 * bridge state and flow operations as the CLI's flow commands, so flows from YAML, the CLI and OpenFlow share
 * one table set. Changes run inside {@link #change}, reads inside {@link #read}: the daemon's command lock.
 */
public interface OfSwitch {
    /** One port and its counters (as dump-ports shows them). */
    record PortInfo(int ofport, String name, long rxPackets, long rxBytes, long rxDropped, long txPackets, long txBytes,
                    long txDropped) {}

    String name();

    /** The bridge's ports, in ofport order. */
    List<PortInfo> ports();

    List<Flow> flows();

    /**
     * Adds flows: one with the same table, priority and match replaces the old one and, unless resetCounts, counts on
     * in its counters ({@link Flow#replacing}, OVS's add over an identical rule).
     */
    void addFlows(List<Flow> flows, boolean resetCounts);

    /** As {@link #addFlows(List, boolean)}, resetting the replaced flows' counters. */
    default void addFlows(List<Flow> flows) { addFlows(flows, true); }

    int deleteFlows(Predicate<Flow> selected);

    /** Gives the selected flows new actions (and cookie newCookie, unless {@link FlowMod#NO_COOKIE}); returns how many. */
    int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts, long newCookie);

    /**
     * Runs a packet-out: frame through actions as if received on OpenFlow port inPort (CONTROLLER 0xfffd for none),
     * with metadata's pipeline fields (OpenFlow 1.5: registers, metadata, tunnel fields; null for none),
     * transmitting on the bridge's ports. It may return before it ran: {@link #settle} waits for it. The default
     * refuses it.
     */
    default void packetOut(int inPort, io.xvio.datapath.Match metadata, byte[] frame, List<Action> actions) {
        throw OfError.BAD_TYPE.fail("packet_out is not supported by this switch");
    }

    /**
     * Resumes a paused translation (NXT_RESUME): frame, received on OpenFlow port inPort, with the packet-in metadata
     * the controller sent back (registers, metadata, pkt_mark) and the register stack, runs the frames' actions, each
     * as its flow would have gone on. It may return before it ran, as {@link #packetOut}. The default refuses it.
     */
    default void resume(int inPort, byte[] frame, io.xvio.datapath.Match metadata, long[] stack, List<io.xvio.datapath.Paused.Frame> frames) {
        throw OfError.NXR_NOT_SUPPORTED.fail("resuming a continuation is not supported by this switch");
    }

    /**
     * Waits until every packet-out and resume handed over before has run: a connection calls it before any other
     * message, so replies and changes come after the packet-outs sent before them (OVS's order).
     */
    default void settle() {}

    /** The datapath's packet-ins for the controllers, or null if this switch has none. */
    default io.xvio.datapath.PacketIns packetIns() { return null; }

    /**
     * Whether a table miss goes to the controllers of id 0 (reason no_match) instead of being dropped: OVS's miss
     * rule while some connection wants it (connmgr_wants_packet_in_on_miss). The default has no datapath to tell.
     */
    default void setPacketInOnMiss(boolean on) {}

    /** The bridge's fragment handling (OVS's frag_handling), which OFPT_GET_CONFIG reports. */
    default io.xvio.datapath.FragMode fragMode() { return io.xvio.datapath.FragMode.NORMAL; }

    /** Sets the bridge's fragment handling (OFPT_SET_CONFIG); false if this switch cannot (the default). */
    default boolean setFragMode(io.xvio.datapath.FragMode m) { return false; }

    /** Fail-open (fail_mode standalone with every controller lost): the bridge forwards by NORMAL until one is back. */
    default void setFailOpen(boolean on) {}

    /** Whether port ofport's link is up (a port status MODIFY goes out when it changes). */
    default boolean linkUp(int ofport) { return true; }

    /** The bridge's groups, by id (as dump-groups lists them). */
    default List<io.xvio.datapath.Group> groups() { return List.of(); }

    /**
     * Adds (modify=false) or replaces (modify=true) a group, as add-group/mod-group; the caller checked that the
     * id is new (or exists) and that every group it names exists without a loop. The default refuses it.
     */
    default void putGroup(io.xvio.datapath.Group g, boolean modify) {
        throw OfError.BAD_TYPE.fail("group_mod is not supported by this switch");
    }

    /** Deletes the groups with these ids (null: all) and the flows that name them; returns how many groups went. */
    default int deleteGroups(java.util.Set<Long> ids) {
        throw OfError.BAD_TYPE.fail("group_mod is not supported by this switch");
    }

    /** The bridge's meters, in id order (as dump-meters lists them). */
    default List<io.xvio.datapath.meter.LiveMeter> meters() { return List.of(); }

    /**
     * Adds (modify=false) or reconfigures (modify=true) a meter, as add-meter/mod-meter; the caller checked the id
     * and what the datapath can run. The default refuses it.
     */
    default void putMeter(io.xvio.datapath.meter.MeterConfig c, boolean modify) {
        throw OfError.BAD_TYPE.fail("meter_mod is not supported by this switch");
    }

    /** Deletes meter id (OFPM13_ALL: every meter) and the flows that name it, as del-meters; returns how many went. */
    default int deleteMeters(long id) {
        throw OfError.BAD_TYPE.fail("meter_mod is not supported by this switch");
    }

    /**
     * Makes flows and groups the bridge's whole flow and group tables in one publication, as a bundle commit does:
     * packets see either the tables before or these, never a mix. The caller checked them against the tables as they
     * are, inside {@link #change}. The default refuses it.
     */
    default void replaceTables(List<Flow> flows, java.util.Map<Long, io.xvio.datapath.Group> groups) {
        throw OfError.BAD_TYPE.fail("bundles are not supported by this switch");
    }

    /** The bridge's Geneve option map (NXT_TLV_TABLE_REQUEST); the default has none. */
    default List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> tlvMappings() { return List.of(); }

    /**
     * NXT_TLV_TABLE_MOD: adds (TlvTable.ADD), deletes (DELETE, by index) or clears (CLEAR) Geneve option mappings, all
     * or none; refused with OVS's NXTTMFC_* error. The default refuses it.
     */
    default void tlvTableMod(int command, List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> mappings) {
        throw OfError.BAD_SUBTYPE.fail("NXT_TLV_TABLE_MOD is not supported by this switch");
    }

    /** NXT_CT_FLUSH_ZONE: deletes the connections of conntrack zone. The default refuses it. */
    default void ctFlushZone(int zone) {
        throw OfError.BAD_SUBTYPE.fail("NXT_CT_FLUSH_ZONE is not supported by this switch");
    }

    <T> T change(Supplier<T> body);

    <T> T read(Supplier<T> body);
}
