package io.xvio.control;

import io.xvio.packet.Ethernet;
import io.xvio.pmd.PmdSet;
import io.xvio.pmd.PmdThread;
import io.xvio.pmd.RxQueue;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;
import io.xvio.port.VhostUserPort;
import io.xvio.vhost.VhostUserEndpoint;

import java.util.*;
import java.util.logging.Logger;

import static io.xvio.port.PortCounters.Counter.*;

/** The running switch: bridges, ports, PMD threads and the control socket, built from a {@link Config}. */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.daemon");

    private final Config config;
    private final String controlPath;
    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final PmdSet pmds;
    private ControlServer control;
    private final long startedNanos = System.nanoTime();

    public Daemon(Config config, String controlPath) {
        this.config = config;
        this.controlPath = controlPath;
        this.pmds = new PmdSet(config.pmdCpus(), config.pmdIdle());
    }

    public String controlPath() { return controlPath; }

    public void start() {
        try {
            for (Config.BridgeConfig bc : config.bridges().values()) {
                Bridge br = new Bridge(bc.name());
                bridges.put(bc.name(), br);
                for (Config.PortConfig pc : bc.ports().values()) {
                    VhostUserEndpoint.Mode mode = pc.mode().equals("client") ? VhostUserEndpoint.Mode.CLIENT : VhostUserEndpoint.Mode.SERVER;
                    final Bridge b = br;
                    final int[] index = {br.ports.size()};
                    Port p = new VhostUserPort(pc.name(), pc.ofport(), pc.path(), mode, pc.queues(), pc.mergeable(), pmds,
                            mac -> b.datapath.macs().learn(Ethernet.mac(java.lang.foreign.MemorySegment.ofArray(mac), 0), 0, index[0], System.nanoTime()));
                    p.setTransmitThreads(pmds.threads().size());
                    br.ports.add(p);
                    LOG.info("bridge " + bc.name() + ": port " + pc.name() + " (ofport " + pc.ofport() + ", vhostuser " + pc.mode() + " " + pc.path() + ")");
                }
                br.installFlows(bc.flows());
                LOG.info("bridge " + bc.name() + ": " + (bc.flows().isEmpty() ? "no flows: L2 learning switch (actions=NORMAL)" : bc.flows().size() + " flow(s)"));
            }
            pmds.assign(rxQueues());
            control = new ControlServer(controlPath, this::execute);
            control.start();
            LOG.info("control socket " + controlPath);
            pmds.start();
            for (Bridge br : bridges.values()) br.ports.forEach(Port::start);
            LOG.info("xvio running: " + bridges.size() + " bridge(s), " + pmds.threads().size() + " PMD thread(s) (" + config.pmdIdle() + ")");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private List<RxQueue> rxQueues() {
        List<RxQueue> out = new ArrayList<>();
        for (Bridge br : bridges.values()) {
            Port[] ports = br.portArray();
            for (int q = 0; ; q++) {          // queue 0 of every port first, so the first PMDs get one port each
                boolean any = false;
                for (int i = 0; i < ports.length; i++) {
                    if (q < ports[i].rxQueues()) { out.add(new RxQueue(ports[i], q, br.datapath, i, ports)); any = true; }
                }
                if (!any) break;
            }
        }
        return out;
    }

    @Override
    public void close() {
        if (control != null) control.close();
        for (Bridge br : bridges.values()) {
            for (Port p : br.ports) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    LOG.warning("closing port " + p.name() + ": " + e.getMessage());
                }
            }
        }
        pmds.stop();
        LOG.info("xvio stopped");
    }

    /** Runs one control command; returns its output or throws {@link ControlException}. */
    String execute(List<String> args) {
        if (args.isEmpty()) throw new ControlException("empty command");
        String cmd = args.getFirst();
        return switch (cmd) {
            case "stats" -> stats();
            case "show" -> show();
            case "dump-flows" -> dumpFlows(bridge(args, 1));
            case "fdb/show" -> fdbShow(bridge(args, 1));
            case "pmd-stats" -> pmdStats();
            case "ping" -> "pong";
            default -> throw new ControlException("unknown command \"" + cmd + "\"");
        };
    }

    private Bridge bridge(List<String> args, int i) {
        if (args.size() <= i) throw new ControlException(args.getFirst() + " needs a bridge name");
        Bridge b = bridges.get(args.get(i));
        if (b == null) throw new ControlException("no bridge named \"" + args.get(i) + "\" (bridges: " + String.join(", ", bridges.keySet()) + ")");
        return b;
    }

    String stats() {
        StringBuilder sb = new StringBuilder();
        for (Bridge br : bridges.values()) {
            sb.append(br.name).append(":\n");
            for (Port p : br.ports) {
                PortCounters c = p.counters();
                sb.append(String.format("  port %d %s (%s, %s)%n", p.ofport(), p.name(), p.type(), p.status()));
                sb.append(String.format("    rx_packets=%d rx_bytes=%d tx_packets=%d tx_bytes=%d%n",
                        c.get(RX_PACKETS), c.get(RX_BYTES), c.get(TX_PACKETS), c.get(TX_BYTES)));
                StringBuilder drops = new StringBuilder();
                long total = 0;
                for (PortCounters.Counter k : new PortCounters.Counter[] {TX_DROP_NO_BUFFER, TX_DROP_DOWN, TX_DROP_TOO_BIG, RX_DROP_NO_MATCH}) {
                    long v = c.get(k);
                    total += v;
                    if (v != 0) drops.append(' ').append(k.label).append('=').append(v);
                }
                for (var e : p.extraCounters().entrySet()) {
                    total += e.getValue();
                    if (e.getValue() != 0) drops.append(' ').append(e.getKey()).append('=').append(e.getValue());
                }
                sb.append("    dropped=").append(total).append(drops).append('\n');
            }
            long noMatch = br.datapath.droppedNoMatch();
            if (noMatch > 0) sb.append("  dropped(no matching flow)=").append(noMatch).append('\n');
        }
        return sb.toString();
    }

    String show() {
        StringBuilder sb = new StringBuilder();
        sb.append("xvio: pid ").append(ProcessHandle.current().pid()).append(", up ")
                .append((System.nanoTime() - startedNanos) / 1_000_000_000L).append(" s, control socket ").append(controlPath).append('\n');
        for (Bridge br : bridges.values()) {
            sb.append("bridge ").append(br.name).append(br.datapath.flows().isEmpty() ? " (NORMAL)" : " (" + br.datapath.flows().size() + " flows)").append('\n');
            for (Port p : br.ports) {
                sb.append(String.format("  port %d: %s type=%s status=%s%n", p.ofport(), p.name(), p.type(), p.status()));
                for (var e : p.details().entrySet()) sb.append("      ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
        }
        return sb.toString();
    }

    String dumpFlows(Bridge br) {
        StringBuilder sb = new StringBuilder();
        if (br.datapath.flows().isEmpty()) sb.append(" priority=0 actions=NORMAL (no flows configured)\n");
        long now = System.nanoTime();
        for (var f : br.datapath.flows()) sb.append(' ').append(io.xvio.datapath.FlowFormat.format(f, now, true)).append('\n');
        return sb.toString();
    }

    String fdbShow(Bridge br) {
        StringBuilder sb = new StringBuilder(" port  VLAN  MAC                Age\n");
        for (var e : br.datapath.macs().entries(System.nanoTime())) {
            Port p = e.port() < br.ports.size() ? br.ports.get(e.port()) : null;
            sb.append(String.format("%5s  %4d  %s  %3d%n", p == null ? "?" : Integer.toString(p.ofport()), e.vlan(), Ethernet.format(e.mac()), e.ageSeconds()));
        }
        return sb.toString();
    }

    String pmdStats() {
        StringBuilder sb = new StringBuilder();
        for (PmdThread t : pmds.threads()) {
            long pk = t.packets(), bu = t.bursts();
            sb.append(String.format("pmd%d (cpu %s):%n", t.id(), t.cpu() < 0 ? "any" : Integer.toString(t.cpu())));
            sb.append(String.format("  packets=%d bursts=%d avg_burst=%.1f busy_loops=%d idle_loops=%d busy_ns_per_packet=%.1f%n",
                    pk, bu, bu == 0 ? 0.0 : (double) pk / bu, t.busyLoops(), t.idleLoops(), pk == 0 ? 0.0 : (double) t.busyNanos() / pk));
            sb.append("  queues:");
            for (RxQueue q : t.queues()) sb.append(' ').append(q);
            sb.append('\n');
        }
        return sb.toString();
    }
}
