package io.xvio.control;

import io.xvio.pmd.PmdSet;

import java.util.ArrayDeque;
import java.util.logging.Logger;

/**
 * A bridge's packet-outs (and resumes) handed to the PMD threads and not yet known to have run. An OpenFlow
 * connection no longer waits for each one (that held a connection to one round trip through a PMD loop per
 * packet-out, ~6,000/s): it submits and reads on, at most {@link #LIMIT} in flight (then it waits for the oldest,
 * which stops reading the socket: TCP pushes back on the controller). Before any other message the connection
 * {@link #settle settles}: every packet-out it sent has run, so a barrier reply, a flow_mod or a stats reply comes
 * after them, the order OVS gives (it runs packet-outs in its handler thread, one by one).
 * Tasks run in submission order on one PMD thread ({@link PmdSet#submit}), so the newest one done means all are.
 */
final class PacketOutWindow {
    private static final Logger LOG = Logger.getLogger(PacketOutWindow.class.getName());
    static final int LIMIT = 256;
    private static final long WAIT_NANOS = 1_000_000_000L;

    private final String bridge;
    private final PmdSet pmds;
    private final ArrayDeque<Pending> inFlight = new ArrayDeque<>();

    private record Pending(PacketOutTask task, String what) {}

    PacketOutWindow(String bridge, PmdSet pmds) {
        this.bridge = bridge;
        this.pmds = pmds;
    }

    /** Hands t (a "packet_out" or "resume": what) to a PMD thread; waits only while LIMIT are in flight. */
    synchronized void submit(PacketOutTask t, String what) {
        reap();
        if (inFlight.size() >= LIMIT) finish(inFlight.removeFirst());
        if (pmds == null || !pmds.submit(t)) {
            LOG.warning("bridge " + bridge + ": " + what + " dropped: no PMD thread runs");
            return;
        }
        inFlight.addLast(new Pending(t, what));
    }

    /** Waits until everything submitted so far ran (or was given up on after a second each). */
    synchronized void settle() {
        while (!inFlight.isEmpty()) finish(inFlight.removeFirst());
    }

    /** How many are in flight (for tests). */
    synchronized int inFlight() {
        reap();
        return inFlight.size();
    }

    private void reap() {
        while (!inFlight.isEmpty() && inFlight.peekFirst().task.done()) finish(inFlight.removeFirst());
    }

    private void finish(Pending p) {
        String why = p.task.await(WAIT_NANOS);
        if (why != null) LOG.warning("bridge " + bridge + ": " + p.what + ": " + why);
    }
}
