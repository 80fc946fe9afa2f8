package io.xvio.port;

import io.xvio.packet.PacketBatch;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One port mirror (OVS's Mirror table row) as the PMD threads run it: frames its selected ports receive or send
 * (registered in their {@link PortTaps}) whose VLAN is selected go, as they are, to {@link #output}. A frame goes to
 * a mirror's output at most once per received burst ({@link #claim}: a frame mirrored as it came in is not mirrored
 * again as it leaves; as OVS's dup_mirrors, mirrors with the same output share this, so two of them send a frame once),
 * never to the port it is leaving by or came from. Counters are per thread (single writer).
 */
public final class Mirror {
    private static final ValueLayout.OfShort BE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final int ROW = 16;

    public final String name;
    public final Port output;
    /**
     * Selected VLAN ids; empty: every frame. A frame's VLAN is, as OVS sees it, its access port's tag, else its outer
     * 802.1Q/802.1ad tag (untagged frames on a trunk are VLAN 0).
     */
    private final int[] vlans;
    /** Per thread: [serial of the burst, frames of that burst already sent (bits by slot), chunk]; shared by one output's mirrors. */
    private final long[] claims;
    /** Per thread: frames mirrored. */
    private final long[] rows = new long[(PortCounters.MAX_THREADS + 2) * ROW];

    public Mirror(String name, Port output, int[] vlans) { this(name, output, vlans, null); }

    /** sameOutput: a mirror to the same output port (null: none), whose once-per-frame record this one shares. */
    public Mirror(String name, Port output, int[] vlans, Mirror sameOutput) {
        if (sameOutput != null && sameOutput.output != output) throw new IllegalArgumentException("mirror " + sameOutput.name + " has another output");
        this.name = name;
        this.output = output;
        this.vlans = vlans.clone();
        this.claims = sameOutput != null ? sameOutput.claims : new long[(PortCounters.MAX_THREADS + 2) * ROW];
    }

    public int[] vlans() { return vlans.clone(); }

    /** Whether frame i of b, met on a port of access VLAN accessVlan (0: a trunk), is on a selected VLAN. */
    public boolean selects(PacketBatch b, int i, int accessVlan) {
        if (vlans.length == 0) return true;
        int vid = accessVlan > 0 ? accessVlan : vlanOf(b.data, b.off[i], b.len[i]);
        for (int v : vlans) if (v == vid) return true;
        return false;
    }

    static int vlanOf(MemorySegment d, int off, int len) {
        if (len < 18) return 0;
        int et = d.get(BE16, off + 12) & 0xffff;
        return et == 0x8100 || et == 0x88a8 ? d.get(BE16, off + 14) & 0xfff : 0;
    }

    /**
     * Whether frame slot i of burst serial still has to be mirrored by this thread (and marks it sent). A burst's
     * copies (slots from {@link PacketBatch#BURST}) are frames of their own, and so are those of each chunk the burst
     * is sent in (the datapath reuses the copy slots after sending a chunk).
     */
    public boolean claim(int thread, long serial, int chunk, int i) {
        int r = (thread + 1) * ROW;
        long[] c = claims;
        if (c[r] != serial) {
            c[r] = serial;
            c[r + 1] = 0;
            c[r + 2] = chunk;
        } else if (c[r + 2] != chunk) {
            c[r + 2] = chunk;
            c[r + 1] &= (1L << PacketBatch.BURST) - 1;      // the received frames' marks stay
        }
        long bit = 1L << i;
        if ((c[r + 1] & bit) != 0) return false;
        c[r + 1] |= bit;
        return true;
    }

    public void count(int thread, int n) { rows[(thread + 1) * ROW] += n; }

    /** Adds n to the count (a mirror made again for new ports keeps its count); before it is published. */
    public void carry(long n) { rows[0] += n; }

    /** Frames sent to the output port (read racily). */
    public long mirrored() {
        long s = 0;
        for (int i = 0; i < rows.length; i += ROW) s += rows[i];
        return s;
    }
}
