package io.xvio.control;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.snakeyaml.engine.v2.api.Dump;
import org.snakeyaml.engine.v2.api.DumpSettings;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The YAML configuration is untrusted input: a file with a mistake anywhere (a value of the wrong type, out of range
 * or nonsense, a key missing, an unknown key, structure nested where a scalar belongs) is refused with a
 * {@link ConfigException} that names the file, never another exception (a ClassCastException or NullPointerException
 * would stop the daemon with a stack trace instead of saying what is wrong). Each try mutates a valid configuration
 * that uses every section once; the unmutated one parses.
 */
class ConfigProperties {
    /** A configuration using every section: bridges with each port type, flows, groups, meters, mirrors, an underlay, relays. */
    static final String VALID = """
            pmd-cpus: [0]
            pmd-idle: adaptive
            tx-flush-interval: 50
            metrics: 127.0.0.1:9477
            pmd-auto-lb: {enabled: true, interval: 10, improvement-threshold: 25}
            conntrack: {capacity: 100000, limit: 50000, zone-limit: 1000, zones: {5: 100}, timeouts: {tcp_established: 3600, udp_first: 30}}
            bridges:
              br0:
                frag: normal
                forward-bpdu: false
                fail_mode: secure
                controller: ["tcp:127.0.0.1:6653"]
                inactivity_probe: 5000
                controller_rate_limit: 1000
                controller_burst_limit: 100
                ports:
                  vm1: {type: vhostuser, path: /tmp/fuzz-vm1.sock, mode: server, ofport: 1, queues: 2, mergeable: true, packed: false, offloads: true, tag: 10, ingress-policing-rate: 1000, ingress-policing-burst: 100}
                  vm2: {type: vhostuser, path: /tmp/fuzz-vm2.sock, mode: client, trunks: [10, 20], egress-policer: {cir: 125000, cbs: 10000}, tx-retries-max: 4, mtu: 9000}
                  up0: {type: afpacket, device: fuzz0, ofport: 3, offloads: false}
                  up1: {type: afxdp, device: fuzz1, queue: 0}
                  tap0: {type: tap, name: fuzztap0, mtu: 1400}
                  vx0: {type: vxlan, remote_ip: 10.9.0.2, key: 100, bfd: {enable: true, min_rx: 500}}
                  gn0: {type: geneve, remote_ip: flow, key: flow}
                  pp0: {type: patch, peer: pp1}
                flows: ["priority=10,in_port=1,actions=output:2", "priority=0,actions=NORMAL", "table=1,ip,nw_dst=10.0.0.0/8,actions=ct(commit,zone=5),output:3"]
                groups: ["group_id=1,type=select,bucket=output:1,bucket=output:2"]
                meters: ["meter=1,kbps,band=type=drop,rate=1000"]
                mirrors:
                  m0: {select-src-port: [vm1], select-dst-port: [vm2], select-vlan: [10], output-port: tap0}
                ip: [172.31.0.1/24, "fd00:31::1/64"]
                routes: [{dst: 10.8.0.0/16, via: 172.31.0.254}]
              br1:
                ip: kernel
                ports:
                  pp1: {type: patch, peer: pp0}
            relays:
              r1: {vhost: {path: /tmp/fuzz-r1.sock, mode: server, queues: 2}, vf: {device: fuzzvf0, type: afxdp, queue: 0}, cpus: {vm-to-vf: 0, vf-to-vm: 0}}
            """;

    private static Object load(String text) {
        return new Load(LoadSettings.builder().build()).loadFromString(text);
    }

    /** A value of any YAML shape: scalars of each type (edge values among them), lists and mappings of them. */
    static Object anyValue(Random r, int depth) {
        return switch (r.nextInt(depth > 2 ? 9 : 11)) {
            case 0 -> null;
            case 1 -> r.nextBoolean();
            case 2 -> new int[] {0, -1, 1, 65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE}[r.nextInt(7)];
            case 3 -> r.nextLong();
            case 4 -> r.nextDouble() * 1e6;
            case 5 -> new String[] {"", " ", "x", "flow", "kernel", "server", "0", "-1", "10.0.0.1", "10.0.0.0/99", "fd00::1/129",
                    "tcp:", "unix:", "actions=", "priority=70000,actions=drop", "a".repeat(300), "\u00e9\u0000\n", "[", "{"}[r.nextInt(19)];
            case 6 -> Integer.toString(r.nextInt(100000));
            case 7 -> "k" + r.nextInt(1000);
            case 8 -> r.nextInt(5000);
            case 9 -> {
                List<Object> l = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) l.add(anyValue(r, depth + 1));
                yield l;
            }
            default -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int i = r.nextInt(4); i > 0; i--) m.put(r.nextInt(4) == 0 ? r.nextInt(10) : "k" + r.nextInt(10), anyValue(r, depth + 1));
                yield m;
            }
        };
    }

    /** Every mapping and list in the tree under node, with node itself. */
    @SuppressWarnings("unchecked")
    static void containers(Object node, List<Object> out) {
        if (node instanceof Map<?, ?> m) {
            out.add(m);
            for (Object v : ((Map<Object, Object>) m).values()) containers(v, out);
        } else if (node instanceof List<?> l) {
            out.add(l);
            for (Object v : l) containers(v, out);
        }
    }

    /** One mistake somewhere in the tree: a value replaced, a key removed or added, an element dropped or added. */
    @SuppressWarnings("unchecked")
    static void mutate(Object root, Random r) {
        List<Object> cs = new ArrayList<>();
        containers(root, cs);
        Object c = cs.get(r.nextInt(cs.size()));
        if (c instanceof Map<?, ?> raw) {
            Map<Object, Object> m = (Map<Object, Object>) raw;
            List<Object> keys = new ArrayList<>(m.keySet());
            int op = keys.isEmpty() ? 2 : r.nextInt(3);
            if (op == 0) m.put(keys.get(r.nextInt(keys.size())), anyValue(r, 0));
            else if (op == 1) m.remove(keys.get(r.nextInt(keys.size())));
            else m.put(r.nextBoolean() && !keys.isEmpty() ? keys.get(r.nextInt(keys.size())) + "x" : anyValue(r, 2), anyValue(r, 0));
        } else {
            List<Object> l = (List<Object>) c;
            int op = l.isEmpty() ? 2 : r.nextInt(3);
            if (op == 0) l.set(r.nextInt(l.size()), anyValue(r, 0));
            else if (op == 1) l.remove(r.nextInt(l.size()));
            else l.add(r.nextInt(l.size() + 1), anyValue(r, 0));
        }
    }

    @Property(tries = 2000)
    void aMistakeAnywhereIsAConfigExceptionNamingTheFile(@ForAll long seed, @ForAll @IntRange(min = 1, max = 4) int mistakes) {
        Random r = new Random(seed);
        Object root = load(VALID);
        for (int i = 0; i < mistakes; i++) mutate(root, r);
        String text = new Dump(DumpSettings.builder().build()).dumpToString(root);
        try {
            Config.parse(text, "fuzz.yaml");
        } catch (ConfigException e) {
            assertTrue(e.getMessage() != null && e.getMessage().startsWith("fuzz.yaml: "), e.getMessage());
        } catch (RuntimeException e) {
            fail("a configuration with " + mistakes + " mistake(s) threw " + e + " instead of a ConfigException:\n" + text, e);
        }
    }

    @Property(tries = 1)
    void theUnmutatedConfigurationParses() {
        Config c = Config.parse(new Dump(DumpSettings.builder().build()).dumpToString(load(VALID)), "fuzz.yaml");
        assertEquals(List.of("br0", "br1"), List.copyOf(c.bridges().keySet()));
        assertEquals(8, c.bridges().get("br0").ports().size());
        assertEquals(1, c.relays().size());
    }
}
