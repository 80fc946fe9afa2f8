package io.xvio.port;

import io.xvio.packet.Ethernet;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import io.xvio.packet.VnetHeader;
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
 *
 * <p>Offloads: the TAP is opened with virtio-net headers (IFF_VNET_HDR) and TUNSETOFFLOAD (CSUM, TSO4, TSO6,
 * TSO_ECN), so the host stack hands xvio partial checksums and TCP frames of up to 64 KB, and takes them. What it
 * hands over travels through the datapath with its offload state ({@link VnetHeader#read}, as a guest's frames
 * do: a guest that takes TSO gets the large frame whole, other receivers get segments, {@link SoftwareOffload});
 * GSO frames received whole count as {@code rx_gso_whole}. On transmit every frame gets a header (zero for a
 * complete frame), so GSO frames and partial checksums reach the host stack as they are. A kernel that refuses
 * TUNSETOFFLOAD leaves the headers without receive offloads, one that refuses IFF_VNET_HDR a plain TAP (xvio then
 * segments and checksums what it sends): both logged and shown in `show`. Port key {@code offloads: false} asks
 * for that plain TAP on purpose.
 */
public final class TapPort extends NetdevPort {
    private static final int DROP_QUEUE_FULL = 0, DROP_REJECTED = 1, DROP_RX_RUNT = 2, DROP_RX_BAD_CSUM = 3, DROP_RX_BAD_GSO = 4;
    private static final int HDR = TapDevice.VNET_HDR_SIZE;
    private static final int EAGAIN = Errno.EAGAIN, EIO = Errno.EIO, EINTR = Errno.EINTR, ENOBUFS = 105;

    private final String ifname;
    private final ReasonCounters drops = new ReasonCounters("tx_dropped(kernel queue full)", "tx_dropped(rejected by kernel)", "rx_dropped(runt)",
            VnetHeader.reasonLabel(VnetHeader.BAD_CSUM), VnetHeader.reasonLabel(VnetHeader.BAD_GSO));
    private volatile TapDevice tap;
    /** Longest frame the interface takes (MTU + Ethernet header + one VLAN tag). */
    private volatile int maxFrame = 1518;
    /** A write failed with EIO: the interface is down. Cleared by the next write that works. */
    private volatile boolean writeSaysDown;
    /** The interface as last seen in xvio's network namespace; null if it is not there (moved elsewhere). */
    private volatile Netdev.Info info;
    private volatile int creations;
    /** Why the TAP has fewer offloads than asked for, or null. */
    private volatile String noOffloads;

    /** Frames to enter the bridge as this port's: set while it is the LOCAL port of a bridge whose tunnel endpoint the kernel holds. */
    private volatile LocalInjection injection;
    /** That tunnel endpoint's decapsulation drops (shown with this port's counters), or null. */
    private volatile io.xvio.datapath.tunnel.TunnelDrops decapDrops;

    /** Port key offloads (default true). */
    private final boolean offloads;

    /** The MTU set on the interface when xvio creates it (key mtu, OVS's mtu_request; {@link #setMtu}), 0: the kernel's default. */
    private volatile int mtu;

    public TapPort(String name, int ofport, String ifname, Quiescence quiescence) {
        this(name, ofport, ifname, 0, quiescence);
    }

    public TapPort(String name, int ofport, String ifname, int mtu, Quiescence quiescence) {
        this(name, ofport, ifname, mtu, true, quiescence);
    }

    /**
     * offloads false (port key {@code offloads: false}): a plain TAP without virtio-net headers, so the kernel
     * segments and checksums what it hands xvio and xvio what it sends: no offload state crosses this port.
     */
    public TapPort(String name, int ofport, String ifname, int mtu, boolean offloads, Quiescence quiescence) {
        super(name, ofport, quiescence);
        this.mtu = mtu;
        this.offloads = offloads;
        this.ifname = ifname == null ? name : ifname;
        if (!Netdev.validName(this.ifname)) throw new IllegalArgumentException("port " + name + ": not a valid interface name: \"" + this.ifname + "\"");
    }

    @Override public String type() { return "tap"; }

    /** The interface's name in the kernel. */
    public String ifname() { return ifname; }

    /**
     * Makes (null: stops making) this port's receive also bring what i holds, before what the kernel sent, and its
     * counters show the endpoint's decapsulation drops: the LOCAL port of a bridge whose tunnel endpoint addresses are
     * the kernel's, on this interface.
     */
    public void inject(LocalInjection i, io.xvio.datapath.tunnel.TunnelDrops decap) {
        decapDrops = i == null ? null : decap;
        injection = i;
    }

    public String interfaceName() { return ifname; }

    /** The tap's MTU as the kernel has it (set from key mtu at creation), 0 while unknown: what a tunnel over it may send. */
    @Override public int mtu() {
        Netdev.Info i = info;
        return i == null ? 0 : i.mtu();
    }

    /**
     * A new MTU for the running port (OVSDB's mtu_request changed): set on the interface now (and when xvio makes it
     * again); the largest frame it sends follows at the supervisor's next look. A kernel refusal is an exception.
     */
    public void setMtu(int m) {
        Port.checkMtu(name(), m);
        if (tap != null) Netdev.setMtu(ifname, m);
        mtu = m;
    }

    // ------------------------------------------------------------------ hot path

    @Override
    public int receive(int q, PacketBatch b, int thread) {
        TapDevice t = tap;
        LocalInjection inj = injection;
        int n = inj == null ? 0 : inj.drain(b);              // the tunnel endpoint's own frames: rare
        long bytes = 0;
        for (int i = 0; i < n; i++) bytes += b.len[i];
        if (t == null) {
            b.count = n;
            if (n > 0) {
                counters.add(thread, RX_PACKETS, n);
                counters.add(thread, RX_BYTES, bytes);
            }
            return n;
        }
        int hdr = t.vnetHeaders() ? HDR : 0;
        int rx = t.offloads();
        boolean tso4 = (rx & TapDevice.TUN_F_TSO4) != 0, tso6 = (rx & TapDevice.TUN_F_TSO6) != 0, ecn = (rx & TapDevice.TUN_F_TSO_ECN) != 0;
        int gsoWhole = 0;
        boolean any = false;
        while (n < PacketBatch.BURST) {
            int off = PacketBatch.frameStart(n);
            b.off[n] = off;
            int r = t.read(b.data, off - hdr, PacketBatch.MAX_FRAME + hdr);
            if (r < 0) {
                if (r != -EAGAIN && r != -EINTR) reportFault(-r);
                break;
            }
            r -= hdr;
            if (r < Ethernet.HEADER) {
                drops.add(thread, DROP_RX_RUNT, 1);
                continue;
            }
            b.len[n] = r;
            // flags and gso_type both 0 (or only DATA_VALID): a complete frame, the common case
            if (hdr != 0 && (b.data.get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, off - hdr) & 0xff01) != 0) {
                int why = VnetHeader.read(b, n, off - hdr, tso4, tso6, ecn);
                if (why != VnetHeader.OK) {
                    drops.add(thread, why == VnetHeader.BAD_CSUM ? DROP_RX_BAD_CSUM : DROP_RX_BAD_GSO, 1);
                    continue;
                }
                if (b.gsoType[n] != Segmentation.GSO_NONE) gsoWhole++;
                any = true;
            } else if (any) {
                b.vflags[n] = 0;
                b.gsoType[n] = 0;
            }
            n++;
            bytes += r;
        }
        b.count = n;
        if (any) b.offloads = true;
        if (n > 0) {
            counters.add(thread, RX_PACKETS, n);
            counters.add(thread, RX_BYTES, bytes);
        }
        if (gsoWhole > 0) counters.add(thread, RX_GSO_WHOLE, gsoWhole);
        return n;
    }

    @Override
    public int txOffloads() {
        TapDevice t = tap;
        return t != null && t.vnetHeaders() ? AfPacketPort.VNET_OFFLOADS : 0;
    }

    @Override
    public void transmit(int thread, PacketBatch b, int[] which, int n) {
        TapDevice t = tap;
        if (t == null) {
            counters.add(thread, TX_DROP_DOWN, n);
            return;
        }
        int hdr = t.vnetHeaders() ? HDR : 0;
        boolean offloads = b.offloads;
        int limit = maxFrame;
        int sent = 0, down = 0, big = 0, full = 0, rejected = 0;
        long bytes = 0;
        for (int k = 0; k < n; k++) {
            int i = which[k];
            int len = b.len[i], off = b.off[i];
            if (len > limit && Segmentation.wireLength(b, i) > limit) { big++; continue; }   // a GSO frame: its segments
            if (hdr != 0) {
                if (offloads) {
                    VnetHeader.write(b, i, off - hdr);
                } else {
                    b.data.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, off - hdr, 0L);
                    b.data.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, off - hdr + 8, (short) 0);
                }
            }
            int r = t.write(thread, b.data, off - hdr, len + hdr);
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
            t = TapDevice.create(ifname, offloads);
            if (!offloads) noOffloads = "port key offloads: false: the kernel segments and checksums what it hands xvio, xvio what it sends";
        } catch (SysException e) {
            if (e.errno() != Errno.EINVAL || !offloads) {
                markDown("cannot create tap " + ifname + ": " + e.getMessage() + hint(e));
                return;
            }
            try {                                   // a kernel without IFF_VNET_HDR: a plain TAP, offloads in software
                t = TapDevice.create(ifname, false);
            } catch (SysException e2) {
                markDown("cannot create tap " + ifname + ": " + e2.getMessage() + hint(e2));
                return;
            }
            offloadNote("no offloads on tap " + ifname + " (" + e.getMessage() + "): xvio segments and checksums what it sends, the kernel what it receives");
        }
        if (t.vnetHeaders() && t.offloadError() != null)
            offloadNote("no receive offloads on tap " + ifname + " (" + t.offloadError() + "): the kernel segments and checksums what it hands xvio");
        else if (t.vnetHeaders()) noOffloads = null;
        if (mtu > 0) {
            try {
                Netdev.setMtu(ifname, mtu);
            } catch (SysException e) {
                if (!movedAway(t, e)) {
                    t.close();
                    markDown("created tap " + ifname + " but cannot set its mtu to " + mtu + ": " + e.getMessage());
                    return;
                }
            }
        }
        try {
            Netdev.setUp(ifname);
        } catch (SysException e) {
            if (!movedAway(t, e)) {
                t.close();
                markDown("created tap " + ifname + " but cannot bring it up: " + e.getMessage());
                return;
            }
        }
        refresh(t);
        writeSaysDown = false;
        fault = 0;
        tap = t;
        creations++;
        Netdev.Info i = info;
        markUp("created tap " + ifname + " (ifindex " + t.ifindex() + (i == null ? "" : ", mtu " + i.mtu() + ", mac " + Netdev.formatMac(i.mac())) + ") and brought it up");
    }

    /**
     * True when e says the name is gone from xvio's namespace while the fd still holds the device: someone moved the
     * fresh TAP into another namespace (the usual way to give it to a container) before xvio set it up by name. The
     * TAP is kept, for closing it would delete the device they just moved; setting it up is then theirs to do.
     */
    private boolean movedAway(TapDevice t, SysException e) {
        if (e.errno() != Errno.ENODEV || t.attachedErrno() != 0) return false;
        LOG.info("port " + name + ": tap " + ifname + " left xvio's network namespace before xvio configured it; kept as it is");
        return true;
    }

    /** Logs why the TAP has fewer offloads than asked for (once per distinct reason) and keeps it for `show`. */
    private void offloadNote(String why) {
        if (!why.equals(noOffloads)) LOG.warning("port " + name + ": " + why);
        noOffloads = why;
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
        if (injection != null) m.put("endpoint", "tunnel endpoint of this bridge, with the kernel's addresses on " + ifname + " (xvio tnl routes)");
        TapDevice t = tap;
        Netdev.Info i = info;
        if (t != null) {
            m.put("ifindex", Integer.toString(t.ifindex()));
            if (i != null) {
                m.put("link", (i.up() ? "up" : "down") + (i.running() ? ", running" : ", no carrier"));
                m.put("mtu", Integer.toString(i.mtu()));
                m.put("mac", Netdev.formatMac(i.mac()));
            }
            m.put("offloads", offloadsShown(t));
            if (i == null) {
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

    private String offloadsShown(TapDevice t) {
        if (!t.vnetHeaders()) return "off (" + noOffloads + ")";
        int rx = t.offloads();
        String r = rx == 0 ? "receive none (" + t.offloadError() + ")"
                : "receive" + ((rx & TapDevice.TUN_F_CSUM) != 0 ? " CSUM" : "") + ((rx & TapDevice.TUN_F_TSO4) != 0 ? " TSO4" : "")
                + ((rx & TapDevice.TUN_F_TSO6) != 0 ? " TSO6" : "") + ((rx & TapDevice.TUN_F_TSO_ECN) != 0 ? " ECN" : "");
        return "transmit " + AfPacketPort.describe(AfPacketPort.VNET_OFFLOADS) + ", " + r + " (virtio-net headers)";
    }

    @Override
    public Map<String, Long> extraCounters() {
        io.xvio.datapath.tunnel.TunnelDrops d = decapDrops;
        if (d == null) return drops.snapshot();
        Map<String, Long> m = new java.util.LinkedHashMap<>(drops.snapshot());
        m.putAll(d.nonZero());                         // the tunnel endpoint's decapsulation drops, as an EndpointPort shows them
        return m;
    }
}
