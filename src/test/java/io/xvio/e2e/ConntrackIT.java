package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Stateful flows with real traffic: three network namespaces ("VMs") behind afpacket ports of one xvio bridge (one
 * daemon for every case), the Linux kernel's TCP/UDP/ICMP on both ends. A security group in the style of the
 * OpenStack OVS firewall driver (egress in the sender's zone, ingress in the receiver's, zones from a register,
 * +inv dropped, +est/+rel pass) lets vm1 reach vm2's TCP 8080, UDP 5353 and ping, and nothing new reach vm1; SNAT
 * makes vm1 appear to vm3 as 10.94.0.100 with the replies translated back; a load balancer in OVN's shape (a
 * select group of ct(commit,nat(dst=backend)) buckets) spreads connections to a virtual IP over vm2 and vm3, each
 * connection whole on one backend. ~30 s.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.ConntrackIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConntrackIT {
    private final NetLab lab = new NetLab();
    private final String[] ns = new String[4], peer = new String[4], mac = new String[4];
    private Path dir;
    private XvioDaemon xvio;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available() && QemuGuest.onPath("python3");
    }

    static String ip(int i) { return "10.94.0." + i; }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("xvio-ct");
        StringBuilder ports = new StringBuilder();
        for (int i = 1; i <= 3; i++) {
            ns[i] = lab.netns();
            String root = lab.name("xca");
            peer[i] = lab.name("xcb");
            lab.veth(root, peer[i]);
            lab.move(peer[i], ns[i]);
            lab.address(ns[i], peer[i], ip(i) + "/24");
            mac[i] = "02:94:00:00:00:0" + i;
            NetLab.ok("ip", "-n", ns[i], "link", "set", peer[i], "address", mac[i]);
            NetLab.ok("ip", "netns", "exec", ns[i], "ethtool", "-K", peer[i], "tx", "off");   // real checksums on the wire
            lab.up(null, root);
            ports.append("      vm").append(i).append(": {type: afpacket, device: ").append(root).append(", ofport: ").append(i).append("}\n");
        }
        xvio = XvioDaemon.start(dir, "pmd-idle: adaptive\nconntrack: {capacity: 4096}\nbridges:\n  br0:\n    ports:\n" + ports);
        for (int i = 1; i <= 3; i++) UplinkPortsIT.awaitStatus(xvio, "vm" + i, "up", Duration.ofSeconds(10));
    }

    @AfterAll
    void stop() throws Exception {
        if (xvio != null) xvio.close();
        lab.close();
        if (dir != null) try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    private void table(String... flows) throws Exception {
        xvio.call("del-flows", "br0");
        xvio.call("conntrack", "flush");
        String[] req = new String[flows.length + 2];
        req[0] = "add-flows";
        req[1] = "br0";
        System.arraycopy(flows, 0, req, 2, flows.length);
        xvio.call(req);
    }

    private int pingReceived(int from, String addr, int count) {
        NetLab.Result r = lab.exec(ns[from], "busybox", "ping", "-c", Integer.toString(count), "-i", "0.2", "-W", "1", addr);
        Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), "no ping summary: " + r.output());
        return Integer.parseInt(m.group(2));
    }

    private NetLab.Result python(int in, String script, String... args) {
        String[] cmd = new String[args.length + 3];
        cmd[0] = "python3";
        cmd[1] = "-c";
        cmd[2] = script;
        System.arraycopy(args, 0, cmd, 3, args.length);
        return lab.exec(ns[in], cmd);
    }

    /** Waits until a TCP server in namespace i accepts on port (a local connection, not through xvio). */
    private void awaitListening(int i, int port) {
        String s = """
                import socket, sys, time
                for _ in range(200):
                    try:
                        socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close(); break
                    except OSError: time.sleep(0.05)
                else: raise SystemExit("not listening")
                """;
        assertEquals(0, python(i, s, ip(i), Integer.toString(port)).rc(), "server in vm" + i + " listens on " + port);
    }

    static final String SECURITY_GROUP_ZONES = "zone=NXM_NX_REG6[0..15]";

    @Test
    void aSecurityGroupAllowsListedServicesAndTheirRepliesOnly() throws Exception {
        table("priority=300,arp,actions=NORMAL",
                // egress: the sender's zone (reg6 = its port)
                "table=0,priority=100,ip,in_port=1,actions=set_field:1->reg6,ct(table=1," + SECURITY_GROUP_ZONES + ")",
                "table=0,priority=100,ip,in_port=2,actions=set_field:2->reg6,ct(table=1," + SECURITY_GROUP_ZONES + ")",
                "table=0,priority=100,ip,in_port=3,actions=set_field:3->reg6,ct(table=1," + SECURITY_GROUP_ZONES + ")",
                "table=0,priority=0,actions=drop",
                "table=1,priority=100,ip,ct_state=+trk+inv,actions=drop",
                "table=1,priority=90,ip,ct_state=+trk+est,actions=resubmit(,2)",
                "table=1,priority=90,ip,ct_state=+trk+rel,actions=resubmit(,2)",
                "table=1,priority=80,ip,ct_state=+trk+new,actions=ct(commit," + SECURITY_GROUP_ZONES + "),resubmit(,2)",
                // to the receiver's zone (reg7 = its port)
                "table=2,priority=10,ip,nw_dst=" + ip(1) + ",actions=set_field:1->reg7,ct(table=3,zone=NXM_NX_REG7[0..15])",
                "table=2,priority=10,ip,nw_dst=" + ip(2) + ",actions=set_field:2->reg7,ct(table=3,zone=NXM_NX_REG7[0..15])",
                "table=2,priority=10,ip,nw_dst=" + ip(3) + ",actions=set_field:3->reg7,ct(table=3,zone=NXM_NX_REG7[0..15])",
                // ingress
                "table=3,priority=100,ip,ct_state=+trk+inv,actions=drop",
                "table=3,priority=90,ip,ct_state=+trk+est,actions=resubmit(,4)",
                "table=3,priority=90,ip,ct_state=+trk+rel,actions=resubmit(,4)",
                "table=3,priority=70,tcp,reg7=2,tp_dst=8080,ct_state=+trk+new,actions=ct(commit,zone=NXM_NX_REG7[0..15]),resubmit(,4)",
                "table=3,priority=70,icmp,reg7=2,ct_state=+trk+new,actions=ct(commit,zone=NXM_NX_REG7[0..15]),resubmit(,4)",
                "table=3,priority=70,udp,reg7=2,nw_src=" + ip(1) + ",tp_dst=5353,ct_state=+trk+new,actions=ct(commit,zone=NXM_NX_REG7[0..15]),resubmit(,4)",
                "table=3,priority=0,actions=drop",
                "table=4,reg7=1,actions=output:1",
                "table=4,reg7=2,actions=output:2",
                "table=4,reg7=3,actions=output:3");
        String ctx = xvio.call("dump-flows", "br0");

        // TCP: 1 MiB from vm2:8080 to vm1, intact
        byte[] blob = new byte[1 << 20];
        new Random(7).nextBytes(blob);
        Path www = dir.resolve("www");
        Files.createDirectories(www);
        Files.write(www.resolve("blob"), blob);
        lab.spawn(ns[2], dir.resolve("http.log"), "python3", "-m", "http.server", "8080", "--bind", ip(2), "--directory", www.toString());
        awaitListening(2, 8080);
        String fetch = """
                import hashlib, sys, urllib.request
                print(hashlib.sha256(urllib.request.urlopen(sys.argv[1], timeout=20).read()).hexdigest())
                """;
        NetLab.Result got = python(1, fetch, "http://" + ip(2) + ":8080/blob");
        assertEquals(0, got.rc(), "vm1 fetches from vm2:8080\n" + got.output() + "\n" + ctx);
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob)), got.output().strip(), "1 MiB intact");
        String dump = xvio.call("conntrack", "dump", "zone=2");
        assertTrue(dump.contains("tcp,orig=(src=" + ip(1) + ",dst=" + ip(2)) && dump.contains("dport=8080"), dump);

        // nothing new reaches vm1 (vm2 -> vm1:22 is dropped, not refused), not even a ping; vm1 pings vm2
        String connect = """
                import socket, sys
                try:
                    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2); print("connected")
                except socket.timeout: print("timeout")
                except OSError as e: print("error", e)
                """;
        assertEquals("timeout", python(2, connect, ip(1), "22").output().strip(), "vm2 -> vm1 is dropped");
        assertEquals("timeout", python(3, connect, ip(2), "8081").output().strip(), "vm3 -> vm2:8081 is not in the group");
        assertEquals(3, pingReceived(1, ip(2), 3), "vm1 pings vm2 and the replies pass");
        assertEquals(0, pingReceived(2, ip(1), 2), "vm2 cannot ping vm1");

        // UDP 5353 from vm1 only; an ICMP port unreachable for an allowed flow passes back as related
        String udp = """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
                s.connect((sys.argv[1], int(sys.argv[2])))
                try:
                    s.send(b"hello"); print(s.recv(100).decode())
                except ConnectionRefusedError: print("refused")
                except socket.timeout: print("timeout")
                """;
        assertEquals("refused", python(1, udp, ip(2), "5353").output().strip(), "the port unreachable error comes back (+rel)");
        String echo = """
                import socket, sys
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 5353))
                while True:
                    d, a = s.recvfrom(100); s.sendto(b"echo " + d, a)
                """;
        lab.spawn(ns[2], dir.resolve("udp.log"), "python3", "-c", echo, ip(2));
        String answer = "";
        for (int i = 0; i < 20 && !answer.equals("echo hello"); i++) answer = python(1, udp, ip(2), "5353").output().strip();
        assertEquals("echo hello", answer, "vm1 -> vm2:5353 and the reply");
        assertEquals("timeout", python(3, udp, ip(2), "5353").output().strip(), "vm3 is not allowed to vm2:5353");

        String stats = xvio.call("conntrack", "stats");
        assertTrue(stats.contains("zone 2 tcp") && stats.contains("zone 1 udp"), stats);
    }

    @Test
    void snatHidesTheSenderAndTranslatesTheRepliesBack() throws Exception {
        String nat = "10.94.0.100";
        table("priority=300,arp,actions=NORMAL",
                "priority=100,ip,in_port=1,nw_dst=" + ip(3) + ",actions=ct(commit,zone=9,nat(src=" + nat + ")),output:3",
                "priority=100,ip,in_port=3,nw_dst=" + nat + ",actions=ct(table=5,zone=9,nat)",
                "table=5,ip,ct_state=+trk+est,actions=output:1",
                "table=5,ip,ct_state=+trk+rel,actions=output:1",
                "priority=0,actions=drop");
        // vm3 answers the NAT address at vm1's MAC (the address belongs to no host)
        NetLab.ok("ip", "-n", ns[3], "neigh", "replace", nat, "lladdr", mac[1], "dev", peer[3], "nud", "permanent");
        String server = """
                import socket, sys
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((sys.argv[1], 9000)); s.listen()
                while True:
                    c, a = s.accept(); c.sendall(("you are " + a[0]).encode()); c.close()
                """;
        lab.spawn(ns[3], dir.resolve("whoami.log"), "python3", "-c", server, ip(3));
        awaitListening(3, 9000);
        String client = """
                import socket, sys
                c = socket.create_connection((sys.argv[1], 9000), timeout=5); print(c.recv(100).decode())
                """;
        NetLab.Result r = python(1, client, ip(3));
        assertEquals(0, r.rc(), r.output() + "\n" + xvio.call("dump-flows", "br0"));
        assertEquals("you are " + nat, r.output().strip(), "vm3 saw the NAT address; vm1 got the answer");
        String dump = xvio.call("conntrack", "dump", "zone=9");
        assertTrue(dump.contains("reply=(src=" + ip(3) + ",dst=" + nat), dump);
    }

    @Test
    void aLoadBalancerSpreadsConnectionsOverTwoBackendsAndKeepsEachOnItsOwn() throws Exception {
        String vip = "10.94.0.200";
        for (int b : new int[] {2, 3}) {
            Path www = dir.resolve("lb" + b);
            Files.createDirectories(www);
            Files.writeString(www.resolve("id"), "backend" + b);
            byte[] blob = new byte[512 * 1024];
            new Random(b).nextBytes(blob);
            Files.write(www.resolve("blob"), blob);
            lab.spawn(ns[b], dir.resolve("lb" + b + ".log"), "python3", "-m", "http.server", "8088", "--bind", ip(b), "--directory", www.toString());
            awaitListening(b, 8088);
        }
        // OVN's shape: a select group whose buckets are ct(commit,nat(dst=backend)); replies un-NATed by ct(nat)
        xvio.call("del-groups", "br0");
        xvio.call("add-group", "br0", "group_id=1,type=select,bucket=ct(commit,table=2,zone=5,nat(dst=" + ip(2) + ":8088)),"
                + "bucket=ct(commit,table=2,zone=5,nat(dst=" + ip(3) + ":8088))");
        table("priority=300,arp,actions=NORMAL",
                "priority=100,tcp,in_port=1,nw_dst=" + vip + ",tp_dst=80,actions=ct(table=1,zone=5,nat)",
                "priority=100,tcp,in_port=2,actions=ct(table=3,zone=5,nat)",
                "priority=100,tcp,in_port=3,actions=ct(table=3,zone=5,nat)",
                "priority=0,actions=drop",
                "table=1,tcp,ct_state=+trk+new,actions=group:1",
                "table=1,tcp,ct_state=+trk+est,actions=resubmit(,2)",
                "table=2,tcp,nw_dst=" + ip(2) + ",actions=mod_dl_dst:" + mac[2] + ",output:2",
                "table=2,tcp,nw_dst=" + ip(3) + ",actions=mod_dl_dst:" + mac[3] + ",output:3",
                "table=3,tcp,ct_state=+trk+est,actions=output:1");
        NetLab.ok("ip", "-n", ns[1], "neigh", "replace", vip, "lladdr", "02:94:00:00:00:c8", "dev", peer[1], "nud", "permanent");
        NetLab.ok("ip", "-n", ns[1], "route", "replace", vip + "/32", "dev", peer[1]);
        String fetch = """
                import collections, hashlib, sys, urllib.request
                seen = collections.Counter(urllib.request.urlopen(sys.argv[1] + "/id", timeout=10).read().decode() for _ in range(20))
                print(" ".join(f"{k}={v}" for k, v in sorted(seen.items())))
                print(hashlib.sha256(urllib.request.urlopen(sys.argv[1] + "/blob", timeout=20).read()).hexdigest())
                """;
        NetLab.Result r = python(1, fetch, "http://" + vip);
        String ctx = xvio.call("dump-flows", "br0") + xvio.call("dump-groups", "br0") + xvio.call("conntrack", "dump", "zone=5");
        assertEquals(0, r.rc(), r.output() + "\n" + ctx);
        String[] lines = r.output().strip().split("\n");
        Matcher m = Pattern.compile("backend2=(\\d+) backend3=(\\d+)").matcher(lines[0]);
        assertTrue(m.matches(), "both backends answered: " + lines[0] + "\n" + ctx);
        assertEquals(20, Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)), lines[0]);
        Set<String> blobs = new HashSet<>();
        for (int b : new int[] {2, 3}) blobs.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(dir.resolve("lb" + b).resolve("blob")))));
        assertTrue(blobs.contains(lines[1]), "a 512 KiB download stayed on one backend, intact: " + lines[1]);
        xvio.call("del-groups", "br0");
    }
}
