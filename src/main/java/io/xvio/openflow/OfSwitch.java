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

    /** Adds flows (one with the same table, priority and match replaces the old one). */
    void addFlows(List<Flow> flows);

    int deleteFlows(Predicate<Flow> selected);

    int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts);

    <T> T change(Supplier<T> body);

    <T> T read(Supplier<T> body);
}
