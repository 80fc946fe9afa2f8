package io.xvio.control;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FragMode;
import io.xvio.datapath.Group;
import io.xvio.datapath.GroupParser;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.PortVlan;
import io.xvio.port.VhostUserPort;
import io.xvio.sys.Netdev;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Parse;
import org.snakeyaml.engine.v2.events.Event;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

/**
 * The daemon's YAML configuration. The shape is a contract that later versions extend, never break:
 * <pre>
 * pmd-cpus: [1]
 * pmd-idle: busy | adaptive
 * control-socket: /run/xvio/xvio.sock
 * metrics: 127.0.0.1:9475
 * control-group: xvio
 * bridges:
 *   br0:
 *     ports:
 *       vhA: {type: vhostuser, path: /tmp/vhA.sock, mode: server, ofport: 1}
 *       tap0: {type: tap, name: tap0, ofport: 2}
 *       up0: {type: afpacket, device: veth0, ofport: 3}
 *       up1: {type: afxdp, device: veth1, queue: 0, ofport: 4}
 *     flows: ["in_port=1,actions=output:2"]
 * </pre>
 * Unknown keys are errors (a typo must not be silently ignored). The file must be UTF-8 text, nested at most
 * {@link #MAX_DEPTH} levels deep.
 */
public record Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges,
                     String metrics, String controlGroup, Map<String, RelayConfig> relays, AutoLbConfig autoLb,
                     ConntrackConfig conntrack, io.xvio.openflow.TlsSettings ssl, int txFlushInterval) {
    /** Deepest nesting of mappings and lists a config may have (the real shape needs 6). */
    static final int MAX_DEPTH = 50;

    /**
     * txFlushInterval (key tx-flush-interval, OVS's other_config:tx-flush-interval): microseconds a frame may wait in
     * a port that sends several bursts with one system call (AF_XDP, HeldTx); 0 sends every burst at once.
     */
    public Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges,
                  String metrics, String controlGroup, Map<String, RelayConfig> relays, AutoLbConfig autoLb,
                  ConntrackConfig conntrack, io.xvio.openflow.TlsSettings ssl) {
        this(pmdCpus, pmdIdle, controlSocket, bridges, metrics, controlGroup, relays, autoLb, conntrack, ssl, io.xvio.port.HeldTx.DEFAULT_HOLD_MICROS);
    }

    public Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges) {
        this(pmdCpus, pmdIdle, controlSocket, bridges, null, null);
    }

    public Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges,
                  String metrics, String controlGroup) {
        this(pmdCpus, pmdIdle, controlSocket, bridges, metrics, controlGroup, Map.of(), AutoLbConfig.DEFAULT);
    }

    public Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges,
                  String metrics, String controlGroup, Map<String, RelayConfig> relays, AutoLbConfig autoLb, ConntrackConfig conntrack) {
        this(pmdCpus, pmdIdle, controlSocket, bridges, metrics, controlGroup, relays, autoLb, conntrack, io.xvio.openflow.TlsSettings.NONE);
    }

    public Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges,
                  String metrics, String controlGroup, Map<String, RelayConfig> relays, AutoLbConfig autoLb) {
        this(pmdCpus, pmdIdle, controlSocket, bridges, metrics, controlGroup, relays, autoLb, ConntrackConfig.DEFAULT);
    }

    /** This config with PMD threads on cpus (OVSDB's pmd-cpu-mask). */
    public Config withPmdCpus(List<Integer> cpus) { return new Config(List.copyOf(cpus), pmdIdle, controlSocket, bridges, metrics, controlGroup, relays, autoLb, conntrack, ssl, txFlushInterval); }

    /** metrics: HOST:PORT where /metrics is served (Prometheus text format), or null for none. */
    public Config withMetrics(String address) { return new Config(pmdCpus, pmdIdle, controlSocket, bridges, address, controlGroup, relays, autoLb, conntrack, ssl, txFlushInterval); }

    /** The OpenFlow SSL/TLS files (YAML ssl:, the daemon's --private-key etc. filling what it leaves unset). */
    public Config withSsl(io.xvio.openflow.TlsSettings s) { return new Config(pmdCpus, pmdIdle, controlSocket, bridges, metrics, controlGroup, relays, autoLb, conntrack, s, txFlushInterval); }

    /**
     * vlans: each port's VLAN mode for NORMAL (tag: access port; trunks: the VLANs a trunk carries). frag: how IP
     * fragments meet the flow tables (key "frag", as ovs-ofctl set-frag); forwardBpdu: NORMAL forwards frames to
     * reserved multicast addresses (key "forward-bpdu", OVS's other_config:forward-bpdu).
     */
    public record BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans,
                               FragMode frag, boolean forwardBpdu, List<Group> groups, ControllerSettings controller,
                               io.xvio.datapath.tunnel.UnderlayConfig underlay, List<io.xvio.datapath.meter.MeterConfig> meters,
                               List<MirrorConfig> mirrors, Map<String, Map<String, String>> bfd) {
        /** Without BFD (a tunnel port's key "bfd": BfdConfig; by port name). */
        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans,
                            FragMode frag, boolean forwardBpdu, List<Group> groups, ControllerSettings controller,
                            io.xvio.datapath.tunnel.UnderlayConfig underlay, List<io.xvio.datapath.meter.MeterConfig> meters,
                            List<MirrorConfig> mirrors) {
            this(name, ports, flows, vlans, frag, forwardBpdu, groups, controller, underlay, meters, mirrors, Map.of());
        }

        /** Without mirrors (key "mirrors": MirrorConfig). */
        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans,
                            FragMode frag, boolean forwardBpdu, List<Group> groups, ControllerSettings controller,
                            io.xvio.datapath.tunnel.UnderlayConfig underlay, List<io.xvio.datapath.meter.MeterConfig> meters) {
            this(name, ports, flows, vlans, frag, forwardBpdu, groups, controller, underlay, meters, List.of());
        }

        /** Without meters (key "meters": a list of meters in add-meter's syntax). */
        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans,
                            FragMode frag, boolean forwardBpdu, List<Group> groups, ControllerSettings controller,
                            io.xvio.datapath.tunnel.UnderlayConfig underlay) {
            this(name, ports, flows, vlans, frag, forwardBpdu, groups, controller, underlay, List.of());
        }

        /** A bridge without an underlay (no ip:/routes:). */
        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans,
                            FragMode frag, boolean forwardBpdu, List<Group> groups, ControllerSettings controller) {
            this(name, ports, flows, vlans, frag, forwardBpdu, groups, controller, io.xvio.datapath.tunnel.UnderlayConfig.NONE);
        }

        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans,
                            FragMode frag, boolean forwardBpdu, List<Group> groups) {
            this(name, ports, flows, vlans, frag, forwardBpdu, groups, ControllerSettings.NONE);
        }

        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans) {
            this(name, ports, flows, vlans, FragMode.NORMAL, false, List.of());
        }

        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows) {
            this(name, ports, flows, Map.of());
        }

        public PortVlan vlan(String port) { return vlans.getOrDefault(port, PortVlan.TRUNK_ALL); }
    }

    /**
     * One port. vhostuser: path, mode, queues, mergeable. tap: device is the interface xvio creates (key
     * "name", default: the port's name). afpacket: device is the existing interface it attaches to. afxdp: device
     * and queue, the interface's receive queue its AF_XDP socket binds to (default 0). Any type: pmdCpu (key
     * "pmd-cpu"), the CPU whose PMD thread must poll the port's receive queues (-1: pmd-auto-lb places them).
     */
    public record PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                             String device, boolean packed, int queue, int pmdCpu, boolean offloads,
                             io.xvio.datapath.tunnel.TunnelConfig tunnel, PolicingConfig policing, int mtu, boolean uplinkOffloadsOff,
                             int txRetriesMax) {
        /** A vhostuser port's tx retries (key tx-retries-max, OVS's Interface option, 0..32); -1: the default, 8. */
        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed, int queue, int pmdCpu, boolean offloads,
                          io.xvio.datapath.tunnel.TunnelConfig tunnel, PolicingConfig policing, int mtu, boolean uplinkOffloadsOff) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, mtu, uplinkOffloadsOff, -1);
        }

        /** With the uplink's offloads on (tap, afpacket: key {@code offloads: false} turns them off, {@link #uplinkOffloadsOff}). */
        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed, int queue, int pmdCpu, boolean offloads,
                          io.xvio.datapath.tunnel.TunnelConfig tunnel, PolicingConfig policing, int mtu) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, mtu, false);
        }

        /** Without an mtu (key "mtu", OVS's mtu_request: {@link MtuSetting}; 0: the port type's default). */
        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed, int queue, int pmdCpu, boolean offloads,
                          io.xvio.datapath.tunnel.TunnelConfig tunnel, PolicingConfig policing) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, 0);
        }

        /** This port with an MTU (0: the type's default; the caller checked it: {@link MtuSetting}). */
        public PortConfig withMtu(int m) {
            return new PortConfig(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, m, uplinkOffloadsOff, txRetriesMax);
        }

        /** Without policing (keys ingress-policing-rate, ingress-policing-burst, egress-policer: {@link PolicingConfig}). */
        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed, int queue, int pmdCpu, boolean offloads,
                          io.xvio.datapath.tunnel.TunnelConfig tunnel) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, PolicingConfig.NONE);
        }

        /** A port that is not a tunnel (tunnel: the options of a vxlan/geneve port, issue 16). */
        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed, int queue, int pmdCpu, boolean offloads) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, null);
        }

        /** A port on a kernel interface (type afpacket, afxdp or tap) with the defaults: one queue, no options. */
        public static PortConfig netdev(String name, String type, int ofport, String device) {
            return new PortConfig(name, type, ofport, null, null, 1, false, device, false, 0);
        }

        /** A patch port (type patch): the peer's name is kept in {@link #mode} (a patch has no other use for it). */
        public static PortConfig patch(String name, int ofport, String peer) {
            return new PortConfig(name, "patch", ofport, null, peer, 0, false, null, false, 0);
        }

        /** A patch port's peer (options:peer), else null. */
        public String peer() { return type.equals("patch") ? mode : null; }

        PortConfig withPolicing(PolicingConfig p) { return new PortConfig(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, p, mtu, uplinkOffloadsOff, txRetriesMax); }

        /** offloads (vhostuser; the YAML key defaults to true, these constructors to false): offer checksum and TSO offloads to the guest. */
        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed, int queue) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, -1, false);
        }

        public PortConfig withOfport(int n) { return new PortConfig(name, type, n, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, mtu, uplinkOffloadsOff, txRetriesMax); }

        PortConfig withPmdCpu(int cpu) { return new PortConfig(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, cpu, offloads, tunnel, policing, mtu, uplinkOffloadsOff, txRetriesMax); }

        /** A tap or afpacket port with its offloads off (key {@code offloads: false}): no offload state crosses it. */
        PortConfig withUplinkOffloadsOff(boolean off) { return new PortConfig(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, mtu, off, txRetriesMax); }

        PortConfig withTxRetriesMax(int n) { return new PortConfig(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, offloads, tunnel, policing, mtu, uplinkOffloadsOff, n); }

        PortConfig withOffloads(boolean o) { return new PortConfig(name, type, ofport, path, mode, queues, mergeable, device, packed, queue, pmdCpu, o, tunnel, policing, mtu, uplinkOffloadsOff, txRetriesMax); }

        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device, boolean packed) {
            this(name, type, ofport, path, mode, queues, mergeable, device, packed, 0);
        }

        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable) {
            this(name, type, ofport, path, mode, queues, mergeable, null, false);
        }

        public PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                          String device) {
            this(name, type, ofport, path, mode, queues, mergeable, device, false);
        }
    }

    public static Config load(Path file) {
        return load(file, true);
    }

    /** bridgesRequired false: a file without bridges is fine (under OVSDB the database names the bridges). */
    public static Config load(Path file, boolean bridgesRequired) {
        String text;
        try {
            text = TextFile.readUtf8(file);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return parse(text, file.toString(), bridgesRequired);
    }

    /** No bridges, one unpinned PMD thread that spins: the daemon's settings when OVSDB alone configures it. */
    public static Config empty() {
        return new Config(List.of(), "busy", null, Map.of());
    }

    public static Config parse(String text, String source) {
        return parse(text, source, true);
    }

    public static Config parse(String text, String source, boolean bridgesRequired) {
        Object root;
        try {
            LoadSettings settings = LoadSettings.builder().setLabel(source).setAllowDuplicateKeys(false).build();
            checkDepth(settings, text, source);
            root = new Load(settings).loadFromString(text);
        } catch (YamlEngineException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage());
        }
        if (root == null && !bridgesRequired) return empty();
        if (root == null) throw new ConfigException(source + ": empty configuration (needs at least \"bridges:\")");
        Map<String, Object> top = map(root, source, "top level");
        keys(top, source, "top level", "pmd-cpus", "pmd-idle", "control-socket", "control-group", "metrics", "bridges", "relays", "pmd-auto-lb", "conntrack", "ssl", "tx-flush-interval");
        List<Integer> cpus = new ArrayList<>();
        Object c = top.get("pmd-cpus");
        if (c != null) {
            if (!(c instanceof List<?> l)) throw new ConfigException(source + ": pmd-cpus must be a list of CPU numbers, e.g. [1]");
            List<Integer> allowed = io.xvio.sys.Affinity.allowedCpus();
            if (l.size() > io.xvio.datapath.BridgeDatapath.MAX_THREADS)
                throw new ConfigException(source + ": pmd-cpus lists " + l.size() + " CPUs; xvio runs at most "
                        + io.xvio.datapath.BridgeDatapath.MAX_THREADS + " PMD threads");
            for (Object o : l) {
                int cpu = integer(o, source, "pmd-cpus", 0, 1023);
                if (!allowed.contains(cpu))
                    throw new ConfigException(source + ": pmd-cpus: CPU " + cpu + " is not available to this process (it may run on CPUs "
                            + cpuRanges(allowed) + ": its affinity mask, see taskset(1))");
                if (cpus.contains(cpu)) throw new ConfigException(source + ": pmd-cpus: CPU " + cpu + " listed twice");
                cpus.add(cpu);
            }
        }
        String idle = string(top.getOrDefault("pmd-idle", "busy"), source, "pmd-idle");
        if (!idle.equals("busy") && !idle.equals("adaptive"))
            throw new ConfigException(source + ": pmd-idle must be \"busy\" or \"adaptive\", not \"" + Logging.excerpt(idle, 60) + "\"");
        String control = top.containsKey("control-socket") ? string(top.get("control-socket"), source, "control-socket") : null;
        String metrics = top.containsKey("metrics") ? metricsAddress(string(top.get("metrics"), source, "metrics"), source + ": metrics") : null;
        String group = top.containsKey("control-group") ? string(top.get("control-group"), source, "control-group") : null;
        if (group != null && !group.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}"))
            throw new ConfigException(source + ": control-group: \"" + Logging.excerpt(group, 40) + "\" is not a group name");
        Object b = top.get("bridges");
        boolean relaysOnly = top.get("relays") != null;      // a relay-only switch needs no bridge
        if (b == null && bridgesRequired && !relaysOnly) throw new ConfigException(source + ": missing \"bridges:\"");
        Map<String, Object> bridgesRaw = b == null ? Map.of() : map(b, source, "bridges");
        if (bridgesRaw.isEmpty() && bridgesRequired && !relaysOnly) throw new ConfigException(source + ": bridges: at least one bridge is needed");
        Map<String, BridgeConfig> bridges = new LinkedHashMap<>();
        Set<String> portNames = new HashSet<>(), paths = new HashSet<>(), ifnames = new HashSet<>();
        for (var e : bridgesRaw.entrySet()) {
            String bn = e.getKey();
            String where = "bridges." + bn;
            checkName(bn, source, where);
            Map<String, Object> br = map(e.getValue(), source, where);
            keys(br, source, where, "ports", "flows", "groups", "frag", "forward-bpdu", "controller", "fail_mode", "inactivity_probe", "controller_rate_limit", "controller_burst_limit", "ip", "routes", "meters", "mirrors");
            ControllerSettings controller = ControllerSettings.parse(br, source, where);
            FragMode frag;
            try {
                frag = FragMode.parse(string(br.getOrDefault("frag", "normal"), source, where + ".frag"));
            } catch (IllegalArgumentException ex) {
                throw new ConfigException(source + ": " + where + ".frag: " + ex.getMessage());
            }
            if (!(br.getOrDefault("forward-bpdu", Boolean.FALSE) instanceof Boolean forwardBpdu))
                throw new ConfigException(source + ": " + where + ".forward-bpdu must be true or false");
            Map<String, Object> portsRaw = br.get("ports") == null ? Map.of() : map(br.get("ports"), source, where + ".ports");
            Map<String, PortConfig> ports = new LinkedHashMap<>();
            Set<Integer> ofports = new HashSet<>();
            Map<String, PortVlan> vlans = new LinkedHashMap<>();
            List<Map.Entry<String, Object>> auto = new ArrayList<>();
            for (var pe : portsRaw.entrySet()) {
                String pn = pe.getKey();
                String pw = where + ".ports." + pn;
                checkName(pn, source, pw);
                if (!portNames.add(pn)) throw new ConfigException(source + ": " + pw + ": port name \"" + pn + "\" is used twice");
                Map<String, Object> p = map(pe.getValue(), source, pw);
                p = new LinkedHashMap<>(p);
                vlans.put(pn, vlan(p.remove("tag"), p.remove("trunks"), source, pw));
                Object pin = p.remove("pmd-cpu");
                int pmdCpu = pin == null ? -1 : RelayConfig.pmdCpu(pin, source, pw + ".pmd-cpu", cpus);
                PolicingConfig policing = PolicingConfig.take(p, source, pw);
                Object rawType = p.get("type");
                if (p.containsKey("bfd") && !TunnelSettings.isTunnelType(rawType))
                    throw new ConfigException(source + ": " + pw + ".bfd: xvio runs BFD on tunnel ports only (type vxlan or geneve)");
                int mtu = rawType instanceof String rt ? MtuSetting.take(p, rt, source, pw) : 0;
                if (TunnelSettings.isTunnelType(rawType)) {     // options checked by TunnelSettings below
                    if (policing.any()) throw new ConfigException(source + ": " + pw + ": policing on a tunnel port is not supported by xvio (police the underlay's uplink)");
                    int ofport = p.containsKey("ofport") ? integer(p.get("ofport"), source, pw + ".ofport", 1, 0xfeff) : -1;
                    if (ofport > 0 && !ofports.add(ofport)) throw new ConfigException(source + ": " + pw + ".ofport: " + ofport + " is used by another port of " + bn);
                    ports.put(pn, new PortConfig(pn, (String) rawType, ofport, null, null, 0, false, null, false, 0).withPmdCpu(pmdCpu));
                    continue;
                }
                if ("patch".equals(rawType)) {                  // {type: patch, peer: NAME, ofport: N}
                    if (policing.any()) throw new ConfigException(source + ": " + pw + ": policing on a patch port is not supported by xvio");
                    keys(p, source, pw, "type", "peer", "ofport");
                    String peer = string(require(p, "peer", source, pw), source, pw + ".peer");
                    checkName(peer, source, pw + ".peer");
                    if (peer.equals(pn)) throw new ConfigException(source + ": " + pw + ".peer: " + pn + ": patch peer must not be self");
                    int ofport = p.containsKey("ofport") ? integer(p.get("ofport"), source, pw + ".ofport", 1, 0xfeff) : -1;
                    if (ofport > 0 && !ofports.add(ofport)) throw new ConfigException(source + ": " + pw + ".ofport: " + ofport + " is used by another port of " + bn);
                    ports.put(pn, PortConfig.patch(pn, ofport, peer));
                    continue;
                }
                if (rawType instanceof String t && (t.equals("tap") || t.equals("afpacket") || t.equals("afxdp"))) {
                    boolean off = uplinkOffloadsOff(p, t, source, pw);
                    ports.put(pn, netdevPort(p, pn, t, source, pw, bn, ofports, ifnames).withPmdCpu(pmdCpu).withPolicing(policing).withMtu(mtu).withUplinkOffloadsOff(off));
                    continue;
                }
                keys(p, source, pw, "type", "path", "mode", "ofport", "queues", "mergeable", "packed", "offloads", "tx-retries-max");
                String type = string(require(p, "type", source, pw), source, pw + ".type");
                if (!type.equals("vhostuser"))
                    throw new ConfigException(source + ": " + pw + ".type: unknown port type \"" + Logging.excerpt(type, 60) + "\" (supported: vhostuser, tap, afpacket, afxdp, vxlan, geneve, patch)");
                String path = string(require(p, "path", source, pw), source, pw + ".path");
                if (path.getBytes().length > 107) throw new ConfigException(source + ": " + pw + ".path: longer than 107 bytes (a Unix socket limit)");
                if (!paths.add(path)) throw new ConfigException(source + ": " + pw + ".path: " + path + " is used by another port");
                String mode = string(p.getOrDefault("mode", "server"), source, pw + ".mode");
                if (!mode.equals("server") && !mode.equals("client"))
                    throw new ConfigException(source + ": " + pw + ".mode must be \"server\" or \"client\", not \"" + Logging.excerpt(mode, 60) + "\"");
                int ofport = p.containsKey("ofport") ? integer(p.get("ofport"), source, pw + ".ofport", 1, 0xfeff) : -1;
                if (ofport > 0 && !ofports.add(ofport)) throw new ConfigException(source + ": " + pw + ".ofport: " + ofport + " is used by another port of " + bn);
                int queues = p.containsKey("queues") ? integer(p.get("queues"), source, pw + ".queues", 1, 16) : 8;
                Object mg = p.getOrDefault("mergeable", Boolean.TRUE);
                if (!(mg instanceof Boolean mergeable)) throw new ConfigException(source + ": " + pw + ".mergeable must be true or false");
                Object pk = p.getOrDefault("packed", Boolean.FALSE);
                if (!(pk instanceof Boolean packed)) throw new ConfigException(source + ": " + pw + ".packed must be true or false");
                Object ol = p.getOrDefault("offloads", Boolean.TRUE);
                if (!(ol instanceof Boolean offloads)) throw new ConfigException(source + ": " + pw + ".offloads must be true or false");
                int retries = p.containsKey("tx-retries-max")
                        ? integer(p.get("tx-retries-max"), source, pw + ".tx-retries-max", 0, VhostUserPort.TX_RETRIES_LIMIT) : -1;
                ports.put(pn, new PortConfig(pn, type, ofport, path, mode, queues, mergeable, null, packed).withPmdCpu(pmdCpu).withOffloads(offloads)
                        .withPolicing(policing).withMtu(mtu).withTxRetriesMax(retries));
            }
            // ports without an ofport get the lowest free numbers, in file order
            int next = 1;
            for (var pe : new ArrayList<>(ports.entrySet())) {
                if (pe.getValue().ofport() > 0) continue;
                while (ofports.contains(next)) next++;
                ofports.add(next);
                PortConfig pc = pe.getValue();
                ports.put(pe.getKey(), pc.withOfport(next));
            }
            List<Flow> flows = new ArrayList<>();
            Object fl = br.get("flows");
            if (fl != null) {
                if (!(fl instanceof List<?> l)) throw new ConfigException(source + ": " + where + ".flows must be a list of flow strings");
                for (int i = 0; i < l.size(); i++) {
                    String ft = string(l.get(i), source, where + ".flows[" + i + "]");
                    try {
                        flows.add(FlowParser.parse(ft));
                    } catch (FlowSyntaxException ex) {
                        throw new ConfigException(source + ": " + where + ".flows[" + i + "]: " + ex.getMessage());
                    }
                }
            }
            List<Group> groups = new ArrayList<>();
            Object gl = br.get("groups");
            if (gl != null) {
                if (!(gl instanceof List<?> l)) throw new ConfigException(source + ": " + where + ".groups must be a list of group strings");
                for (int i = 0; i < l.size(); i++) {
                    String gt = string(l.get(i), source, where + ".groups[" + i + "]");
                    try {
                        groups.add(GroupParser.parse(gt));
                    } catch (FlowSyntaxException ex) {
                        throw new ConfigException(source + ": " + where + ".groups[" + i + "]: " + ex.getMessage());
                    }
                }
            }
            List<io.xvio.datapath.meter.MeterConfig> meters = MeterCommands.fromConfig(br.get("meters"), source, where);
            List<MirrorConfig> mirrors = MirrorConfig.fromConfig(br.get("mirrors"), ports.keySet(), source, where);
            bridges.put(bn, new BridgeConfig(bn, ports, flows, vlans, frag, forwardBpdu, List.copyOf(groups), controller, io.xvio.datapath.tunnel.UnderlayConfig.NONE, meters, mirrors));
        }
        bridges = TunnelSettings.apply(TunnelSettings.parse(bridgesRaw, source), bridges);
        for (BridgeConfig bc : bridges.values()) {      // ip: kernel: the bridge's internal interface takes its name
            if (!bc.underlay().kernel()) continue;
            if (!portNames.add(bc.name())) throw new ConfigException(source + ": bridges." + bc.name() + ".ip: kernel: a port is named " + bc.name()
                    + ", the name the bridge's internal interface takes");
            if (!ifnames.add(bc.name())) throw new ConfigException(source + ": bridges." + bc.name() + ".ip: kernel: interface " + bc.name()
                    + " is used by a port, and the bridge's internal interface takes that name");
        }
        Map<String, RelayConfig> relays = new LinkedHashMap<>();
        if (top.get("relays") != null) {
            for (var re : map(top.get("relays"), source, "relays").entrySet()) {
                RelayConfig rc = RelayConfig.parse(re.getKey(), re.getValue(), source, "relays." + re.getKey(), cpus);
                if (portNames.contains(rc.name())) throw new ConfigException(source + ": relays." + rc.name() + ": the name is a bridge port's; a relay needs its own");
                for (PortConfig p : List.of(rc.vhost(), rc.vf())) {
                    if (p.path() != null && !paths.add(p.path())) throw new ConfigException(source + ": relays." + rc.name() + ".vhost.path: " + p.path() + " is used by another port or relay");
                    if (p.device() != null && !ifnames.add(p.device())) throw new ConfigException(source + ": relays." + rc.name() + ".vf.device: interface " + p.device() + " is used by another port or relay");
                }
                relays.put(rc.name(), rc);
            }
        }
        AutoLbConfig autoLb = AutoLbConfig.parse(top.get("pmd-auto-lb"), source);
        ConntrackConfig conntrack = ConntrackConfig.parse(top.get("conntrack"), source);
        int txFlush = top.get("tx-flush-interval") == null ? io.xvio.port.HeldTx.DEFAULT_HOLD_MICROS
                : integer(top.get("tx-flush-interval"), source, "tx-flush-interval", 0, io.xvio.port.HeldTx.MAX_HOLD_MICROS);
        Config config = new Config(List.copyOf(cpus), idle, control, bridges, metrics, group, relays, autoLb, conntrack, SslConfig.parse(top.get("ssl"), source), txFlush);
        if (control != null) {
            try {
                checkControlSocket(config, control);
            } catch (ConfigException e) {
                throw new ConfigException(source + ": control-socket: " + e.getMessage());
            }
        }
        return config;
    }

    /** Refuses a control socket path that is also a vhost-user port's path (one would take the other's place). */
    static void checkControlSocket(Config config, String controlPath) {
        for (BridgeConfig b : config.bridges().values())
            for (PortConfig p : b.ports().values())
                if (p.path() != null && samePath(p.path(), controlPath))
                    throw new ConfigException("control socket " + controlPath + " is also the path of port " + p.name() + " (bridge " + b.name() + ")");
        for (RelayConfig r : config.relays().values())
            if (samePath(r.vhost().path(), controlPath)) throw new ConfigException("control socket " + controlPath + " is also the vhost path of relay " + r.name());
    }

    /** Whether two paths name the same file, as far as their text tells (relative to here, "." and ".." resolved). */
    static boolean samePath(String a, String b) {
        try {
            return Path.of(a).toAbsolutePath().normalize().equals(Path.of(b).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            return a.equals(b);
        }
    }

    /**
     * Refuses mappings and lists nested deeper than MAX_DEPTH before the document is built (building it
     * recurses, and a deep enough document would overflow the stack). The parser itself does not recurse.
     */
    static void checkDepth(LoadSettings settings, String text, String source) {
        int depth = 0;
        for (Event e : new Parse(settings).parseString(text)) {
            if (e.getEventId() == Event.ID.MappingStart || e.getEventId() == Event.ID.SequenceStart) {
                if (++depth > MAX_DEPTH) {
                    String at = e.getStartMark().map(m -> " (line " + (m.getLine() + 1) + ", column " + (m.getColumn() + 1) + ")").orElse("");
                    throw new ConfigException(source + ": nested deeper than " + MAX_DEPTH + " levels" + at);
                }
            } else if (e.getEventId() == Event.ID.MappingEnd || e.getEventId() == Event.ID.SequenceEnd) {
                depth--;
            }
        }
    }

    /** Checks a metrics address (HOST:PORT, [IPV6]:PORT); where prefixes the error. */
    public static String metricsAddress(String address, String where) {
        try {
            MetricsServer.address(address);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ": " + e.getMessage());
        }
        return address;
    }

    /**
     * {type: tap, name: IFNAME, ofport: N} (name defaults to the port's), {type: afpacket, device: IFNAME, ofport: N}
     * or {type: afxdp, device: IFNAME, queue: Q, ofport: N} (queue defaults to 0).
     */
    private static PortConfig netdevPort(Map<String, Object> p, String pn, String type, String source, String pw, String bn,
                                         Set<Integer> ofports, Set<String> ifnames) {
        String key = type.equals("tap") ? "name" : "device";
        if (type.equals("afxdp")) keys(p, source, pw, "type", key, "queue", "ofport");
        else keys(p, source, pw, "type", key, "ofport");
        int queue = p.containsKey("queue") ? integer(p.get("queue"), source, pw + ".queue", 0, 4095) : 0;
        String ifname = type.equals("tap") && !p.containsKey("name") ? pn : string(require(p, key, source, pw), source, pw + "." + key);
        if (!Netdev.validName(ifname))
            throw new ConfigException(source + ": " + pw + "." + key + ": \"" + Logging.excerpt(ifname, 60) + "\" is not a valid interface name (1-15 characters, no '/', ':', '%' or spaces)");
        if (!ifnames.add(ifname)) throw new ConfigException(source + ": " + pw + "." + key + ": interface " + ifname + " is used by another port");
        int ofport = p.containsKey("ofport") ? integer(p.get("ofport"), source, pw + ".ofport", 1, 0xfeff) : -1;
        if (ofport > 0 && !ofports.add(ofport)) throw new ConfigException(source + ": " + pw + ".ofport: " + ofport + " is used by another port of " + bn);
        return new PortConfig(pn, type, ofport, null, null, 1, false, ifname, false, queue);
    }

    /**
     * Key offloads of a tap or afpacket port (removed from p): true (default) carries offload state both ways,
     * false keeps it off the port (returns true then). An afxdp port carries none: the key is refused there.
     */
    private static boolean uplinkOffloadsOff(Map<String, Object> p, String type, String source, String pw) {
        Object o = p.remove("offloads");
        if (o == null) return false;
        if (type.equals("afxdp")) throw new ConfigException(source + ": " + pw + ".offloads: an afxdp port carries no offload state (xvio segments and checksums what it sends)");
        if (!(o instanceof Boolean b)) throw new ConfigException(source + ": " + pw + ".offloads must be true or false");
        return !b;
    }

    /** tag: N (access port on VLAN N, 1..4095) or trunks: [N, ...] (VLANs a trunk carries; 0 = untagged). */
    private static PortVlan vlan(Object tag, Object trunks, String source, String pw) {
        if (tag != null && trunks != null) throw new ConfigException(source + ": " + pw + ": a port has \"tag\" (access) or \"trunks\", not both");
        if (tag != null) return new PortVlan(integer(tag, source, pw + ".tag", 1, 4095), null);
        if (trunks == null) return PortVlan.TRUNK_ALL;
        if (!(trunks instanceof List<?> l) || l.isEmpty()) throw new ConfigException(source + ": " + pw + ".trunks must be a non-empty list of VLAN ids, e.g. [10, 20]");
        BitSet set = new BitSet(4096);
        for (Object o : l) set.set(integer(o, source, pw + ".trunks", 0, 4095));
        return new PortVlan(0, set);
    }

    static void checkName(String n, String source, String where) {
        if (!n.matches("[A-Za-z0-9_.-]{1,15}"))
            throw new ConfigException(source + ": " + Logging.excerpt(where, 80) + ": name \"" + Logging.excerpt(n, 40) + "\" must be 1-15 letters, digits, '_', '.' or '-'");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String source, String where) {
        if (!(o instanceof Map<?, ?> m)) throw new ConfigException(source + ": " + where + " must be a mapping");
        for (Object k : m.keySet()) if (!(k instanceof String)) throw new ConfigException(source + ": " + where + ": key " + describe(k) + " is not a string");
        return (Map<String, Object>) m;
    }

    static void keys(Map<String, Object> m, String source, String where, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String k : m.keySet())
            if (!ok.contains(k)) throw new ConfigException(source + ": " + where + ": unknown key \"" + Logging.excerpt(k, 60) + "\" (allowed: " + String.join(", ", allowed) + ")");
    }

    static Object require(Map<String, Object> m, String key, String source, String where) {
        Object v = m.get(key);
        if (v == null) throw new ConfigException(source + ": " + where + ": missing \"" + key + "\"");
        return v;
    }

    static String string(Object o, String source, String where) {
        if (!(o instanceof String s) || s.isBlank()) throw new ConfigException(source + ": " + where + " must be a non-empty string");
        return s;
    }

    /** A value for a message: scalars as text (cut, escaped), collections by kind (they may even contain themselves). */
    private static String describe(Object o) {
        if (o instanceof Map<?, ?>) return "a mapping";
        if (o instanceof Collection<?>) return "a list";
        if (o == null) return "nothing";
        return "\"" + Logging.excerpt(String.valueOf(o), 60) + "\"";
    }

    static int integer(Object o, String source, String where, int min, int max) {
        if (!(o instanceof Integer || o instanceof Long))
            throw new ConfigException(source + ": " + where + " must be an integer, not " + describe(o));
        long v = ((Number) o).longValue();
        if (v < min || v > max) throw new ConfigException(source + ": " + where + ": " + v + " is outside " + min + ".." + max);
        return (int) v;
    }

    /** CPU numbers as ranges: 0-3,6. */
    static String cpuRanges(List<Integer> cpus) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cpus.size(); ) {
            int j = i;
            while (j + 1 < cpus.size() && cpus.get(j + 1) == cpus.get(j) + 1) j++;
            if (!sb.isEmpty()) sb.append(',');
            sb.append(cpus.get(i));
            if (j > i) sb.append('-').append(cpus.get(j));
            i = j + 1;
        }
        return sb.toString();
    }
}
