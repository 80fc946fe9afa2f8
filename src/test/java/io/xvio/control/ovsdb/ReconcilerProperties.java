package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.control.Config;
import io.xvio.control.Daemon;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The Open_vSwitch database is input xvio does not control: any client may write any value the schema's types allow.
 * Random Bridge, Port, Interface, QoS, Mirror and Controller rows (names with slashes and dots, unknown and known
 * interface types, options and other_config keys with nonsense values, VLAN tags and trunks out of range, references
 * to rows of the wrong bridge or to none) go through the reconciler, three database states one after another: each
 * is applied, rows xvio cannot serve get an error, and nothing throws (an exception would end the OVSDB session and
 * repeat at every reconnect, so one bad row would stop every change). No vhost-user socket is made outside the
 * socket directory. Interfaces are of types that make and take no kernel interface (vhost-user, patch, tunnels,
 * unknown ones; not system, internal, tap or afxdp), so the test leaves the host's interfaces alone.
 */
class ReconcilerProperties {
    /** Makes random databases (as table updates) from one seed. */
    static final class Rows {
        private static final String[] NAMES = {"br0", "br1", "p1", "p2", "vm1", "", " ", "a/b", "../xvio-fuzz-escape", "..", ".", "x".repeat(40), "p\u00e9", "br0"};
        // not "", system, internal, tap or afxdp: those make a tap or take a kernel interface of the row's name
        private static final String[] TYPES = {"dpdkvhostuser", "dpdkvhostuserclient", "patch", "vxlan", "geneve", "gre", "stt", "dpdk", "bogus", "Tap"};
        private static final String[] OPTION_KEYS = {"vhost-server-path", "peer", "remote_ip", "local_ip", "key", "in_key", "out_key", "dst_port",
                "tos", "ttl", "csum", "df_default", "tx-retries-max", "n_rxq", "n_txq", "xdp-mode", "use-need-wakeup", "dpdk-devargs", "packet_type", "zz"};
        private static final String[] VALUES = {"", "0", "1", "-1", "65535", "65536", "4294967296", "flow", "true", "false", "10.0.0.2", "fd00::2",
                "10.0.0.0/8", "300.1.1.1", "inherit", "p1", "p2", "vm1", "/tmp/xvio-fuzz-nonexistent/s", "relative/s", "x".repeat(200)};

        private final Random r;
        private int seq;
        private ObjectNode update;

        Rows(Random r) { this.r = r; }

        private String uuid(int table) { return String.format("%08d-0000-0000-0000-%012d", table, ++seq); }

        private <T> T pick(T[] a) { return a[r.nextInt(a.length)]; }

        private boolean good() { return r.nextInt(5) > 0; }

        /** Mostly one of good (so most rows get as far as making something), else anything of all. */
        private <T> T mostly(T[] good, T[] all) { return r.nextInt(4) > 0 ? pick(good) : pick(all); }

        private static final String[] GOOD_NAMES = {"br0", "br1", "p1", "p2", "vm1", "vm2", "vx1", "pp1"};
        private static final String[] GOOD_TYPES = {"dpdkvhostuser", "dpdkvhostuserclient", "patch", "vxlan", "geneve"};

        private Map<String, String> map(String[] keys) {
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = r.nextInt(4); i > 0; i--) m.put(pick(keys), pick(VALUES));
            return m;
        }

        private JsonNode integerOrNone(long... edge) {
            return switch (r.nextInt(3)) {
                case 0 -> Datum.emptySet();
                case 1 -> JsonRpc.NODES.numberNode(edge[r.nextInt(edge.length)]);
                default -> JsonRpc.NODES.numberNode(r.nextInt(70000) - 100);
            };
        }

        /** A set of 0-2 references to rows of from (a row may come twice, as a buggy client could write). */
        private ArrayNode refs(List<String> from) {
            ArrayNode set = JsonRpc.NODES.arrayNode();
            for (int i = r.nextInt(3); i > 0 && !from.isEmpty(); i--) set.add(Datum.uuidRef(from.get(r.nextInt(from.size()))));
            return JsonRpc.NODES.arrayNode().add("set").add(set);
        }

        private ObjectNode row(String table, String uuid) {
            return update.with(table).putObject(uuid).putObject("new");
        }

        /** One random database: 1-2 bridges of 1-4 ports, each with one interface, QoS, mirrors and controllers. */
        ObjectNode database(Path sockDir) {
            update = JsonRpc.NODES.objectNode();
            List<String> allPorts = new ArrayList<>();
            for (int b = 1 + r.nextInt(2); b > 0; b--) {
                List<String> ports = new ArrayList<>();
                for (int p = 1 + r.nextInt(4); p > 0; p--) {
                    String iu = uuid(3), pu = uuid(2), name = mostly(GOOD_NAMES, NAMES), type = mostly(GOOD_TYPES, TYPES);
                    ObjectNode i = row("Interface", iu).put("name", name).put("type", type);
                    // each column mostly as a working row has it, else anything its type allows
                    Map<String, String> options = good() ? new LinkedHashMap<>(switch (type) {
                        case "vxlan", "geneve" -> Map.of("remote_ip", r.nextBoolean() ? "10.0.0.2" : "flow", "key", r.nextBoolean() ? "100" : "flow");
                        case "patch" -> Map.of("peer", pick(GOOD_NAMES));
                        case "dpdkvhostuserclient" -> Map.of("vhost-server-path", sockDir.resolve("c" + r.nextInt(4)).toString());
                        default -> Map.of();
                    }) : map(OPTION_KEYS);
                    if (!good()) options.putAll(map(OPTION_KEYS));
                    i.set("options", Datum.mapOf(options));
                    i.set("ofport_request", good() ? Datum.emptySet() : integerOrNone(0, 1, 65279, 65280, 65534, 65535, -5));
                    i.set("ofport", integerOrNone(-1, 0, 1, 65534));
                    i.set("ingress_policing_rate", JsonRpc.NODES.numberNode(good() ? 0 : r.nextLong() >> r.nextInt(64)));
                    i.set("ingress_policing_burst", JsonRpc.NODES.numberNode(good() ? 0 : r.nextLong() >> r.nextInt(64)));
                    i.set("mtu_request", good() ? Datum.emptySet() : integerOrNone(0, 67, 68, 1500, 9000, 65535, 65536));
                    i.set("external_ids", Datum.mapOf(good() ? Map.of() : map(new String[] {"iface-id", "attached-mac", "virtio_forwarder", "virtio_relay", "zz"})));
                    i.set("bfd", Datum.mapOf(good() ? Map.of() : map(new String[] {"enable", "min_rx", "min_tx", "decay_min_rx", "forwarding_if_rx", "cpath_down", "zz"})));
                    ObjectNode port = row("Port", pu).put("name", good() ? name : pick(NAMES));
                    port.set("interfaces", r.nextInt(10) == 0 ? Datum.emptySet() : Datum.uuidRef(iu));
                    port.set("tag", good() ? Datum.emptySet() : integerOrNone(0, 1, 4094, 4095, 4096, -1));
                    List<Object> trunks = new ArrayList<>();
                    for (int t = good() ? 0 : r.nextInt(3); t > 0; t--) trunks.add(r.nextInt(5000) - 10);
                    port.set("trunks", Datum.setOf(trunks));
                    String mode = good() ? "" : pick(new String[] {"access", "trunk", "native-tagged", "native-untagged", "dot1q-tunnel", "bogus", ""});
                    port.set("vlan_mode", mode.isEmpty() ? Datum.emptySet() : JsonRpc.NODES.textNode(mode));
                    if (r.nextInt(3) == 0) {
                        String qu = uuid(4);
                        ObjectNode q = row("QoS", qu).put("type", mostly(new String[] {"egress-policer"}, new String[] {"egress-policer", "linux-htb", "trtcm-policer", "", "bogus"}));
                        q.set("other_config", Datum.mapOf(good() ? Map.of("cir", "125000", "cbs", "10000") : map(new String[] {"cir", "cbs", "eir", "ebs", "max-rate", "zz"})));
                        port.set("qos", Datum.uuidRef(qu));
                    } else {
                        port.set("qos", Datum.emptySet());
                    }
                    ports.add(pu);
                    allPorts.add(pu);
                }
                List<String> mirrors = new ArrayList<>();
                for (int m = r.nextInt(2); m > 0; m--) {
                    String mu = uuid(5);
                    ObjectNode mr = row("Mirror", mu).put("name", pick(NAMES)).put("select_all", r.nextInt(4) == 0);
                    mr.set("select_src_port", refs(r.nextBoolean() ? ports : allPorts));
                    mr.set("select_dst_port", refs(r.nextBoolean() ? ports : allPorts));
                    List<Object> vlans = new ArrayList<>();
                    for (int v = r.nextInt(2); v > 0; v--) vlans.add(r.nextInt(5000));
                    mr.set("select_vlan", Datum.setOf(vlans));
                    mr.set("output_port", r.nextInt(4) == 0 ? Datum.emptySet() : Datum.uuidRef((r.nextBoolean() ? ports : allPorts).get(0)));
                    mr.set("output_vlan", integerOrNone(0, 1, 4095, 4096));
                    mirrors.add(mu);
                }
                List<String> controllers = new ArrayList<>();
                for (int c = r.nextInt(2); c > 0; c--) {
                    String cu = uuid(6);
                    ObjectNode cr = row("Controller", cu).put("target", pick(new String[] {"tcp:127.0.0.1:1", "unix:" + sockDir.resolve("of"),
                            "ptcp:0:127.0.0.1", "ssl:127.0.0.1:1", "tcp:", "bogus", "tcp:300.0.0.1:6653", ""}));
                    cr.set("inactivity_probe", integerOrNone(0, -1, 1, 5000, Long.MAX_VALUE));
                    cr.set("controller_rate_limit", integerOrNone(0, 99, 100, 1 << 30));
                    cr.set("controller_burst_limit", integerOrNone(0, 24, 25, 1 << 30));
                    controllers.add(cu);
                }
                ObjectNode br = row("Bridge", uuid(1)).put("name", mostly(new String[] {"br0", "br1"}, NAMES))
                        .put("datapath_type", mostly(new String[] {"netdev"}, new String[] {"netdev", "system", "", "bogus"}));
                ArrayNode set = JsonRpc.NODES.arrayNode();
                for (String pu : ports) set.add(Datum.uuidRef(pu));
                br.set("ports", JsonRpc.NODES.arrayNode().add("set").add(set));
                br.set("mirrors", refs(mirrors));
                br.set("controller", refs(controllers));
                String fm = pick(new String[] {"secure", "standalone", "", "bogus"});
                br.set("fail_mode", fm.isEmpty() ? Datum.emptySet() : JsonRpc.NODES.textNode(fm));
                br.set("protocols", Datum.setOf(List.of(pick(new String[] {"OpenFlow10", "OpenFlow13", "OpenFlow15", "OpenFlow99", ""}))));
                br.set("other_config", Datum.mapOf(map(new String[] {"hwaddr", "datapath-id", "disable-in-band", "mac-aging-time", "mac-table-size",
                        "forward-bpdu", "mcast-snooping-enable", "zz"})));
                br.set("external_ids", Datum.mapOf(map(new String[] {"bridge-id", "ovn-nb", "zz"})));
            }
            return update;
        }
    }

    @Property(tries = 60)
    void randomRowsAreAppliedOrRefusedWithAnErrorNeverAnException(@ForAll long seed) throws Exception {
        Path dir = Files.createTempDirectory("xvio-recon-fuzz");
        Path sockDir = Files.createDirectories(dir.resolve("vhost"));
        Daemon daemon = new Daemon(Config.empty(), dir.resolve("ctl.sock").toString());
        try {
            daemon.start();
            Reconciler rec = new Reconciler(daemon, sockDir);
            Rows gen = new Rows(new Random(seed));
            for (int state = 0; state < 3; state++) {
                TableCache db = new TableCache();
                ObjectNode u = gen.database(sockDir);
                db.apply(u);
                List<Reconciler.IfaceResult> results;
                try {
                    results = rec.apply(db);
                    rec.bridges(db);
                } catch (RuntimeException e) {
                    fail("state " + state + " threw " + e + " for rows\n" + u.toPrettyString(), e);
                    return;
                }
                for (Reconciler.IfaceResult res : results) assertTrue(res.error() == null || !res.error().isBlank(), res.toString());
            }
            // vhost-user sockets xvio made itself are in the socket directory, whatever the names asked for
            // beside the control socket only the bridges' OpenFlow sockets (BRIDGE.mgmt, as OVS's), none from "../xvio-fuzz-escape"
            try (var files = Files.list(dir)) {
                List<String> other = files.map(f -> f.getFileName().toString())
                        .filter(n -> !n.equals("vhost") && !n.equals("ctl.sock") && !n.endsWith(".mgmt")).toList();
                assertEquals(List.of(), other, "files made beside the socket directory " + sockDir);
            }
            assertFalse(Files.exists(dir.getParent().resolve("xvio-fuzz-escape.mgmt")) || Files.exists(dir.getParent().resolve("xvio-fuzz-escape")), "a bridge or port named ../xvio-fuzz-escape escaped " + dir);
        } finally {
            daemon.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
