package io.xvio.control;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.PortVlan;
import io.xvio.sys.Netdev;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
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
 * bridges:
 *   br0:
 *     ports:
 *       vhA: {type: vhostuser, path: /tmp/vhA.sock, mode: server, ofport: 1}
 *       tap0: {type: tap, name: tap0, ofport: 2}
 *       up0: {type: afpacket, device: veth0, ofport: 3}
 *       up1: {type: afxdp, device: veth1, queue: 0, ofport: 4}
 *     flows: ["in_port=1,actions=output:2"]
 * </pre>
 * Unknown keys are errors (a typo must not be silently ignored).
 */
public record Config(List<Integer> pmdCpus, String pmdIdle, String controlSocket, Map<String, BridgeConfig> bridges) {

    /** vlans: each port's VLAN mode for NORMAL (tag: access port; trunks: the VLANs a trunk carries). */
    public record BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows, Map<String, PortVlan> vlans) {
        public BridgeConfig(String name, Map<String, PortConfig> ports, List<Flow> flows) {
            this(name, ports, flows, Map.of());
        }

        public PortVlan vlan(String port) { return vlans.getOrDefault(port, PortVlan.TRUNK_ALL); }
    }

    /**
     * One port. vhostuser: path, mode, queues, mergeable. tap: device is the interface xvio creates (key
     * "name", default: the port's name). afpacket: device is the existing interface it attaches to. afxdp: device
     * and queue, the interface's receive queue its AF_XDP socket binds to (default 0).
     */
    public record PortConfig(String name, String type, int ofport, String path, String mode, int queues, boolean mergeable,
                             String device, boolean packed, int queue) {
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
            text = Files.readString(file);
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
            root = new Load(LoadSettings.builder().setLabel(source).setAllowDuplicateKeys(false).build()).loadFromString(text);
        } catch (YamlEngineException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getMessage());
        }
        if (root == null && !bridgesRequired) return empty();
        if (root == null) throw new ConfigException(source + ": empty configuration (needs at least \"bridges:\")");
        Map<String, Object> top = map(root, source, "top level");
        keys(top, source, "top level", "pmd-cpus", "pmd-idle", "control-socket", "bridges");
        List<Integer> cpus = new ArrayList<>();
        Object c = top.get("pmd-cpus");
        if (c != null) {
            if (!(c instanceof List<?> l)) throw new ConfigException(source + ": pmd-cpus must be a list of CPU numbers, e.g. [1]");
            int ncpu = Runtime.getRuntime().availableProcessors();
            for (Object o : l) {
                int cpu = integer(o, source, "pmd-cpus", 0, 1023);
                if (cpu >= ncpu) throw new ConfigException(source + ": pmd-cpus: CPU " + cpu + " does not exist (this machine has " + ncpu + ")");
                if (cpus.contains(cpu)) throw new ConfigException(source + ": pmd-cpus: CPU " + cpu + " listed twice");
                cpus.add(cpu);
            }
        }
        String idle = string(top.getOrDefault("pmd-idle", "busy"), source, "pmd-idle");
        if (!idle.equals("busy") && !idle.equals("adaptive"))
            throw new ConfigException(source + ": pmd-idle must be \"busy\" or \"adaptive\", not \"" + idle + "\"");
        String control = top.containsKey("control-socket") ? string(top.get("control-socket"), source, "control-socket") : null;
        Object b = top.get("bridges");
        if (b == null && bridgesRequired) throw new ConfigException(source + ": missing \"bridges:\"");
        Map<String, Object> bridgesRaw = b == null ? Map.of() : map(b, source, "bridges");
        if (bridgesRaw.isEmpty() && bridgesRequired) throw new ConfigException(source + ": bridges: at least one bridge is needed");
        Map<String, BridgeConfig> bridges = new LinkedHashMap<>();
        Set<String> portNames = new HashSet<>(), paths = new HashSet<>(), ifnames = new HashSet<>();
        for (var e : bridgesRaw.entrySet()) {
            String bn = e.getKey();
            String where = "bridges." + bn;
            checkName(bn, source, where);
            Map<String, Object> br = map(e.getValue(), source, where);
            keys(br, source, where, "ports", "flows");
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
                Object rawType = p.get("type");
                if (rawType instanceof String t && (t.equals("tap") || t.equals("afpacket") || t.equals("afxdp"))) {
                    ports.put(pn, netdevPort(p, pn, t, source, pw, bn, ofports, ifnames));
                    continue;
                }
                keys(p, source, pw, "type", "path", "mode", "ofport", "queues", "mergeable", "packed");
                String type = string(require(p, "type", source, pw), source, pw + ".type");
                if (!type.equals("vhostuser"))
                    throw new ConfigException(source + ": " + pw + ".type: unknown port type \"" + type + "\" (supported: vhostuser, tap, afpacket, afxdp)");
                String path = string(require(p, "path", source, pw), source, pw + ".path");
                if (path.getBytes().length > 107) throw new ConfigException(source + ": " + pw + ".path: longer than 107 bytes (a Unix socket limit)");
                if (!paths.add(path)) throw new ConfigException(source + ": " + pw + ".path: " + path + " is used by another port");
                String mode = string(p.getOrDefault("mode", "server"), source, pw + ".mode");
                if (!mode.equals("server") && !mode.equals("client"))
                    throw new ConfigException(source + ": " + pw + ".mode must be \"server\" or \"client\", not \"" + mode + "\"");
                int ofport = p.containsKey("ofport") ? integer(p.get("ofport"), source, pw + ".ofport", 1, 0xfeff) : -1;
                if (ofport > 0 && !ofports.add(ofport)) throw new ConfigException(source + ": " + pw + ".ofport: " + ofport + " is used by another port of " + bn);
                int queues = p.containsKey("queues") ? integer(p.get("queues"), source, pw + ".queues", 1, 16) : 8;
                Object mg = p.getOrDefault("mergeable", Boolean.TRUE);
                if (!(mg instanceof Boolean mergeable)) throw new ConfigException(source + ": " + pw + ".mergeable must be true or false");
                Object pk = p.getOrDefault("packed", Boolean.FALSE);
                if (!(pk instanceof Boolean packed)) throw new ConfigException(source + ": " + pw + ".packed must be true or false");
                ports.put(pn, new PortConfig(pn, type, ofport, path, mode, queues, mergeable, null, packed));
            }
            // ports without an ofport get the lowest free numbers, in file order
            int next = 1;
            for (var pe : new ArrayList<>(ports.entrySet())) {
                if (pe.getValue().ofport() > 0) continue;
                while (ofports.contains(next)) next++;
                ofports.add(next);
                PortConfig pc = pe.getValue();
                ports.put(pe.getKey(), new PortConfig(pc.name(), pc.type(), next, pc.path(), pc.mode(), pc.queues(), pc.mergeable(), pc.device(), pc.packed(), pc.queue()));
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
            bridges.put(bn, new BridgeConfig(bn, ports, flows, vlans));
        }
        return new Config(List.copyOf(cpus), idle, control, bridges);
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
            throw new ConfigException(source + ": " + pw + "." + key + ": \"" + ifname + "\" is not a valid interface name (1-15 characters, no '/', ':', '%' or spaces)");
        if (!ifnames.add(ifname)) throw new ConfigException(source + ": " + pw + "." + key + ": interface " + ifname + " is used by another port");
        int ofport = p.containsKey("ofport") ? integer(p.get("ofport"), source, pw + ".ofport", 1, 0xfeff) : -1;
        if (ofport > 0 && !ofports.add(ofport)) throw new ConfigException(source + ": " + pw + ".ofport: " + ofport + " is used by another port of " + bn);
        return new PortConfig(pn, type, ofport, null, null, 1, false, ifname, false, queue);
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

    private static void checkName(String n, String source, String where) {
        if (!n.matches("[A-Za-z0-9_.-]{1,15}"))
            throw new ConfigException(source + ": " + where + ": name \"" + n + "\" must be 1-15 letters, digits, '_', '.' or '-'");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String source, String where) {
        if (!(o instanceof Map<?, ?> m)) throw new ConfigException(source + ": " + where + " must be a mapping");
        for (Object k : m.keySet()) if (!(k instanceof String)) throw new ConfigException(source + ": " + where + ": key " + k + " is not a string");
        return (Map<String, Object>) m;
    }

    private static void keys(Map<String, Object> m, String source, String where, String... allowed) {
        Set<String> ok = Set.of(allowed);
        for (String k : m.keySet())
            if (!ok.contains(k)) throw new ConfigException(source + ": " + where + ": unknown key \"" + k + "\" (allowed: " + String.join(", ", allowed) + ")");
    }

    private static Object require(Map<String, Object> m, String key, String source, String where) {
        Object v = m.get(key);
        if (v == null) throw new ConfigException(source + ": " + where + ": missing \"" + key + "\"");
        return v;
    }

    private static String string(Object o, String source, String where) {
        if (!(o instanceof String s) || s.isBlank()) throw new ConfigException(source + ": " + where + " must be a non-empty string");
        return s;
    }

    private static int integer(Object o, String source, String where, int min, int max) {
        if (!(o instanceof Integer || o instanceof Long))
            throw new ConfigException(source + ": " + where + " must be an integer, not \"" + o + "\"");
        long v = ((Number) o).longValue();
        if (v < min || v > max) throw new ConfigException(source + ": " + where + ": " + v + " is outside " + min + ".." + max);
        return (int) v;
    }
}
