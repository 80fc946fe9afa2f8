package io.xvio.port;

import io.xvio.packet.Ethernet;
import io.xvio.packet.PacketBatch;
import io.xvio.sys.Errno;
import io.xvio.sys.Netdev;
import io.xvio.sys.SysException;
import io.xvio.sys.TapDevice;
import io.xvio.util.Quiescence;

import java.util.LinkedHashMap;
import java.util.Map;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * A TAP interface xvio creates, brings up and owns: what the switch sends to this port the host stack receives
 * on the interface, and what the host sends out of it enters the switch. Closing the port deletes the interface.
 * If someone deletes it while xvio runs, the supervisor creates it again (within a second); if it is set down,
 * the port reports it and counts what it cannot deliver. The interface may be moved into another network
 * namespace ({@code ip link set NAME netns NS}): it keeps working, as the fd stays attached.
 */
public final class TapPort extends NetdevPort {
    private static final int DROP_QUEUE_FULL = 0, DROP_REJECTED = 1, DROP_RX_RUNT = 2;
    private static final int EAGAIN = Errno.EAGAIN, EIO = Errno.EIO, EINTR = Errno.EINTR, ENOBUFS = 105;

    private final String ifname;
    private final ReasonCounters drops = new ReasonCounters("tx_dropped(kernel queue full)", "tx_dropped(rejected by kernel)", "rx_dropped(runt)");
    private volatile TapDevice tap;
    /** Longest frame the interface takes (MTU + Ethernet header + one VLAN tag). */
    private volatile int maxFrame = 1518;
    /** A write failed with EIO: the interface is down. Cleared by the next write that works. */
    private volatile boolean writeSaysDown;
    /** The interface as last seen in xvio's network namespace; null if it is not there (moved elsewhere). */
    private volatile Netdev.Info info;
    private volatile int creations;

    /** The MTU set on the interface when xvio creates it (key mtu, OVS's mtu_request), 0: the kernel's default. */
    private final int mtu;

    public TapPort(String name, int ofport, String ifname, Quiescence quiescence) {
        this(name, ofport, ifname, 0, quiescence);
    }

    public TapPort(String name, int ofport, String ifname, int mtu, Quiescence quiescence) {
        super(name, ofport, quiescence);
        this.mtu = mtu;
        this.ifname = ifname == null ? name : ifname;
        if (!Netdev.validName(this.ifname)) throw new IllegalArgumentException("port " + name + ": not a valid interface name: \"" + this.ifname + "\"");
    }

    @Override public String type() { return "tap"; }

    public String interfaceName() { return ifname; }

    /** The tap's MTU as the kernel has it (set from key mtu at creation), 0 while unknown: what a tunnel over it may send. */
    @Override public int mtu() {
        Netdev.Info i = info;
        return i == null ? 0 : i.mtu();
    }

    // ------------------------------------------------------------------ hot path

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        TapDevice t = tap;
        if (t == null) return 0;
        int n = 0;
        long bytes = 0;
        while (n < PacketBatch.BURST) {
            int off = PacketBatch.frameStart(n);
            b.off[n] = off;
            int r = t.read(b.data, off, PacketBatch.MAX_FRAME);
            if (r < 0) {
                if (r != -EAGAIN && r != -EINTR) reportFault(-r);
                break;
            }
            if (r < Ethernet.HEADER) {
                drops.add(thread, DROP_RX_RUNT, 1);
                continue;
            }
            b.len[n++] = r;
            bytes += r;
        }
        b.count = n;
        if (n > 0) {
            counters.add(thread, RX_PACKETS, n);
            counters.add(thread, RX_BYTES, bytes);
        }
        return n;
    }

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        TapDevice t = tap;
        if (t == null) {
            counters.add(thread, TX_DROP_DOWN, n);
            return;
        }
        int limit = maxFrame;
        int sent = 0, down = 0, big = 0, full = 0, rejected = 0;
        long bytes = 0;
        for (int k = 0; k < n; k++) {
            int i = which[k];
            int len = b.len[i];
            if (len > limit) { big++; continue; }
            int r = t.write(thread, b.data, b.off[i], len);
            if (r >= 0) {
                sent++;
                bytes += len;
            } else if (r == -EIO) {                 // interface down: the rest would fail the same way
                down += n - k;
                if (!writeSaysDown) writeSaysDown = true;
                break;
            } else if (r == -EAGAIN || r == -ENOBUFS) {
                full++;
            } else if (r == -TapDevice.EBADFD) {    // deleted under us
                down += n - k;
                reportFault(TapDevice.EBADFD);
                break;
            } else {
                rejected++;
            }
        }
        if (sent > 0) {
            if (writeSaysDown) writeSaysDown = false;
            counters.add(thread, TX_PACKETS, sent);
            counters.add(thread, TX_BYTES, bytes);
        }
        if (down > 0) counters.add(thread, TX_DROP_DOWN, down);
        if (big > 0) counters.add(thread, TX_DROP_TOO_BIG, big);
        if (full > 0) drops.add(thread, DROP_QUEUE_FULL, full);
        if (rejected > 0) drops.add(thread, DROP_REJECTED, rejected);
    }

    // ------------------------------------------------------------------ supervisor

    @Override
    protected void check() {
        TapDevice t = tap;
        if (t != null) {
            int e = t.attachedErrno();
            if (e != 0) {
                teardown();
                note("tap " + ifname + " went away (" + (e == TapDevice.EBADFD ? "EBADFD" : Errno.name(e)) + ": " + Errno.describe(e) + "); creating it again");
                t = null;
            } else {
                fault = 0;
                refresh(t);
            }
        }
        if (t == null && !isClosed()) create();
    }

    private void create() {
        TapDevice t;
        try {
            t = TapDevice.create(ifname);
        } catch (SysException e) {
            markDown("cannot create tap " + ifname + ": " + e.getMessage() + hint(e));
            return;
        }
        if (mtu > 0) {
            try {
                Netdev.setMtu(ifname, mtu);
            } catch (SysException e) {
                t.close();
                markDown("created tap " + ifname + " but cannot set its mtu to " + mtu + ": " + e.getMessage());
                return;
            }
        }
        try {
            Netdev.setUp(ifname);
        } catch (SysException e) {
            t.close();
            markDown("created tap " + ifname + " but cannot bring it up: " + e.getMessage());
            return;
        }
        refresh(t);
        writeSaysDown = false;
        fault = 0;
        tap = t;
        creations++;
        Netdev.Info i = info;
        markUp("created tap " + ifname + " (ifindex " + t.ifindex() + (i == null ? "" : ", mtu " + i.mtu() + ", mac " + Netdev.formatMac(i.mac())) + ") and brought it up");
    }

    private void refresh(TapDevice t) {
        Netdev.Info i = null;
        try {
            i = Netdev.query(ifname);
        } catch (SysException e) {
            note("cannot query " + ifname + ": " + e.getMessage());
        }
        if (i != null && i.ifindex() != t.ifindex()) i = null;       // another interface took the name here: ours moved
        info = i;
        if (i != null) {
            maxFrame = Math.min(PacketBatch.MAX_FRAME, i.mtu() + Ethernet.HEADER + 4);
            if (i.up() && writeSaysDown) writeSaysDown = false;      // up again: writes will work
        }
    }

    private String hint(SysException e) {
        return switch (e.errno()) {
            case Errno.EBUSY, Errno.EEXIST, Errno.EINVAL -> " (an interface named " + ifname + " exists and is not a free TAP: check `ip link show " + ifname + "`; retrying every second)";
            case Errno.EPERM, Errno.EACCES -> " (creating a TAP needs CAP_NET_ADMIN; retrying every second)";
            case Errno.ENOENT, Errno.ENODEV -> " (no /dev/net/tun: is the tun module loaded? `modprobe tun`; retrying every second)";
            default -> " (retrying every second)";
        };
    }

    @Override
    protected void teardown() {
        TapDevice t = tap;
        if (t == null) return;
        tap = null;
        if (quiesce()) t.close();
        info = null;
    }

    // ------------------------------------------------------------------ reporting

    @Override
    public String status() {
        if (tap == null) {
            String why = downReason();
            return "down (" + (why == null ? "no tap" : why) + ")";
        }
        Netdev.Info i = info;
        if (i != null && !i.up()) return "down (link " + ifname + " is down: `ip link set " + ifname + " up`)";
        if (writeSaysDown) return "down (link " + ifname + " is down" + (i == null ? ", in another network namespace" : "") + ")";
        return "up";
    }

    @Override
    public Map<String, String> details() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("interface", ifname + " (tap, created by xvio)");
        TapDevice t = tap;
        Netdev.Info i = info;
        if (t != null) {
            m.put("ifindex", Integer.toString(t.ifindex()));
            if (i != null) {
                m.put("link", (i.up() ? "up" : "down") + (i.running() ? ", running" : ", no carrier"));
                m.put("mtu", Integer.toString(i.mtu()));
                m.put("mac", Netdev.formatMac(i.mac()));
            } else {
                m.put("namespace", "moved out of xvio's network namespace (the fd stays attached)");
            }
        }
        m.put("created", creations + " time(s)");
        String err = lastError();
        if (err != null) m.put("last_error", err);
        String ev = lastEvent();
        if (ev != null) m.put("last_event", ev);
        return m;
    }

    @Override
    public Map<String, Long> extraCounters() {
        return drops.snapshot();
    }
}
