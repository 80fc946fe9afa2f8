package io.xvio.control;

import io.xvio.datapath.FragMode;
import io.xvio.datapath.tunnel.TunnelConfig;
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
    /** The tunnel ports' BFD sessions (OVSDB's bfd column). */
    private final BfdSessions bfd;
    private ControlServer control;
    private final long startedNanos = System.nanoTime();
    private final FlowCommands flows = new FlowCommands(bridges);
    private final GroupCommands groups = new GroupCommands(flows);
    private final MeterCommands meters = new MeterCommands(flows);
    private final DaemonStatus status;
    private MetricsServer metrics;
    private OpenFlowBridges openflow;
    private final Relays relays;
    /** Bridge ports whose receive queues are pinned (pmd-cpu): port to PMD thread index. */
    private final Map<Port, Integer> pins = new IdentityHashMap<>();
    private io.xvio.pmd.AutoLoadBalancer balancer;
    /** Underlay endpoints, routes, neighbours and tunnel ports' ways out (issue 16). */
    private final Tunnels tunnels = new Tunnels();
    /** Running captures (xvio capture). */
    private final Captures captures = new Captures();
    /** The bridges' port mirrors. */
    private final Mirrors mirrors = new Mirrors();
    /** Patch pairs between bridges and the port arrays they give the bridges' queues. */
    private final Patches patches = new Patches();

    /** The connection tracker every bridge shares (made on the first ct() flow). */
    private final io.xvio.datapath.conntrack.Conntrack conntrack;
    private final ConntrackCommands conntrackCommands;

    public Daemon(Config config, String controlPath) {
        this.config = config;
        ConntrackConfig cc = config.conntrack();
        this.conntrack = new io.xvio.datapath.conntrack.Conntrack(cc.capacity(), io.xvio.datapath.BridgeDatapath.MAX_THREADS + 2, cc.timeoutsOf(), cc::apply);
        this.conntrackCommands = new ConntrackCommands(conntrack);
        this.controlPath = controlPath;
        this.pmds = new PmdSet(config.pmdCpus(), config.pmdIdle());
        this.bfd = new BfdSessions(pmds);
        this.relays = new Relays(pmds);
        this.status = new DaemonStatus(bridges, pmds, controlPath, startedNanos, this);
    }

    public String controlPath() { return controlPath; }

    public void start() {
        Config.checkControlSocket(config, controlPath);
        try {
            for (Config.BridgeConfig bc : config.bridges().values()) {
                Bridge br = new Bridge(bc.name(), conntrack);
                br.quiescence = pmds;
                bridges.put(bc.name(), br);
                for (Config.PortConfig pc : bc.ports().values()) addPortTo(br, pc, bc.vlan(pc.name()));
                if (bc.underlay().kernel())       // ip: kernel: the LOCAL port is an internal interface whose addresses the tunnels take
                    addPortTo(br, Config.PortConfig.netdev(bc.name(), "tap", io.xvio.port.EndpointPort.OFPP_LOCAL, bc.name()), io.xvio.datapath.PortVlan.TRUNK_ALL);
                tunnels.addUnderlay(br, bc.underlay());
                for (MirrorConfig mc : bc.mirrors()) mirrors.add(br, mc);
                br.datapath.setOptions(bc.frag(), bc.forwardBpdu());
                for (io.xvio.datapath.meter.MeterConfig m : bc.meters()) br.datapath.meters().put(m, false, System.nanoTime());
                for (io.xvio.datapath.Group g : bc.groups()) {
                    try {
                        br.putGroup(g, false);
                    } catch (ControlException e) {
                        throw new ConfigException("bridges." + bc.name() + ".groups: " + e.getMessage());
                    }
                }
                try {
                    br.setFlows(bc.flows());
                } catch (ControlException e) {
                    throw new ConfigException("bridges." + bc.name() + ".flows: " + e.getMessage());
                }
                boolean secure = bc.controller().failMode() == io.xvio.openflow.OfChannels.FailMode.SECURE;
                if ((!bc.controller().targets().isEmpty() || secure) && bc.flows().isEmpty()) {
                    br.delFlows(f -> true);      // as OVS: the NORMAL flow is only for a standalone bridge without controllers
                    LOG.info("bridge " + bc.name() + ": no flows until a controller adds them (controller: " + bc.controller().targets()
                            + ", fail_mode " + bc.controller().failMode().text() + ")");
                } else
                LOG.info("bridge " + bc.name() + ": " + (bc.flows().isEmpty() ? "no flows: L2 learning switch (priority=0 actions=NORMAL)" : bc.flows().size() + " flow(s)"));
            }
            for (Config.BridgeConfig bc : config.bridges().values())
                for (var e : bc.bfd().entrySet()) setBfd(bc.name(), e.getKey(), e.getValue());
            for (RelayConfig rc : config.relays().values()) {
                try {
                    relays.add(rc, this::createPort);
                } catch (ControlException e) {
                    throw new ConfigException(e.getMessage());     // "relay NAME: ..."
                }
            }
            tunnels.rebuild(bridges.values());
            repatch();
            pmds.assign(rxQueues());
            CommandLock lock = new CommandLock(this::execute, READ_ONLY_COMMANDS);
            control = new ControlServer(controlPath, config.controlGroup(), lock);
            Map<String, ControllerSettings> controllers = new LinkedHashMap<>();
            for (Config.BridgeConfig bc : config.bridges().values()) controllers.put(bc.name(), bc.controller());
            openflow = OpenFlowBridges.start(bridges.values(), controllers, controlPath, lock, status, pmds, config.ssl());   // before the control socket answers
            openflow.tlvMaps(tunnels::tlvMapOf, (br, c, m) -> { synchronized (this) { tunnels.tlvMod(br, c, m, bridges.values()); } });
            control.start();
            LOG.info("control socket " + controlPath);
            if (config.metrics() != null) (metrics = new MetricsServer(config.metrics(), this::prometheus)).start();
            io.xvio.port.HeldTx.setMaxHoldMicros(config.txFlushInterval());   // before any PMD sends
            pmds.start();
            for (Bridge br : bridges.values()) br.ports.forEach(Port::start);
            tunnels.start(() -> { synchronized (this) { kernelUnderlays(); tunnels.tick(bridges.values()); } });
            for (Relays.Relay r : relays.all()) { r.vhost().start(); r.vf().start(); }
            AutoLbConfig lb = config.autoLb();
            (balancer = new io.xvio.pmd.AutoLoadBalancer(pmds, lb.enabled(), lb.intervalSeconds() * 1000L, lb.improvementThreshold())).start();
            expiry = Thread.ofPlatform().daemon().name("flow-expiry").start(this::expireFlows);
            learner = Learner.start(() -> { synchronized (this) { return List.copyOf(bridges.values()); } }, lock);
            LOG.info(GuestMemory.copyMethod());
            LOG.info("xvio running: " + bridges.size() + " bridge(s), " + pmds.threads().size() + " PMD thread(s) (" + config.pmdIdle() + ")");
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Creates the port pc describes and appends it to br (not started, not yet published). */
    private Port addPortTo(Bridge br, Config.PortConfig pc, io.xvio.datapath.PortVlan vlan) {
        Port p = createPort(pc);
        pc.policing().applyTo(p);
        if (pc.policing().any()) LOG.info("bridge " + br.name + ": port " + pc.name() + ": " + pc.policing().describe());
        if (pc.pmdCpu() >= 0) pins.put(p, pmds.threadOnCpu(pc.pmdCpu()));
        br.ports.add(p);
        br.vlans.add(vlan);
        LOG.info("bridge " + br.name + ": port " + pc.name() + " (ofport " + pc.ofport() + ", " + describe(pc) + (pc.mtu() > 0 ? ", mtu " + pc.mtu() : "") + ")");
        return p;
    }

    private static String describe(Config.PortConfig pc) {
        return switch (pc.type()) {
            case "tap", "afpacket" -> pc.type() + " " + pc.device();
            case "afxdp" -> "afxdp " + pc.device() + " queue " + pc.queue();
            case "vxlan", "geneve" -> String.valueOf(pc.tunnel());
            case "patch" -> "patch, peer " + pc.peer();
            default -> "vhostuser " + pc.mode() + " " + pc.path();
        };
    }

    /** The port pc describes (not started), for a bridge or a relay. */
    private Port createPort(Config.PortConfig pc) {
        Port p;
        switch (pc.type()) {
            case "tap" -> p = new TapPort(pc.name(), pc.ofport(), pc.device(), pc.mtu(), !pc.uplinkOffloadsOff(), pmds);
            case "afpacket" -> p = new AfPacketPort(pc.name(), pc.ofport(), pc.device(), !pc.uplinkOffloadsOff(), pmds);
            case "afxdp" -> p = new AfXdpPort(pc.name(), pc.ofport(), pc.device(), pc.queue(), pmds);
            case "vxlan", "geneve" -> p = new io.xvio.port.TunnelPort(pc.name(), pc.ofport(), pc.tunnel());
            case "patch" -> p = new io.xvio.port.PatchPort(pc.name(), pc.ofport(), pc.peer());
            default -> {
                VhostUserEndpoint.Mode mode = pc.mode().equals("client") ? VhostUserEndpoint.Mode.CLIENT : VhostUserEndpoint.Mode.SERVER;
                // after a migration the front-end announces the guest's MAC (SEND_RARP): the port injects a RARP from
                // it into the datapath, so NORMAL learns it on this port (in the port's VLAN) and floods it
                VhostUserPort v = new VhostUserPort(pc.name(), pc.ofport(), pc.path(), mode, pc.queues(), pc.mergeable(), pc.packed(), pc.offloads(), pc.mtu(), pmds, null);
                if (pc.txRetriesMax() >= 0) v.txRetriesMax(pc.txRetriesMax());
                p = v;
            }
        }
        p.setTransmitThreads(pmds.threads().size());
        return p;
    }

    private volatile Thread expiry;
    /** Applies learn actions' flows (see {@link Learner}). */
    private volatile Learner learner;
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
            List<Bridge> current;
            synchronized (this) {
                current = List.copyOf(bridges.values());
            }
            relays.sampleRates();
            for (Bridge br : current) {
                br.refreshLiveness();           // group buckets' watch_port follows the ports within a second
                int n = br.expire(now);
                if (n > 0) LOG.info("bridge " + br.name + ": " + n + " flow(s) expired");
            }
        }
    }

    private List<RxQueue> rxQueues() {
        List<RxQueue> out = new ArrayList<>();
        for (Bridge br : bridges.values()) {
            Port[] ports = br.portArray();
            // an underlay's: then the overlays' ports; then the ports of the bridges beyond patch ports
            Port[] sendTo = patches.array(br, tunnels.portArray(br, bridges.values()));
            br.sendTo = sendTo;                                        // a packet-out's too
            for (int q = 0; ; q++) {          // queue 0 of every port first, so the first PMDs get one port each
                boolean any = false;
                for (int i = 0; i < ports.length; i++) {
                    if (q < ports[i].rxQueues()) {
                        out.add(new RxQueue(ports[i], q, br.datapath, i, sendTo, null, pins.getOrDefault(ports[i], -1), br.name, null));
                        any = true;
                    }
                }
                if (!any) break;
            }
        }
        out.addAll(relays.rxQueues());
        return out;
    }

    @Override
    public void close() {
        running = false;
        tunnels.close();
        bfd.close();
        if (balancer != null) balancer.close();
        Thread t = expiry;
        if (t != null) t.interrupt();
        if (learner != null) learner.close();
        if (control != null) control.close();
        captures.close();              // streamed captures answer their clients
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
        for (Relays.Relay r : relays.all()) {
            for (Port p : List.of(r.vhost(), r.vf())) {
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
    static final Set<String> READ_ONLY_COMMANDS = Set.of("stats", "show", "dump-flows", "dump-ports", "fdb/show", "pmd-stats", "get-frags", "dump-groups",
            "dump-group-stats", "ping", "trace", "show-relays", "pmd-rxq-show", "dump-meters", "meter-stats", "show-mirrors", "bfd/show");

    /** Runs one control command; returns its output or throws {@link ControlException}. */
    synchronized String execute(List<String> args) {
        if (args.isEmpty()) throw new ControlException("empty command");
        Format.Request req = Format.split(args);
        boolean json = req.format() == Format.JSON;
        args = req.args();
        String cmd = args.getFirst();
        return switch (cmd) {
            case "stats" -> json ? JsonRender.render(status.stats()) : stats();
            case "show" -> json ? JsonRender.render(status.show()) : show();
            case "add-flow", "add-flows" -> flows.addFlows(args);
            case "add-group", "add-groups" -> groups.putGroups(args, false);
            case "mod-group" -> groups.putGroups(args, true);
            case "del-groups" -> groups.delGroups(args);
            case "dump-groups" -> groups.dumpGroups(args);
            case "dump-group-stats" -> groups.dumpGroupStats(args);
            case "add-meter" -> meters.put(args, false);
            case "mod-meter" -> meters.put(args, true);
            case "del-meters", "del-meter" -> meters.delete(args);
            case "dump-meters" -> meters.dump(args);
            case "meter-stats" -> meters.stats(args);
            case "set-port" -> setPort(args);
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
            case "trace" -> { TraceCommand.Model t = TraceCommand.run(bridge(args, 1), args, pmds); yield json ? JsonRender.render(t) : t.text(); }
            case "pmd-stats-clear" -> { pmds.threads().forEach(PmdThread::clearStats); yield ""; }
            case "ping" -> "pong";
            case "capture-start" -> captures.start(anyPort(args, 1), args);
            case "capture-read" -> captures.read(args);
            case "capture-stop" -> captures.stop(args);
            case "add-mirror" -> addMirror(args);
            case "del-mirror" -> { if (args.size() != 3) throw new ControlException("del-mirror needs a bridge and a mirror name"); mirrors.remove(bridge(args, 1), args.get(2)); yield ""; }
            case "show-mirrors" -> { var v = mirrors.view(args.size() > 1 ? bridge(args, 1).name : null); yield json ? JsonRender.render(new MirrorsModel(v)) : Mirrors.text(v); }
            case "tnl" -> tnl(args, json);
            case "bfd/show" -> bfd.show();
            case "add-tlv-map", "del-tlv-map", "dump-tlv-map" -> tunnels.tlvCommand(cmd, bridge(args, 1), args, bridges.values());
            case "set-controller", "del-controller", "get-controller", "set-fail-mode", "get-fail-mode", "del-fail-mode" -> openflow.command(args);
            case "set-ssl", "get-ssl", "del-ssl" -> openflow.command(args);
            case "conntrack" -> conntrackCommands.run(args);
            case "add-relay" -> addRelay(args);
            case "del-relay" -> delRelay(args);
            case "show-relays" -> json ? JsonRender.render(relays.view(args.size() > 1 ? args.get(1) : null)) : RelayView.text(relays.view(args.size() > 1 ? args.get(1) : null));
            case "pmd-rxq-show" -> json ? JsonRender.render(PmdRxqShow.of(pmds, config.autoLb())) : RelayView.text(PmdRxqShow.of(pmds, config.autoLb()));
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

    /** The metric families a scrape of /metrics gets, read now. */
    io.prometheus.metrics.model.snapshots.MetricSnapshots prometheus() {
        return MetricFamilies.concat(PrometheusRender.render(status.metrics()), RelayMetrics.render(relays.view(null), PmdRxqShow.of(pmds, config.autoLb())),
                ConntrackMetrics.render(conntrack), MeterMetrics.render(status.meters()));
    }

    /** add-port BR NAME key=value...: the same keys and checks as the YAML file. */
    private synchronized String addPort(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() < 3) throw new ControlException("add-port needs a port name and its settings, e.g. type=vhostuser path=/tmp/x.sock");
        String name = args.get(2);
        for (Bridge b : bridges.values()) if (b.port(name) != null) throw new ControlException("port " + name + " already exists on bridge " + b.name);
        List<String> bfdSettings = args.subList(3, args.size()).stream().filter(BfdConfig::isBfd).toList();
        Map<String, String> bfdCfg = bfdSettings.isEmpty() ? Map.of() : BfdConfig.merge(Map.of(), bfdSettings, "add-port " + name);
        StringBuilder yaml = new StringBuilder("pmd-cpus: " + config.pmdCpus() + "\nbridges:\n  " + br.name + ":\n    ports:\n      " + name + ": {");
        boolean hasOfport = false;
        for (int i = 3; i < args.size(); i++) {
            String kv = args.get(i);
            if (BfdConfig.isBfd(kv)) continue;
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new ControlException("setting \"" + kv + "\" is not KEY=VALUE");
            String k = kv.substring(0, eq), v = kv.substring(eq + 1);
            if (!k.matches("[a-z_-]+") || v.isEmpty() || v.contains("\"") || v.contains("\n")) throw new ControlException("bad setting \"" + kv + "\"");
            hasOfport |= k.equals("ofport");
            String yv = v.matches("-?\\d+|true|false") ? v
                    : k.equals("trunks") && v.matches("\\d+(,\\d+)*") ? "[" + v + "]" : "\"" + v + "\"";
            yaml.append(i > 3 ? ", " : "").append(k).append(": ").append(yv);
        }
        if (!hasOfport) yaml.append(args.size() > 3 ? ", " : "").append("ofport: ").append(freeOfport(br.name));
        yaml.append("}\n");
        Config.PortConfig pc;
        io.xvio.datapath.PortVlan vlan;
        Map<String, String> given = settings(args);            // every setting is KEY=VALUE: checked above
        boolean tunnel = TunnelSettings.isTunnelType(given.get("type"));
        if (!bfdSettings.isEmpty() && !tunnel)
            throw new ControlException("add-port " + name + ": bfd: xvio runs BFD on tunnel ports only (type=vxlan or type=geneve)");
        if (tunnel) {
            given.keySet().removeIf(k -> k.startsWith(BfdConfig.PREFIX));
            pc = tunnelPort(br, name, given);
            addPort(br.name, pc, io.xvio.datapath.PortVlan.TRUNK_ALL);
            if (!bfdCfg.isEmpty()) setBfd(br.name, name, bfdCfg);
            return "";
        }
        try {
            Config.BridgeConfig parsed = Config.parse(yaml.toString(), "add-port").bridges().get(br.name);
            pc = parsed.ports().get(name);
            vlan = parsed.vlan(name);
        } catch (ConfigException e) {
            throw new ControlException(e.getMessage().replaceFirst("^add-port: bridges\\." + java.util.regex.Pattern.quote(br.name) + "\\.ports\\.", ""));
        }
        addPort(br.name, pc, vlan);
        return "";
    }

    /** A port's policing (OVSDB's Interface ingress_policing_rate/burst; set-port), in force for the next burst. */
    public synchronized void setPolicing(String bridge, String port, PolicingConfig pc) {
        Bridge br = bridges.get(bridge);
        Port p = portOf(br, bridge, port);
        pc.applyTo(p);
    }

    /** Port port of bridge br (named bridge), or a ControlException saying which is missing. */
    private static Port portOf(Bridge br, String bridge, String port) {
        Port p = br == null ? null : br.port(port);
        if (p == null) throw new ControlException("bridge " + bridge + " has no port " + port);
        return p;
    }

    /** A vhostuser port's tx retries (OVSDB's Interface options:tx-retries-max; set-port), in force for the next burst. */
    public synchronized void setTxRetriesMax(String bridge, String port, int n) {
        Bridge br = bridges.get(bridge);
        Port p = br == null ? null : br.port(port);
        if (!(p instanceof VhostUserPort v)) throw new ControlException("bridge " + bridge + " has no vhostuser port " + port);
        v.txRetriesMax(n);
    }

    /**
     * A running port's VLAN mode (OVSDB's Port tag and trunks), changed in place as OVS does: the port, its guest and
     * its counters stay; the MACs learned on it are forgotten when the mode changed (OVS's bundle_set), the other
     * ports' stay.
     */
    public synchronized void setVlan(String bridge, String port, io.xvio.datapath.PortVlan vlan) {
        Bridge br = bridges.get(bridge);
        Port p = portOf(br, bridge, port);
        int index = br.ports.indexOf(p);
        if (br.vlans.get(index).equals(vlan)) return;
        br.vlans.set(index, vlan);
        br.datapath.macs().flushPort(index);
        br.publish();
        mirrors.refresh(br);          // a mirror's taps know the port's access VLAN
    }

    /**
     * A running port's MTU (OVSDB's mtu_request), changed in place as OVS does: a vhostuser port's largest frame both
     * ways from the next burst (its guest stays connected), a tap's interface MTU. Other types take their interface's.
     */
    public synchronized void setMtu(String bridge, String port, int mtu) {
        Bridge br = bridges.get(bridge);
        Port p = portOf(br, bridge, port);
        try {
            switch (p) {
                case VhostUserPort v -> v.setMtu(mtu);
                case io.xvio.port.TapPort t -> t.setMtu(mtu);
                default -> throw new ControlException("port " + port + ": a " + p.type() + " port takes the MTU of its interface");
            }
        } catch (IllegalArgumentException | io.xvio.sys.SysException e) {
            throw new ControlException("port " + port + ": mtu " + mtu + ": " + e.getMessage());
        }
        LOG.info("bridge " + br.name + ": port " + port + ": mtu " + mtu + " (changed in place)");
    }

    /**
     * set-port BR NAME key=value...: changes a running port's policing (ingress-policing-rate, ingress-policing-burst,
     * egress-policer=cir:N,cbs:N; keys not given keep their values; a changed policer starts with a full bucket),
     * a vhostuser port's tx-retries-max and a tunnel port's BFD (bfd:KEY=VALUE, {@link BfdConfig}). Nothing changes
     * unless every setting is valid.
     */
    private synchronized String setPort(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() < 4) throw new ControlException("set-port needs a port and settings, e.g. set-port br0 p1 ingress-policing-rate=10000");
        Port p = br.port(args.get(2));
        if (p == null) throw new ControlException("bridge " + br.name + " has no port " + args.get(2));
        List<String> all = args.subList(3, args.size()), settings = all.stream().filter(s -> !BfdConfig.isBfd(s)).toList();
        Map<String, String> bfdCfg = null;
        if (settings.size() < all.size()) {
            if (!(p instanceof io.xvio.port.TunnelPort))
                throw new ControlException("set-port " + p.name() + ": bfd: xvio runs BFD on tunnel ports only (" + p.name() + " is a " + p.type() + " port)");
            bfdCfg = BfdConfig.merge(bfd.config(br.name, p.name()), all, "set-port " + p.name());
        }
        PolicingConfig pc = settings.isEmpty() ? null : PortSettings.policing(p, settings);
        Integer retries = settings.isEmpty() ? null : PortSettings.txRetriesMax(p, settings);
        if (pc != null) {
            pc.applyTo(p);
            LOG.info("bridge " + br.name + ": port " + p.name() + ": " + pc.describe());
        }
        if (retries != null) {
            ((VhostUserPort) p).txRetriesMax(retries);
            LOG.info("bridge " + br.name + ": port " + p.name() + ": tx-retries-max " + retries);
        }
        if (bfdCfg != null) bfd.configure(br, p, bfdCfg);
        return "";
    }

    /** The KEY=VALUE settings of add-port BR NAME KEY=VALUE... */
    private static Map<String, String> settings(List<String> args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String kv : args.subList(3, args.size())) {
            int eq = kv.indexOf('=');
            m.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return m;
    }

    /** add-port BR NAME type=vxlan|geneve remote_ip=... key=... [ofport=N]: OVS's tunnel options, checked as in the file. */
    private Config.PortConfig tunnelPort(Bridge br, String name, Map<String, String> m) {
        TunnelConfig tc;
        int ofport;
        try {
            ofport = m.containsKey("ofport") ? Integer.parseInt(m.get("ofport")) : freeOfport(br.name);
            if (ofport < 1 || ofport > 0xfeff) throw new ControlException("ofport: " + m.get("ofport") + " is not in 1..65279");
            tc = TunnelConfig.parse(m, name);
        } catch (NumberFormatException e) {
            throw new ControlException("ofport: \"" + m.get("ofport") + "\" is not a number");
        } catch (io.xvio.datapath.tunnel.TunnelConfigException e) {
            throw new ControlException(e.getMessage());
        }
        if (!tunnels.any() && !tunnels.kernelCandidates(bridges.values()))
            throw new ControlException("tunnel port " + name + " needs an underlay: a bridge with ip: ADDR/LEN or ip: kernel (the tunnel endpoint) and an uplink port");
        return new Config.PortConfig(name, m.get("type"), ofport, null, null, 0, false, null, false, 0, -1, false, tc);
    }

    /** tnl routes [add|del] | tnl neigh [set BRIDGE IP MAC | flush [BRIDGE]]: the underlay's route table and neighbour caches. */
    private synchronized String tnl(List<String> args, boolean json) {
        String what = args.size() > 1 ? args.get(1) : "";
        return switch (what) {
            case "routes" -> TnlRoutes.run(args, json, tunnels, bridges);
            case "neigh" -> TnlNeigh.run(args, json, tunnels, bridges);
            default -> throw new ControlException("tnl needs \"routes\" or \"neigh\" (" + TnlRoutes.USAGE + ", " + TnlNeigh.USAGE + ")");
        };
    }

    /**
     * After a port or bridge change: stops polling the underlay bridges' queues (so no PMD thread decapsulates into
     * the overlays with the old port offsets), then rebuilds the tunnel endpoints; the caller assigns every queue again.
     */
    private void retunnel() { retunnel(Set.of()); }

    /** As {@link #retunnel()}; the queues of also stop being polled too (bridges that become or stop being underlays). */
    private void retunnel(Set<io.xvio.datapath.BridgeDatapath> also) {
        if (!tunnels.any() && also.isEmpty()) return;
        List<RxQueue> others = new ArrayList<>(rxQueues());
        Set<io.xvio.datapath.BridgeDatapath> patched = patches.involved();     // their arrays wait for repatch()
        others.removeIf(q -> q.datapath() != null && (q.datapath().underlay() != null || patched.contains(q.datapath()) || also.contains(q.datapath())));
        pmds.assign(others);
        tunnels.rebuild(bridges.values());
        bfd.retain(bridges.values());
    }

    /**
     * The tunnel timer's look at the kernel's addresses on the bridges' LOCAL taps: when a bridge becomes a tunnel
     * endpoint, stops being one or its addresses change, its queues and the other underlays' stop being polled (their
     * port arrays change: an underlay's carries the overlays' ports), the endpoints are rebuilt, and every queue is
     * assigned again.
     */
    private void kernelUnderlays() {
        Set<Bridge> changed = tunnels.syncKernel(bridges.values());
        if (changed.isEmpty()) return;
        Set<io.xvio.datapath.BridgeDatapath> stop = new HashSet<>();
        for (Bridge b : changed) stop.add(b.datapath);
        try {
            retunnel(stop);
        } finally {                                    // whatever happened, every queue is polled again
            repatch();
            pmds.assign(rxQueues());
        }
    }

    /**
     * After a port or bridge change (and after {@link #retunnel}): rewires the patch pairs. The queues of every bridge
     * whose port array holds patch ports, before or after, stop being polled first (their arrays and the datapaths'
     * layouts change together); the caller assigns every queue again.
     */
    private void repatch() {
        Patches.Plan plan = Patches.plan(bridges.values(), br -> tunnels.portArray(br, bridges.values()));
        if (plan.arrays().isEmpty() && !patches.any()) {
            patches.apply(plan, bridges.values());       // the states of patch ports without a working peer
            return;
        }
        quiescePatched(plan.involved());
        patches.apply(plan, bridges.values());
    }

    /** Stops polling the queues of bridges whose port arrays hold patch ports now, and of extra. */
    private void quiescePatched(Set<io.xvio.datapath.BridgeDatapath> extra) {
        Set<io.xvio.datapath.BridgeDatapath> stop = patches.involved();
        if (stop.isEmpty() && extra.isEmpty()) return;
        List<RxQueue> others = new ArrayList<>(rxQueues());
        others.removeIf(q -> q.datapath() != null && (stop.contains(q.datapath()) || extra.contains(q.datapath())));
        pmds.assign(others);
    }

    /** del-port BR NAME. */
    private String delPort(List<String> args) {
        Bridge br = bridge(args, 1);
        if (args.size() < 3) throw new ControlException("del-port needs a port name");
        removePort(br.name, args.get(2));
        return "";
    }

    // ---- typed entry points: the CLI's string commands and the OVSDB client both change the switch through these ----

    /** The bridges' names, in creation order. */
    public synchronized List<String> bridgeNames() { return List.copyOf(bridges.keySet()); }

    /**
     * Adds an empty bridge whose only flow is OVS's default priority=0 actions=NORMAL. Its name must be an interface
     * name (its internal interface and its BRIDGE.mgmt socket take it): a name such as "../x" would put the socket
     * outside the run directory.
     */
    public synchronized void addBridge(String name) {
        if (!io.xvio.sys.Netdev.validName(name))
            throw new ControlException("bridge name \"" + Logging.excerpt(name, 40) + "\" is not a valid interface name (1-15 bytes, no '/', ':', '%' "
                    + "or spaces, not . or ..): a bridge's internal interface and OpenFlow socket take its name");
        if (bridges.containsKey(name)) throw new ControlException("bridge " + name + " already exists");
        Bridge br = new Bridge(name, conntrack);
        br.quiescence = pmds;
        br.setFlows(List.of());
        if (openflow != null) openflow.add(br, ControllerSettings.NONE);     // its BRIDGE.mgmt socket
        bridges.put(name, br);
        unconfigured.add(name);
        LOG.info("bridge " + name + ": added (no flows: L2 learning switch)");
    }

    /**
     * The OpenFlow SSL/TLS files (OVSDB's Open_vSwitch ssl column, its SSL row: private_key, certificate, ca_cert,
     * bootstrap_ca_cert; TlsSettings.NONE when the column is empty): every bridge's ssl: and pssl: targets use them
     * for their next connections. The seam for the OVSDB client.
     */
    public synchronized void setSsl(io.xvio.openflow.TlsSettings settings) {
        if (openflow != null) openflow.setTls(settings);
    }

    /**
     * A bridge's OpenFlow controllers, fail mode and inactivity probe (OVSDB's Bridge controller and fail_mode). As
     * OVS's connmgr: the first settings of a bridge added at run time, and a fail mode change while it has no
     * controller, flush its flows, leaving the default NORMAL flow only in fail_mode standalone without controllers
     * (a secure bridge forwards nothing until a controller says so: ovn-controller's br-int).
     */
    public synchronized void setControllers(String bridge, ControllerSettings settings) {
        Bridge br = bridges.get(bridge);
        if (br == null) throw new ControlException("no bridge named \"" + bridge + "\"");
        io.xvio.openflow.OfChannels.FailMode was = openflow != null ? openflow.failMode(bridge) : null;
        boolean first = unconfigured.remove(bridge);
        if (openflow != null) openflow.configure(bridge, settings);
        boolean secure = settings.failMode() == io.xvio.openflow.OfChannels.FailMode.SECURE, none = settings.targets().isEmpty();
        boolean flush = first ? secure || !none : none && was != settings.failMode();
        if (!flush) return;
        if (!secure && none) br.setFlows(List.of());
        else br.delFlows(f -> true);
        LOG.info("bridge " + bridge + ": flows flushed (fail_mode " + settings.failMode().text() + ", "
                + (none ? "no controller" : "controllers " + settings.targets()) + "): "
                + (!secure && none ? "L2 learning switch (priority=0 actions=NORMAL)" : "no flows until a controller adds them"));
    }

    /** Bridges added at run time whose controllers and fail mode were never set (their first setting flushes). */
    private final java.util.Set<String> unconfigured = new java.util.HashSet<>();

    /**
     * OVSDB's Bridge protocols (versions: a bitmap of OpenFlow wire versions, as {@link io.xvio.openflow.OfVersion#BITMAP})
     * and other_config datapath-id (0: the bridge's own): what its OpenFlow connections negotiate and are told.
     */
    public synchronized void setOpenFlowIdentity(String bridge, int versions, long datapathId) {
        if (!bridges.containsKey(bridge)) throw new ControlException("no bridge named \"" + bridge + "\"");
        if (openflow != null) openflow.identity(bridge, versions, datapathId);
    }

    /** The datapath id of a bridge's OpenFlow features replies (what OVSDB's Bridge datapath_id shows). */
    public synchronized long datapathId(String bridge) {
        return openflow != null && bridges.containsKey(bridge) ? openflow.datapathId(bridge) : io.xvio.openflow.OfChannels.defaultDatapathId(bridge);
    }

    /** A bridge's controllers and their connection state (OVSDB's Controller rows); empty for an unknown bridge. */
    public synchronized List<io.xvio.openflow.ControllerInfo> controllerInfo(String bridge) {
        return openflow != null && bridges.containsKey(bridge) ? openflow.controllerInfo(bridge) : List.of();
    }

    /** Removes a bridge with all its ports (their connections and interfaces are closed). */
    public synchronized void removeBridge(String name) {
        unconfigured.remove(name);
        Bridge br = bridges.get(name);
        if (br == null) throw new ControlException("no bridge named \"" + name + "\"");
        quiescePatched(Set.of());
        bridges.remove(name);
        retunnel();
        repatch();
        if (openflow != null) openflow.remove(name);
        mirrors.bridgeRemoved(br);
        pmds.assign(rxQueues());       // no PMD polls its ports any more
        for (Port p : br.ports) {
            pins.remove(p);
            captures.portRemoved(p);
            try {
                p.close();
            } catch (RuntimeException e) {
                LOG.warning("closing port " + p.name() + ": " + e.getMessage());
            }
        }
        LOG.info("bridge " + name + ": deleted with " + br.ports.size() + " port(s)");
    }

    /** The lowest OpenFlow port number not used on bridge. */
    public synchronized int freeOfport(String bridge) {
        Bridge br = bridges.get(bridge);
        Set<Integer> used = new HashSet<>();
        if (br != null) for (Port p : br.ports) used.add(p.ofport());
        int next = 1;
        while (used.contains(next)) next++;
        return next;
    }

    /**
     * Creates, publishes and starts the port pc describes on bridge, with the VLAN mode vlan. Throws
     * {@link ControlException} when the name, ofport, socket path or interface is taken or the port cannot be made.
     */
    public synchronized Port addPort(String bridge, Config.PortConfig pc, io.xvio.datapath.PortVlan vlan) {
        Bridge br = bridges.get(bridge);
        if (br == null) throw new ControlException("no bridge named \"" + bridge + "\"");
        for (Bridge b : bridges.values()) if (b.port(pc.name()) != null) throw new ControlException("port " + pc.name() + " already exists on bridge " + b.name);
        if (relays.has(pc.name())) throw new ControlException("port " + pc.name() + ": the name is a relay's");
        relays.checkFree(null, pc.path(), pc.type().equals("tap") ? null : pc.device());
        for (Port p : br.ports) if (p.ofport() == pc.ofport()) throw new ControlException("ofport " + pc.ofport() + " is already used on bridge " + br.name);
        for (Bridge b : bridges.values())
            for (Port p : b.ports)
                if (pc.path() != null && pc.path().equals(p.details().get("path"))) throw new ControlException("path " + pc.path() + " is used by port " + p.name());
        if (pc.path() != null && Config.samePath(pc.path(), controlPath)) throw new ControlException("path " + pc.path() + " is the control socket");
        if (pc.pmdCpu() >= 0 && pmds.threadOnCpu(pc.pmdCpu()) < 0) throw new ControlException("pmd-cpu " + pc.pmdCpu() + ": no PMD thread runs on that CPU (pmd-cpus)");
        // one uplink port per interface (an interface has one XDP program, and two receivers would each see every frame)
        for (Bridge b : bridges.values())
            for (Port p : b.ports)
                if (pc.device() != null && !pc.type().equals("tap") && pc.device().equals(p.details().get("device")))
                    throw new ControlException("interface " + pc.device() + " is used by port " + p.name());
        Port p;
        try {
            p = addPortTo(br, pc, vlan);
        } catch (RuntimeException e) {
            throw new ControlException("cannot create port " + pc.name() + ": " + e.getMessage());
        }
        if (patches.involved().contains(br.datapath)) quiescePatched(Set.of());   // other bridges' arrays hold br's ports
        br.publish();                 // appended: existing port indices do not move
        mirrors.refresh(br);          // a select-all mirror takes it, a mirror waiting for its output port starts
        retunnel();
        repatch();
        pmds.assign(rxQueues());
        p.start();
        return p;
    }

    /** Removes a port: the bridge pauses for a moment (packets wait in the rings), then runs without it. */
    public synchronized void removePort(String bridge, String name) {
        Bridge br = bridges.get(bridge);
        if (br == null) throw new ControlException("no bridge named \"" + bridge + "\"");
        Port p = br.port(name);
        if (p == null) throw new ControlException("bridge " + br.name + " has no port " + name);
        // stop polling the whole bridge, so no PMD holds port indices from before the change
        List<RxQueue> others = new ArrayList<>(rxQueues());
        Set<io.xvio.datapath.BridgeDatapath> patched = patches.involved();     // their arrays hold br's ports too
        others.removeIf(q -> q.datapath() == br.datapath || patched.contains(q.datapath()));
        pmds.assign(others);
        int idx = br.ports.indexOf(p);
        br.ports.remove(idx);
        br.vlans.remove(idx);
        br.datapath.macs().flushAll();
        br.publish();
        retunnel();
        repatch();
        mirrors.refresh(br);        // before the port closes: no mirror sends to it or watches it any more
        pmds.assign(rxQueues());
        captures.portRemoved(p);
        p.close();
        pins.remove(p);
        LOG.info("bridge " + br.name + ": port " + p.name() + " deleted");
    }

    /** add-relay NAME KEY=VALUE... or add-relay NAME '{vhost: {...}, vf: {...}, cpus: {...}}'. */
    private synchronized String addRelay(List<String> args) {
        if (args.size() < 3) throw new ControlException("add-relay needs a name and its settings, e.g. add-relay vm1 vhost.path=/tmp/vm1.sock vf.device=eth1 vf.type=afxdp");
        String name = args.get(1);
        RelayConfig rc;
        try {
            rc = RelayConfig.fromCommand(name, args.subList(2, args.size()), config.pmdCpus());
        } catch (ConfigException e) {
            throw new ControlException(e.getMessage().replaceFirst("^add-relay: ", ""));
        }
        addRelay(rc);
        return "";
    }

    /** Creates, polls and starts a relay; refuses a name, path or interface a bridge port or relay already has. */
    public synchronized void addRelay(RelayConfig rc) {
        for (Bridge b : bridges.values()) {
            if (b.port(rc.name()) != null) throw new ControlException("relay " + rc.name() + ": the name is a port's on bridge " + b.name);
            for (Port p : b.ports) {
                if (Objects.equals(p.details().get("path"), rc.vhost().path())) throw new ControlException("relay " + rc.name() + ": path " + rc.vhost().path() + " is used by port " + p.name());
                if (rc.vf().device().equals(p.details().get("device"))) throw new ControlException("relay " + rc.name() + ": interface " + rc.vf().device() + " is used by port " + p.name());
            }
        }
        if (Config.samePath(rc.vhost().path(), controlPath)) throw new ControlException("relay " + rc.name() + ": path " + rc.vhost().path() + " is the control socket");
        Relays.Relay r = relays.add(rc, this::createPort);
        pmds.assign(rxQueues());
        r.vhost().start();
        r.vf().start();
    }

    /** del-relay NAME: stops polling the relay, then closes its ports. */
    private synchronized String delRelay(List<String> args) {
        if (args.size() != 2) throw new ControlException("del-relay needs a relay name");
        removeRelay(args.get(1));
        return "";
    }

    /** Stops polling relay name, then closes its ports; ControlException if there is none. */
    public synchronized void removeRelay(String name) {
        Relays.Relay r = relays.remove(name);
        pmds.assign(rxQueues());
        captures.portRemoved(r.vhost());
        captures.portRemoved(r.vf());
        r.vhost().close();
        r.vf().close();
        LOG.info("relay " + name + ": deleted");
    }

    /** Relay name's status (its VF side's, with the vhost side's when that is not up), or null if there is none. */
    public synchronized String relayStatus(String name) {
        for (Relays.Relay r : relays.all()) {
            if (!r.config().name().equals(name)) continue;
            String vf = r.vf().status(), vh = r.vhost().status();
            return vh.equals("up") ? vf : "vf " + vf + ", vhost " + vh;
        }
        return null;
    }

    /** show-mirrors --format json: {"mirrors": [...]}. */
    record MirrorsModel(List<Mirrors.View> mirrors) {}

    /** Adds a mirror to bridge (from the database); ControlException when the bridge or the mirror cannot take it. */
    public synchronized void addMirror(String bridge, MirrorConfig mc) {
        Bridge br = bridges.get(bridge);
        if (br == null) throw new ControlException("no bridge named \"" + bridge + "\"");
        mirrors.add(br, mc);
    }

    /** Removes bridge's mirror name (from the database); ControlException if there is none. */
    public synchronized void removeMirror(String bridge, String name) {
        Bridge br = bridges.get(bridge);
        if (br == null) throw new ControlException("no bridge named \"" + bridge + "\"");
        mirrors.remove(br, name);
    }

    /** add-mirror BRIDGE NAME KEY=VALUE... (MirrorConfig's keys). */
    private String addMirror(List<String> args) {
        if (args.size() < 4) throw new ControlException("add-mirror needs a bridge, a name and settings, e.g. add-mirror br0 m0 select-src-port=vm1 output-port=tap0");
        Bridge br = bridge(args, 1);
        MirrorConfig mc;
        try {
            mc = MirrorConfig.fromCommand(args.get(2), args.subList(3, args.size()), Mirrors.portNames(br));
        } catch (ConfigException e) {
            throw new ControlException(e.getMessage().replaceFirst("^add-mirror: ", ""));
        }
        mirrors.add(br, mc);
        return "";
    }

    /** The port named args[i] on any bridge or relay (port names are unique), or a ControlException. */
    private Port anyPort(List<String> args, int i) {
        if (args.size() <= i) throw new ControlException(args.getFirst() + " needs a port name");
        String name = args.get(i);
        for (Bridge br : bridges.values()) {
            Port p = br.port(name);
            if (p != null) return p;
        }
        for (Relays.Relay r : relays.all()) for (Port p : List.of(r.vhost(), r.vf())) if (p.name().equals(name)) return p;
        throw new ControlException("no port named \"" + name + "\"");
    }

    /** The port named name on bridge, or null. */
    /** Bridge's datapath, or null: no such bridge (for tests that look at its MAC table or caches). */
    synchronized io.xvio.datapath.BridgeDatapath datapath(String bridge) {
        Bridge br = bridges.get(bridge);
        return br == null ? null : br.datapath;
    }

    /**
     * Applies an Interface row's bfd column to port name of bridge (OVSDB; an absent or empty column stops the
     * session). Nothing if there is no such port.
     */
    public synchronized void setBfd(String bridge, String name, Map<String, String> cfg) {
        Bridge br = bridges.get(bridge);
        Port p = br == null ? null : br.port(name);
        if (p != null) bfd.configure(br, p, cfg);
    }

    /** The Interface's bfd_status (OVS's keys), empty without a session. */
    public Map<String, String> bfdStatus(String bridge, String name) { return bfd.status(bridge, name); }

    public synchronized Port port(String bridge, String name) {
        Bridge br = bridges.get(bridge);
        return br == null ? null : br.port(name);
    }

    /** The config's tx-flush-interval (us): what an OVSDB other_config:tx-flush-interval that goes away reverts to. */
    public int configuredTxFlushInterval() { return config.txFlushInterval(); }

    /** The CPU each PMD thread is pinned to (-1: not pinned); the threads are made at start. */
    public List<Integer> pmdCpus() {
        List<Integer> cpus = new ArrayList<>();
        for (PmdThread t : pmds.threads()) cpus.add(t.cpu());
        return cpus;
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
