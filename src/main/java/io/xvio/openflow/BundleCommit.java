package io.xvio.openflow;

import io.xvio.datapath.Flow;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A bundle commit, all or nothing, as OVS's do_bundle_commit: under the command lock the bundle's flow_mods and
 * group_mods run in order against a {@link StagedSwitch} copy of the bridge's tables, each with the checks it would
 * meet alone; the first that fails ends the commit with the bridge untouched (its error refers to its own add
 * message, then OFPBFC_MSG_FAILED to the commit). If all pass, the bridge takes the new flow and group tables in one
 * publication ({@link OfSwitch#replaceTables}): one table swap and one revalidation, however many messages, so no
 * packet sees half a bundle. Packet-outs run after it, in order, through the new tables (OVS runs each through the
 * tables as of its place in the bundle; xvio's tables change once, so all see the end state). Flow-removed
 * bookkeeping is replayed only after a successful commit.
 */
final class BundleCommit {
    private BundleCommit() {}

    /** What the commit did: the failing add message and its error, or what to do after a success. */
    record Outcome(byte[] failedAdd, OfError.Failure failure, List<PacketOut> packetOuts, List<Runnable> events, int applied) {
        boolean ok() { return failure == null; }
    }

    /** decode: an entry's inner message to a FlowMod, GroupMod or PacketOut (else it throws an OfError.Failure). */
    static Outcome run(Bundles.Bundle b, OfSwitch sw, Function<Bundles.Entry, Object> decode, FlowMods.Events target) {
        List<PacketOut> pos = new ArrayList<>();
        List<Runnable> events = new ArrayList<>();
        FlowMods.Events deferred = new FlowMods.Events() {
            @Override public void flowAdded(Flow f, boolean sendFlowRemoved) { events.add(() -> target.flowAdded(f, sendFlowRemoved)); }
            @Override public void flowsRemoved(List<Flow> flows, int reason) {
                if (!flows.isEmpty()) events.add(() -> target.flowsRemoved(flows, reason));
            }
        };
        Bundles.Entry[] at = new Bundles.Entry[1];
        try {
            int n = sw.change(() -> {
                StagedSwitch st = new StagedSwitch(sw, b.entries.size());
                boolean tables = false;
                Adds adds = new Adds();
                for (Bundles.Entry e : b.entries) {
                    at[0] = e;
                    Object m = decode.apply(e);
                    if (m instanceof FlowMod fm && Adds.plain(fm)) {
                        adds.add(fm, e);
                        tables = true;
                        continue;
                    }
                    adds.applyTo(st, deferred, at);
                    switch (m) {
                        case FlowMod fm -> {
                            FlowMods.apply(fm, st, deferred, true);      // checked when it was added
                            tables = true;
                        }
                        case GroupMod gm -> {
                            List<Flow> gone = new ArrayList<>();
                            OfGroups.applyTo(gm, st, new TreeMap<>(st.groupMap()), gone);
                            deferred.flowsRemoved(gone, AsyncConfig.RR_GROUP_DELETE);
                            tables = true;
                        }
                        case PacketOut po -> pos.add(po);
                        default -> throw OfError.BUNDLE_MSG_UNSUP.fail("message type " + (e.add()[e.innerAt() + 1] & 0xff) + " in a bundle");
                    }
                }
                adds.applyTo(st, deferred, at);
                at[0] = null;
                if (tables) {
                    sw.replaceTables(st.flows(), st.groupMap());
                    // no thread hits the replaced flows any more: their last hits count for the modified ones
                    for (Flow[] r : st.replaced) r[1].keepLastHitOf(r[0]);
                }
                return b.entries.size();
            });
            return new Outcome(null, null, pos, events, n);
        } catch (OfError.Failure f) {
            return new Outcome(at[0] == null ? null : at[0].add(), f, List.of(), List.of(), 0);
        }
    }

    /**
     * A run of plain adds (no check_overlap, no buffer: what FlowMods.apply would add one by one) staged as one
     * StagedSwitch.addFlows: a 100,000-flow bundle spent a quarter of its commit applying them one at a time.
     */
    private static final class Adds {
        private final List<Flow> flows = new ArrayList<>();
        private final List<FlowMod> mods = new ArrayList<>();
        private final List<Bundles.Entry> entries = new ArrayList<>();

        /** An add applied with the others; a 1.3+ add with OFPFF_RESET_COUNTS or the all-ones cookie goes alone (FlowMods.apply). */
        static boolean plain(FlowMod fm) {
            return fm.command() == FlowMod.ADD && (fm.flags() & FlowMod.CHECK_OVERLAP) == 0 && fm.bufferId() == FlowMod.NO_BUFFER
                    && fm.newCookie() != FlowMod.NO_COOKIE
                    && fm.resetCounts() == (fm.version() == OfVersion.OF10);
        }

        void add(FlowMod fm, Bundles.Entry e) {
            flows.add(fm.toFlow());
            mods.add(fm);
            entries.add(e);
        }

        /** Stages the run, in order; a refused flow fails the commit with its own add message (at). */
        void applyTo(StagedSwitch st, FlowMods.Events ev, Bundles.Entry[] at) {
            if (flows.isEmpty()) return;
            try {
                st.addFlows(flows, mods.getFirst().resetCounts());     // checks every flow before it changes anything
            } catch (OfError.Failure f) {
                for (int i = 0; i < flows.size(); i++) {      // find the one: staged alone, it fails again
                    at[0] = entries.get(i);
                    st.addFlows(List.of(flows.get(i)), mods.get(i).resetCounts());
                }
                throw f;
            }
            for (int i = 0; i < flows.size(); i++) ev.flowAdded(flows.get(i), (mods.get(i).flags() & FlowMod.SEND_FLOW_REM) != 0);
            flows.clear();
            mods.clear();
            entries.clear();
        }
    }
}
