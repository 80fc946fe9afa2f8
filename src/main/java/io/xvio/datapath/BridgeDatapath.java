package io.xvio.datapath;

import io.xvio.packet.Ethernet;
import io.xvio.packet.PacketBatch;

import java.util.ArrayList;
import java.util.List;

/**
 * The datapath of one bridge: decides, for each packet of a burst received on a port, which ports it goes to.
 * Ports are known by a dense index (0..n) and their OpenFlow number. The flow table is compiled into a
 * per-in-port action program and published as a whole; poll-mode threads read it once per burst. With no
 * flows the bridge is an L2 learning switch (actions=NORMAL).
 */
public final class BridgeDatapath {
    static final int OP_OUTPUT = 1, OP_IN_PORT = 2, OP_NORMAL = 3, OP_FLOOD = 4;

    /** What poll-mode threads read: immutable, replaced whole. */
    private record Compiled(int[][] programByInPort, int[] ofports, List<Flow> flows) {}

    private final String name;
    private final MacTable macs;
    private volatile Compiled compiled = new Compiled(new int[0][], new int[0], List.of());
    private long droppedNoMatch, droppedLoop;   // written by the PMD, read racily

    public BridgeDatapath(String name) {
        this.name = name;
        this.macs = new MacTable(8192, MacTable.DEFAULT_AGING_NS);
    }

    public String name() { return name; }
    public MacTable macs() { return macs; }
    public List<Flow> flows() { return compiled.flows(); }
    public long droppedNoMatch() { return droppedNoMatch; }

    /** Installs a port set and flows together (ofports[i] is the OpenFlow number of port index i). */
    public synchronized void install(int[] ofports, List<Flow> flows) {
        int n = ofports.length;
        int[][] programs = new int[n][];
        List<Flow> sorted = new ArrayList<>(flows);
        sorted.sort((a, b) -> Integer.compare(b.priority(), a.priority()));   // stable: first added wins ties
        for (int in = 0; in < n; in++) {
            Flow hit = null;
            if (flows.isEmpty()) {
                programs[in] = new int[] {OP_NORMAL << 16};
                continue;
            }
            for (Flow f : sorted) if (f.matches(ofports[in])) { hit = f; break; }
            programs[in] = hit == null ? new int[0] : compile(hit, ofports);
        }
        compiled = new Compiled(programs, ofports.clone(), List.copyOf(flows));
    }

    private static int[] compile(Flow f, int[] ofports) {
        List<Integer> prog = new ArrayList<>();
        for (Action a : f.actions()) {
            switch (a.kind()) {
                case OUTPUT -> {
                    int idx = indexOf(ofports, a.port());
                    if (idx >= 0) prog.add(OP_OUTPUT << 16 | idx);     // a port not (yet) on the bridge: nothing
                }
                case IN_PORT -> prog.add(OP_IN_PORT << 16);
                case NORMAL -> prog.add(OP_NORMAL << 16);
                case FLOOD, ALL -> prog.add(OP_FLOOD << 16);
                case DROP -> { }
            }
        }
        return prog.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }

    /** Decides where packets 0..b.count of a burst received on port inPort go. */
    public void process(int inPort, PacketBatch b, Outputs out, long now) {
        Compiled c = compiled;
        if (inPort >= c.programByInPort().length) { droppedNoMatch += b.count; return; }
        int[] prog = c.programByInPort()[inPort];
        int nports = c.ofports().length;
        if (prog.length == 0) { droppedNoMatch += b.count; return; }
        for (int i = 0; i < b.count; i++) {
            for (int op : prog) {
                switch (op >>> 16) {
                    case OP_OUTPUT -> {
                        int p = op & 0xffff;
                        if (p != inPort) out.add(p, i); else droppedLoop++;   // OpenFlow: output to in_port needs in_port
                    }
                    case OP_IN_PORT -> out.add(inPort, i);
                    case OP_NORMAL -> normal(inPort, b, i, out, nports, now);
                    case OP_FLOOD -> flood(inPort, i, out, nports);
                    default -> { }
                }
            }
        }
    }

    private void normal(int inPort, PacketBatch b, int i, Outputs out, int nports, long now) {
        long frame = b.off[i];
        long dst = Ethernet.dst(b.data, frame), src = Ethernet.src(b.data, frame);
        int vlan = Ethernet.vlan(b.data, frame, b.len[i]);
        if (!Ethernet.isMulticast(src)) macs.learn(src, vlan, inPort, now);
        if (!Ethernet.isMulticast(dst)) {
            int p = macs.lookup(dst, vlan, now);
            if (p >= 0 && p < nports) {
                if (p != inPort) out.add(p, i); else droppedLoop++;
                return;
            }
        }
        flood(inPort, i, out, nports);
    }

    private static void flood(int inPort, int i, Outputs out, int nports) {
        for (int p = 0; p < nports; p++) if (p != inPort) out.add(p, i);
    }
}
