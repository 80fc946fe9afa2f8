package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.Errno;
import io.xvio.sys.FrameSender;
import io.xvio.sys.Netdev;
import io.xvio.sys.SysException;
import io.xvio.util.Quiescence;

import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * What TAP and AF_PACKET ports share: a port on a Linux network interface that can be missing, go down or
 * disappear while xvio runs. A small supervisor thread per port (never a PMD) opens the interface, checks it
 * once a second, tears it down when it breaks and opens it again when it is back; PMD threads only read the
 * published handle (a volatile field, null while the port is down) and {@linkplain #reportFault report} errors.
 * Before closing a handle the supervisor unpublishes it and waits for every PMD to pass a quiescent point, so no
 * PMD can still be using a closed fd or an unmapped ring.
 */
abstract class NetdevPort implements Port {
    protected static final Logger LOG = Logger.getLogger("xvio.port");
    /** How often the supervisor checks the interface, and retries while it is missing. */
    static final long CHECK_INTERVAL_NANOS = 1_000_000_000L;

    protected final String name;
    protected final int ofport;
    protected final Quiescence quiescence;
    protected final PortCounters counters = new PortCounters();
    /** Held by the supervisor and close() while they change the port's state; never by a PMD. */
    protected final Object lock = new Object();

    private volatile Thread supervisor;
    private volatile boolean closed;
    private volatile String downReason = "not started";
    private volatile String lastError;
    private volatile String lastEvent;
    private String lastLogged;
    /** An errno a PMD thread saw (ENXIO, ENETDOWN, EBADFD ...), 0 if none: the supervisor checks the interface now. */
    protected volatile int fault;

    NetdevPort(String name, int ofport, Quiescence quiescence) {
        this.name = name;
        this.ofport = ofport;
        this.quiescence = quiescence == null ? Quiescence.NONE : quiescence;
    }

    @Override public String name() { return name; }
    @Override public int ofport() { return ofport; }
    @Override public int rxQueues() { return 1; }
    @Override public PortCounters counters() { return counters; }

    /** Why the port is down, or null when it is attached. */
    protected final String downReason() { return downReason; }

    /** The last reason the port was down (kept after it recovers). */
    protected final String lastError() { return lastError; }

    /** The last thing that happened to a working handle (why it was torn down, a failed query). */
    protected final String lastEvent() { return lastEvent; }

    protected final boolean isClosed() { return closed; }

    /**
     * Makes the first attempt now (so a missing interface is reported at start, naming it), then leaves the
     * retries and checks to the supervisor thread. Never throws for a missing or broken interface.
     */
    @Override
    public void start() {
        synchronized (lock) {
            if (closed) return;
            safeCheck();
        }
        Thread t = Thread.ofPlatform().daemon().name("port-" + name).unstarted(this::supervise);
        supervisor = t;
        t.start();
    }

    private void supervise() {
        while (!closed) {
            LockSupport.parkNanos(this, CHECK_INTERVAL_NANOS);
            if (closed) break;
            synchronized (lock) {
                if (!closed) safeCheck();
            }
        }
    }

    private void safeCheck() {
        try {
            check();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "port " + name + ": supervisor check failed", e);
        }
    }

    /** Opens, checks or re-opens the interface; runs on the supervisor (or starting) thread under {@link #lock}. */
    protected abstract void check();

    /** Unpublishes and closes the interface handle, if any, under {@link #lock}; called by check() and close(). */
    protected abstract void teardown();

    /**
     * Called by a PMD thread when a send or receive failed in a way that may mean the interface is gone or
     * down: wakes the supervisor. No allocation, no lock.
     */
    protected final void reportFault(int errno) {
        if (fault != 0) return;
        fault = errno;
        Thread t = supervisor;
        if (t != null) LockSupport.unpark(t);
    }

    /** Waits until no PMD holds a handle unpublished before the call; false (and logged) if that failed. */
    protected final boolean quiesce() {
        try {
            quiescence.await();
            return true;
        } catch (RuntimeException e) {
            LOG.severe("port " + name + ": " + e.getMessage() + "; leaking the old handle rather than closing it under a PMD");
            return false;
        }
    }

    /**
     * Why a handle attached to device (with the given ifindex and MTU at attach time) must be torn down, or null:
     * the interface disappeared, was replaced, went down, a send failed (fault: an errno), or its MTU changed.
     */
    protected static String detachReason(String device, Netdev.Info i, int ifindex, int mtu, int fault) {
        if (i == null) return "interface " + device + " disappeared";
        if (i.ifindex() != ifindex) return "interface " + device + " was replaced (ifindex " + ifindex + " -> " + i.ifindex() + ")";
        if (!i.up()) return "link " + device + " went down";
        if (fault != 0) return "sending on " + device + " failed: " + Errno.name(fault) + " (" + Errno.describe(fault) + ")";
        if (i.mtu() != mtu) return "MTU of " + device + " changed from " + mtu + " to " + i.mtu();
        return null;
    }

    /**
     * What the supervisor watches of an attachment to a kernel interface: the interface's ifindex, MTU and MAC at
     * attach time, and its carrier (followed once a second; PMD threads send only while it is on).
     */
    abstract static class Attachment {
        final int ifindex, mtu;
        final long mac;
        volatile boolean carrier;

        Attachment(Netdev.Info i) {
            ifindex = i.ifindex();
            mtu = i.mtu();
            mac = i.mac();
            carrier = i.running();
        }
    }

    /**
     * The supervisor's tick for a port on kernel interface device attached as a (null: not attached): an interface
     * that went away, was replaced, went down or changed its MTU, or a send that failed, tears the attachment down;
     * else its carrier is followed and readCounters reads the kernel's counters of it (a failure is noted). A
     * detached port attaches (attach: given the interface's state, marks the port up, or down with why it failed)
     * once the interface is there and up.
     */
    protected final void supervise(String device, Attachment a, Runnable readCounters, java.util.function.Consumer<Netdev.Info> attach) {
        Netdev.Info i;
        try {
            i = Netdev.query(device);
        } catch (SysException e) {
            markDown("cannot query interface " + device + ": " + e.getMessage());
            return;
        }
        if (a != null) {
            String why = detachReason(device, i, a.ifindex, a.mtu, fault);
            if (why == null) {
                a.carrier = followCarrier(device, i, a.carrier);
                try {
                    readCounters.run();
                } catch (SysException e) {
                    note(e.getMessage());
                }
                return;
            }
            teardown();
            note(why + "; detached, re-attaching when it is back and up");
        }
        if (attachable(device, i)) attach.accept(i);
    }

    /** status() of a port on device attached as a (null: detached, with the reason it went down). */
    protected final String status(String device, Attachment a) {
        if (a == null) {
            String why = downReason();
            return "down (" + (why == null ? "detached" : why) + ")";
        }
        return a.carrier ? "up" : "down (no carrier on " + device + ")";
    }

    /** The attached interface's lines of details(): ifindex, link, mtu, mac, promiscuous. */
    protected static void putAttachment(java.util.Map<String, String> m, Attachment a) {
        m.put("ifindex", Integer.toString(a.ifindex));
        m.put("link", "up" + (a.carrier ? ", running" : ", no carrier"));
        m.put("mtu", Integer.toString(a.mtu));
        m.put("mac", Netdev.formatMac(a.mac));
        m.put("promiscuous", "yes");
    }

    /** The carrier of i, marking the port up or down when it differs from the carrier seen before (was). */
    protected final boolean followCarrier(String device, Netdev.Info i, boolean was) {
        boolean carrier = i.running();
        if (carrier != was) {
            if (carrier) markUp("carrier on " + device + " is back");
            else markDown("no carrier on " + device);
        }
        return carrier;
    }

    /** Whether a detached port may attach to device (i: its state, null if missing); if not, marks it down with why. */
    protected final boolean attachable(String device, Netdev.Info i) {
        if (isClosed()) return false;
        if (i == null) {
            markDown("interface " + device + " does not exist (check `ip link show " + device + "`; the port attaches when it appears)");
            return false;
        }
        if (!i.up()) {
            markDown("link " + device + " is down (`ip link set " + device + " up`; the port attaches when it is up)");
            return false;
        }
        return true;
    }

    /**
     * Queues packets which[0..n) of b on tx (frames over maxFrame are dropped as too big, frames that find the ring
     * full as drops' reason fullReason) and has the kernel send them; counts what went, or, if the interface turned out to
     * be gone or down, drops it as port down. The transmit path of every port on a kernel ring.
     */
    protected final void sendBurst(FrameSender tx, int maxFrame, int thread, PacketBatch b, int[] which, int n,
                                   ReasonCounters drops, int fullReason) {
        int sent = 0, big = 0, full = 0;
        long bytes = 0;
        for (int k = 0; k < n; k++) {
            int i = which[k];
            int len = b.len[i];
            if (len > maxFrame) big++;
            else if (tx.queue(b.data, b.off[i], len)) { sent++; bytes += len; }
            else full++;
        }
        burstQueued(tx, thread, sent, bytes, big, full, drops, fullReason);
    }

    /**
     * After sent frames (bytes) went onto tx's ring and big and full ones were dropped: has the kernel send them
     * (or holds them for the next bursts) and counts the burst.
     */
    protected final void burstQueued(FrameSender tx, int thread, int sent, long bytes, int big, int full, ReasonCounters drops, int fullReason) {
        if (tx.needsFlush() && !flushedOrHeld(tx, thread)) {
            counters.add(thread, PortCounters.Counter.TX_DROP_DOWN, sent);
            sent = 0;
        }
        if (sent > 0) {
            counters.add(thread, PortCounters.Counter.TX_PACKETS, sent);
            counters.add(thread, PortCounters.Counter.TX_BYTES, bytes);
        }
        if (big > 0) counters.add(thread, PortCounters.Counter.TX_DROP_TOO_BIG, big);
        if (full > 0) drops.add(thread, fullReason, full);
    }

    /**
     * As {@link #flushed}, but tx may keep the frames back to send them with the next bursts in one system call
     * ({@link FrameSender#flushOrHold}); thread's loop then sends them in time ({@link HeldTx}).
     */
    protected final boolean flushedOrHeld(FrameSender tx, int thread) {
        if (!usable(tx, tx.flushOrHold())) return false;
        if (tx.heldSince() != 0 && !HeldTx.add(thread, this)) return flushed(tx);   // no PMD loop to bound the wait
        return true;
    }

    /** Has the kernel send what tx holds; false (and the port reported down) if the interface is gone or down. */
    protected final boolean flushed(FrameSender tx) { return usable(tx, tx.flush()); }

    /** Whether tx is still usable after a flush that returned rc; if not, the fault is reported. */
    private boolean usable(FrameSender tx, int rc) {
        if (rc < 0 && !tx.busy(-rc)) {
            reportFault(-rc);                       // ENXIO (gone), ENETDOWN (down): the supervisor re-opens
            return false;
        }
        return true;
    }

    /** Marks the port down with reason; logs it once (WARNING) until the reason changes. */
    protected final void markDown(String reason) {
        downReason = reason;
        lastError = reason;
        if (!reason.equals(lastLogged)) {
            lastLogged = reason;
            LOG.warning("port " + name + ": down: " + reason);
        }
    }

    /** Marks the port up, logging what it is attached to. */
    protected final void markUp(String message) {
        downReason = null;
        lastLogged = null;
        LOG.info("port " + name + ": " + message);
    }

    /** Logs and remembers an event that is not (yet) a down state, e.g. why a working handle was torn down. */
    protected final void note(String event) {
        lastEvent = event;
        LOG.warning("port " + name + ": " + event);
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
        }
        Thread t = supervisor;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (lock) {
            teardown();
            downReason = "closed";
        }
    }
}
