package io.xvio.port;

import java.util.ArrayList;
import java.util.List;

/**
 * What watches a port's traffic: capture rings ({@link CaptureRing}) and mirrors ({@link Mirror}), per direction.
 * PMD threads read {@link #rx} and {@link #tx} once per burst (a volatile read and a null check: nothing else
 * when no one watches); the control plane changes them by building a new immutable {@link Tap} and publishing it.
 * A port that is a mirror's output is {@code reserved}: as OVS's Mirror output_port, it sends only mirrored frames
 * and what it receives is dropped.
 */
public final class PortTaps {
    /**
     * One direction's watchers; {@code reserved}: the port is a mirror output; {@code accessVlan}: the VLAN an access
     * port's frames are on for select_vlan (0: a trunk, whose frames are on their own tag's VLAN).
     */
    public record Tap(CaptureRing[] rings, Mirror[] mirrors, boolean reserved, int accessVlan) {}

    public volatile Tap rx, tx;
    private final List<CaptureRing> rxRings = new ArrayList<>(), txRings = new ArrayList<>();
    private final List<Mirror> rxMirrors = new ArrayList<>(), txMirrors = new ArrayList<>();
    private int reservedBy;
    private int accessVlan;

    /** The port is an access port of VLAN tag (0: a trunk), as mirrors' select_vlan sees its frames. */
    public synchronized void accessVlan(int tag) {
        accessVlan = tag;
        publish();
    }

    public synchronized void addRing(CaptureRing r, boolean onRx, boolean onTx) {
        if (onRx) rxRings.add(r);
        if (onTx) txRings.add(r);
        publish();
    }

    public synchronized void removeRing(CaptureRing r) {
        rxRings.remove(r);
        txRings.remove(r);
        publish();
    }

    /** Whether a capture ring is on this port now (either direction). */
    public synchronized int rings() { return (int) java.util.stream.Stream.concat(rxRings.stream(), txRings.stream()).distinct().count(); }

    /** Mirrors frames this port receives (select_src_port) or sends (select_dst_port) through m. */
    public synchronized void addMirror(Mirror m, boolean onRx, boolean onTx) {
        if (onRx) rxMirrors.add(m);
        if (onTx) txMirrors.add(m);
        publish();
    }

    public synchronized void removeMirror(Mirror m) {
        rxMirrors.remove(m);
        txMirrors.remove(m);
        publish();
    }

    /** Marks (true) or unmarks the port as a mirror output (counted: several mirrors may share one). */
    public synchronized void reserve(boolean on) {
        reservedBy += on ? 1 : -1;
        if (reservedBy < 0) reservedBy = 0;
        publish();
    }

    public synchronized boolean reserved() { return reservedBy > 0; }

    private void publish() {
        boolean r = reservedBy > 0;
        rx = rxRings.isEmpty() && rxMirrors.isEmpty() && !r ? null
                : new Tap(rxRings.toArray(CaptureRing[]::new), rxMirrors.toArray(Mirror[]::new), r, accessVlan);
        tx = txRings.isEmpty() && txMirrors.isEmpty() && !r ? null
                : new Tap(txRings.toArray(CaptureRing[]::new), txMirrors.toArray(Mirror[]::new), r, accessVlan);
    }
}
