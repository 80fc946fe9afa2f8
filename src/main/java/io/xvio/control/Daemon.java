package io.xvio.control;

import io.xvio.datapath.FragMode;
import io.xvio.pmd.PmdSet;
import io.xvio.pmd.PmdThread;
import io.xvio.pmd.RxQueue;
import io.xvio.port.AfPacketPort;
import io.xvio.port.AfXdpPort;
import io.xvio.port.Port;
import io.xvio.port.TapPort;
import io.xvio.port.VhostUserPort;
import io.xvio.vhost.VhostUserEndpoint;
import io.xvio.virtio.GuestMemory;

import java.util.*;
import java.util.logging.Logger;

/** The running switch: bridges, ports, PMD threads and the control socket, built from a {@link Config}. */
public final class Daemon implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.daemon");

    private final Config config;
    private final String controlPath;
    private final Map<String, Bridge> bridges = new LinkedHashMap<>();
    private final PmdSet pmds;
    private ControlServer control;
    private final long startedNanos = System.nanoTime();
    private final FlowCommands flows = new FlowCommands(bridges);
    private final DaemonStatus status;
    private MetricsServer metrics;
    private OpenFlowBridges openflow;

    public Daemon(Config config, String controlPath) {
        this.config = config;
        this.controlPath = controlPath;
        this.pmds = new PmdSet(config.pmdCpus(), config.pmdIdle());
        this.status = new DaemonStatus(bridges, pmds, controlPath, startedNanos, this);
    }

    public String controlPath() { return controlPath; }

    public void start() {
        Config.checkControlSocket(config, controlPath);
        try {
            for (Config.BridgeConfig bc : config.bridges().values()) {
                Bridge br = new Bridge(bc.name());
                br.quiescence = pmds;
                bridges.put(bc.name(), br);
                for (Config.PortConfig pc : bc.ports().values()) addPortTo(br, pc, bc.vlan(pc.name()));
                br.datapath.setOptions(bc.frag(), bc.forwardBpdu());
                br.setFlows(bc.flows());
                LOG.info("bridge " + bc.name() + ": " + (bc.flows().isEmpty() ? "no flows: L2 learning switch (priority=0 actions=NORMAL)" : bc.flows().size() + " flow(s)"));
            }
            pmds.assign(rxQueues());
            CommandLock lock = new CommandLock(this::execute, READ_ONLY_COMMANDS);
            control = new ControlServer(controlPath, config.controlGroup(), lock);
            openflow = OpenFlowBridges.start(bridges.values(), controlPath, lock, status);   // before the control socket answers
            control.start();
            LOG.info("control socket " + controlPath);
            if (config.metrics() != null) (metrics = new MetricsServer(config.metrics(), this::prometheus)).start();
            pmds.start();
            for (Bridge br : bridges.values()) br.ports.forEach(Port::start);
            expiry = Thread.ofPlatform().daemon().name("flow-expiry").start(this::expireFlows);
            LOG.info(GuestMemory.copyMethod());
            LOG.info("xvio running: " + bridges.size() + " bridge(s), " + pmds.threads().size() + " PMD thread(s) (" + config.pmdIdle() + ")");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Creates the port pc describes and appends it to br (not started, not yet published). */
    private Port addPortTo(Bridge br, Config.PortConfig pc, io.xvio.datapath.PortVlan vlan) {
        Port p;
        String what;
        switch (pc.type()) {
            case "tap" -> { p = new TapPort(pc.name(), pc.ofport(), pc.device(), pmds); what = "tap " + pc.device(); }
            case "afpacket" -> { p = new AfPacketPort(pc.name(), pc.ofport(), pc.device(), pmds); what = "afpacket " + pc.device(); }
            case "afxdp" -> { p = new AfXdpPort(pc.name(), pc.ofport(), pc.device(), pc.queue(), pmds); what = "afxdp " + pc.device() + " queue " + pc.queue(); }
            default -> {
                VhostUserEndpoint.Mode mode = pc.mode().equals("client") ? VhostUserEndpoint.Mode.CLIENT : VhostUserEndpoint.Mode.SERVER;
                // after a migration the front-end announces the guest's MAC (SEND_RARP): the port injects a RARP from
                // it into the datapath, so NORMAL learns it on this port (in the port's VLAN) and floods it
                p = new VhostUserPort(pc.name(), pc.ofport(), pc.path(), mode, pc.queues(), pc.mergeable(), pc.packed(), pmds, null);
                what = "vhostuser " + pc.mode() + " " + pc.path();
            }
        }
        p.setTransmitThreads(pmds.threads().size());
        br.ports.add(p);
        br.vlans.add(vlan);
        LOG.info("bridge " + br.name + ": port " + pc.name() + " (ofport " + pc.ofport() + ", " + what + ")");
        return p;
    }

    private volatile Thread expiry;
    private volatile boolean running = true;

    /** Removes flows whose idle or hard timeout passed, once a second. */
    private void expireFlows() {
        while (running) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            long now = System.nanoTime();
            for (Bridge br : bridges.values()) {
                int n = br.expire(now);
                if (n > 0) LOG.info("bridge " + br.name + ": " + n + " flow(s) expired");
            }
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
        running = false;
        Thread t = expiry;
        if (t != null) t.interrupt();
        if (control != null) control.close();
        if (openflow != null) openflow.close();
        if (metrics != null) metrics.close();
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

    /** Commands that change nothing: they run alongside each other; the others run one at a time. */
    static final Set<String> READ_ONLY_COMMANDS = Set.of("stats", "show", "dump-flows", "dump-ports", "fdb/show", "pmd-stats", "get-frags", "ping");

    /** Runs one control command; returns its output or throws {@link ControlException}. */
    String execute(List<String> args) {
        if (args.isEmpty()) throw new ControlException("empty command");
        Format.Request req = Format.split(args);
        boolean json = req.format() == Format.JSON;
        args = req.args();
        String cmd = args.getFirst();
        return switch (cmd) {
            case "stats" -> json ? JsonRender.render(status.stats()) : stats();
            case "show" -> json ? JsonRender.render(status.show()) : show();
            case "add-flow", "add-flows" -> flows.addFlows(args);
            case "del-flows" -> flows.delFlows(args);
            case "mod-flows" -> flows.modFlows(args);
            case "dump-flows" -> json ? JsonRender.render(flows.dumpFlowsModel(args)) : flows.dumpFlows(args);
            case "dump-ports" -> json ? JsonRender.render(status.portCounts(bridge(args, 1), args.size() > 2 ? args.get(2) : null))
                    : dumpPorts(bridge(args, 1), args.size() > 2 ? args.get(2) : null);
            case "add-port" -> addPort(args);
            case "del-port" -> delPort(args);
            case "fdb/show" -> json ? JsonRender.render(status.fdb(bridge(args, 1))) : fdbShow(bridge(args, 1));
            case "pmd-stats" -> json ? JsonRender.render(status.pmdStats(true)) : pmdStats();
            case "set-frag" -> setFrag(args);
            case "get-frags" -> bridge(args, 1).datapath.fragMode().text + "\n";
            case "pmd-stats-clear" -> { pmds.threads().forEach(PmdThread::clearStats); yield ""; }
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

    String stats() { return TextRender.stats(status.stats()); }

    String show() { return TextRender.show(status.show()); }

    String dumpPorts(Bridge br, String only) { return TextRender.portCounts(status.portCounts(br, only)); }

    /** The Prometheus text a scrape of /metrics gets. */
    String prometheus() { return PrometheusRender.render(status.metrics()); }

    /** add-port BR NAME key=value...: the same keys and checks as the YAML file. */
    private synchronized String addPort(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() < 3) throw new ControlException("add-port needs a port name and its settings, e.g. type=vhostuser path=/tmp/x.sock");
        String name = args.get(2);
        for (Bridge b : bridges.values()) if (b.port(name) != null) throw new ControlException("port " + name + " already exists on bridge " + b.name);
        StringBuilder yaml = new StringBuilder("bridges:\n  " + br.name + ":\n    ports:\n      " + name + ": {");
        Set<Integer> used = new HashSet<>();
        for (Port p : br.ports) used.add(p.ofport());
        boolean hasOfport = false;
        for (int i = 3; i < args.size(); i++) {
            String kv = args.get(i);
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new ControlException("setting \"" + kv + "\" is not KEY=VALUE");
            String k = kv.substring(0, eq), v = kv.substring(eq + 1);
            if (!k.matches("[a-z-]+") || v.isEmpty() || v.contains("\"") || v.contains("\n")) throw new ControlException("bad setting \"" + kv + "\"");
            hasOfport |= k.equals("ofport");
            String yv = v.matches("-?\\d+|true|false") ? v
                    : k.equals("trunks") && v.matches("\\d+(,\\d+)*") ? "[" + v + "]" : "\"" + v + "\"";
            yaml.append(i > 3 ? ", " : "").append(k).append(": ").append(yv);
        }
        if (!hasOfport) {
            int next = 1;
            while (used.contains(next)) next++;
            yaml.append(args.size() > 3 ? ", " : "").append("ofport: ").append(next);
        }
        yaml.append("}\n");
        Config.PortConfig pc;
        io.xvio.datapath.PortVlan vlan;
        try {
            Config.BridgeConfig parsed = Config.parse(yaml.toString(), "add-port").bridges().get(br.name);
            pc = parsed.ports().get(name);
            vlan = parsed.vlan(name);
        } catch (ConfigException e) {
            throw new ControlException(e.getMessage().replaceFirst("^add-port: bridges\\." + java.util.regex.Pattern.quote(br.name) + "\\.ports\\.", ""));
        }
        if (used.contains(pc.ofport())) throw new ControlException("ofport " + pc.ofport() + " is already used on bridge " + br.name);
        for (Bridge b : bridges.values())
            for (Port p : b.ports)
                if (pc.path() != null && pc.path().equals(p.details().get("path"))) throw new ControlException("path " + pc.path() + " is used by port " + p.name());
        if (pc.path() != null && Config.samePath(pc.path(), controlPath)) throw new ControlException("path " + pc.path() + " is the control socket");
        // one uplink port per interface (an interface has one XDP program, and two receivers would each see every frame)
        for (Bridge b : bridges.values())
            for (Port p : b.ports)
                if (pc.device() != null && !pc.type().equals("tap") && pc.device().equals(p.details().get("device")))
                    throw new ControlException("interface " + pc.device() + " is used by port " + p.name());
        Port p;
        try {
            p = addPortTo(br, pc, vlan);
        } catch (RuntimeException e) {
            throw new ControlException("cannot create port " + name + ": " + e.getMessage());
        }
        br.publish();                 // appended: existing port indices do not move
        pmds.assign(rxQueues());
        p.start();
        return "";
    }

    /** del-port BR NAME: the bridge pauses for a moment (packets wait in the rings), then runs without it. */
    private synchronized String delPort(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() < 3) throw new ControlException("del-port needs a port name");
        Port p = br.port(args.get(2));
        if (p == null) throw new ControlException("bridge " + br.name + " has no port " + args.get(2));
        // stop polling the whole bridge, so no PMD holds port indices from before the change
        List<RxQueue> others = new ArrayList<>(rxQueues());
        others.removeIf(q -> q.datapath() == br.datapath);
        pmds.assign(others);
        int idx = br.ports.indexOf(p);
        br.ports.remove(idx);
        br.vlans.remove(idx);
        br.datapath.macs().flushAll();
        br.publish();
        pmds.assign(rxQueues());
        p.close();
        LOG.info("bridge " + br.name + ": port " + p.name() + " deleted");
        return "";
    }

    /** set-frag BR MODE: how the bridge's flow tables see IP fragments (ovs-ofctl set-frag); caches start over. */
    private String setFrag(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() != 3) throw new ControlException("set-frag needs a bridge and a mode (normal, nx-match or drop)");
        FragMode m;
        try {
            m = FragMode.parse(args.get(2));
        } catch (IllegalArgumentException e) {
            throw new ControlException(e.getMessage());
        }
        br.datapath.setOptions(m, br.datapath.forwardBpdu());
        LOG.info("bridge " + br.name + ": frag mode " + m.text);
        return "";
    }

    String fdbShow(Bridge br) { return TextRender.fdb(status.fdb(br)); }

    String pmdStats() { return TextRender.pmdStats(status.pmdStats(true)); }
}
