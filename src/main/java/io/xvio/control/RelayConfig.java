package io.xvio.control;

import io.xvio.sys.Netdev;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One relay: a vhost-user endpoint and a VF-side interface (afxdp or afpacket) joined directly, without a bridge:
 * <pre>
 * relays:
 *   vm1: {vhost: {path: /tmp/vm1.sock, mode: server, queues: 2}, vf: {device: eth1v0, type: afxdp},
 *         cpus: {vm-to-vf: 2, vf-to-vm: 3}}
 * </pre>
 * vhost takes a vhostuser port's keys (path, mode, queues, mergeable, packed); vf takes device, type and, for afxdp,
 * queue. cpus pins a direction to the PMD thread on that CPU (which must be in pmd-cpus); without it the load
 * balancer places the direction. vmToVf/vfToVm are CPUs, -1 when not pinned. The ports are named NAME:vhost and
 * NAME:vf (':' is not allowed in port names, so they never clash with a bridge's).
 */
public record RelayConfig(String name, Config.PortConfig vhost, Config.PortConfig vf, int vmToVf, int vfToVm) {

    static RelayConfig parse(String name, Object raw, String source, String where, List<Integer> pmdCpus) {
        Config.checkName(name, source, where);
        Map<String, Object> r = Config.map(raw, source, where);
        Config.keys(r, source, where, "vhost", "vf", "cpus");
        Map<String, Object> vh = Config.map(Config.require(r, "vhost", source, where), source, where + ".vhost");
        Config.keys(vh, source, where + ".vhost", "path", "mode", "queues", "mergeable", "packed");
        String path = Config.string(Config.require(vh, "path", source, where + ".vhost"), source, where + ".vhost.path");
        if (path.getBytes().length > 107) throw new ConfigException(source + ": " + where + ".vhost.path: longer than 107 bytes (a Unix socket limit)");
        String mode = Config.string(vh.getOrDefault("mode", "server"), source, where + ".vhost.mode");
        if (!mode.equals("server") && !mode.equals("client"))
            throw new ConfigException(source + ": " + where + ".vhost.mode must be \"server\" or \"client\", not \"" + Logging.excerpt(mode, 60) + "\"");
        int queues = vh.containsKey("queues") ? Config.integer(vh.get("queues"), source, where + ".vhost.queues", 1, 16) : 1;
        if (!(vh.getOrDefault("mergeable", Boolean.TRUE) instanceof Boolean mergeable)) throw new ConfigException(source + ": " + where + ".vhost.mergeable must be true or false");
        if (!(vh.getOrDefault("packed", Boolean.FALSE) instanceof Boolean packed)) throw new ConfigException(source + ": " + where + ".vhost.packed must be true or false");

        Map<String, Object> vf = Config.map(Config.require(r, "vf", source, where), source, where + ".vf");
        String type = Config.string(Config.require(vf, "type", source, where + ".vf"), source, where + ".vf.type");
        if (!type.equals("afxdp") && !type.equals("afpacket"))
            throw new ConfigException(source + ": " + where + ".vf.type: \"" + Logging.excerpt(type, 40) + "\" is not a VF port type (afxdp or afpacket)");
        if (type.equals("afxdp")) Config.keys(vf, source, where + ".vf", "type", "device", "queue");
        else Config.keys(vf, source, where + ".vf", "type", "device");
        String device = Config.string(Config.require(vf, "device", source, where + ".vf"), source, where + ".vf.device");
        if (!Netdev.validName(device))
            throw new ConfigException(source + ": " + where + ".vf.device: \"" + Logging.excerpt(device, 60) + "\" is not a valid interface name (1-15 characters, no '/', ':', '%' or spaces)");
        int queue = vf.containsKey("queue") ? Config.integer(vf.get("queue"), source, where + ".vf.queue", 0, 4095) : 0;

        int vmToVf = -1, vfToVm = -1;
        if (r.get("cpus") != null) {
            Map<String, Object> c = Config.map(r.get("cpus"), source, where + ".cpus");
            Config.keys(c, source, where + ".cpus", "vm-to-vf", "vf-to-vm");
            if (c.containsKey("vm-to-vf")) vmToVf = pmdCpu(c.get("vm-to-vf"), source, where + ".cpus.vm-to-vf", pmdCpus);
            if (c.containsKey("vf-to-vm")) vfToVm = pmdCpu(c.get("vf-to-vm"), source, where + ".cpus.vf-to-vm", pmdCpus);
        }
        return of(name, path, mode, queues, mergeable, packed, type, device, queue, vmToVf, vfToVm);
    }

    /** A relay's two ports, NAME:vhost (a vhostuser port on path) and NAME:vf (type afxdp or afpacket on device), from checked settings. */
    public static RelayConfig of(String name, String path, String mode, int queues, boolean mergeable, boolean packed,
                                 String vfType, String device, int queue, int vmToVf, int vfToVm) {
        return new RelayConfig(name,
                new Config.PortConfig(name + ":vhost", "vhostuser", 1, path, mode, queues, mergeable, null, packed),
                new Config.PortConfig(name + ":vf", vfType, 2, null, null, 1, false, device, false, queue),
                vmToVf, vfToVm);
    }

    /** A CPU a queue is pinned to: one of pmd-cpus (where names the key in errors). */
    static int pmdCpu(Object o, String source, String where, List<Integer> pmdCpus) {
        int cpu = Config.integer(o, source, where, 0, 1023);
        if (!pmdCpus.contains(cpu))
            throw new ConfigException(source + ": " + where + ": CPU " + cpu + " is not available to PMD threads (pmd-cpus: "
                    + (pmdCpus.isEmpty() ? "none, the one PMD thread is unpinned" : Config.cpuRanges(pmdCpus.stream().sorted().toList())) + ")");
        return cpu;
    }

    /**
     * The relay settings of `add-relay NAME ...`: either one YAML/JSON mapping ({vhost: {...}, vf: {...}}) or
     * KEY=VALUE words with dotted keys (vhost.path=/tmp/x.sock vf.device=eth1 vf.type=afxdp cpus.vm-to-vf=1).
     */
    static RelayConfig fromCommand(String name, List<String> settings, List<Integer> pmdCpus) {
        Object raw;
        if (settings.size() == 1 && settings.getFirst().strip().startsWith("{")) {
            String yaml = "relays:\n  " + name + ": " + settings.getFirst().strip().replace("\n", " ") + "\n";
            if (yaml.length() > 8192) throw new ConfigException("the relay's mapping is longer than 8 KiB");
            try {
                var ls = org.snakeyaml.engine.v2.api.LoadSettings.builder().setLabel("add-relay").setAllowDuplicateKeys(false).build();
                Config.checkDepth(ls, yaml, "add-relay");      // building a deeply nested document would overflow the stack
                raw = ((Map<?, ?>) ((Map<?, ?>) new org.snakeyaml.engine.v2.api.Load(ls).loadFromString(yaml)).get("relays")).get(name);
            } catch (ConfigException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new ConfigException("not a valid YAML/JSON mapping: " + Logging.excerpt(String.valueOf(e.getMessage()), 200));
            }
        } else {
            Map<String, Object> top = new LinkedHashMap<>();
            for (String kv : settings) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new ConfigException("setting \"" + Logging.excerpt(kv, 60) + "\" is not KEY=VALUE (e.g. vhost.path=/tmp/vm1.sock)");
                String k = kv.substring(0, eq), v = kv.substring(eq + 1);
                String[] path = k.split("\\.");
                if (path.length != 2 || v.isEmpty()) throw new ConfigException("setting \"" + Logging.excerpt(kv, 60) + "\": keys are SECTION.KEY (vhost.path, vf.device, cpus.vm-to-vf ...)");
                Object sec = top.computeIfAbsent(path[0], x -> new LinkedHashMap<String, Object>());
                @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) sec;
                Object val = v.matches("\\d{1,9}") ? (Object) Integer.parseInt(v) : v.equals("true") ? Boolean.TRUE : v.equals("false") ? Boolean.FALSE : v;
                if (m.put(path[1], val) != null) throw new ConfigException("setting " + k + " is given twice");
            }
            raw = top;
        }
        return parse(name, raw, "add-relay", "relays." + name, pmdCpus);
    }
}
