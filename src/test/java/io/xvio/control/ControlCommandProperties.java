package io.xvio.control;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Control requests are untrusted input (any member of the control socket's group may send them): random sequences
 * of the daemon's commands with arguments drawn from names that exist and do not, numbers at their edges, flow,
 * group and meter strings good and bad, KEY=VALUE settings and junk, against a daemon with two bridges (vhost-user,
 * patch and VXLAN ports, an underlay). Each request is answered or refused with a ControlException (the client's
 * error line), never another exception (the server would answer "internal error" with a stack trace in the log).
 * No argument names a port type that makes or takes a kernel interface, so the test leaves the host's alone.
 */
class ControlCommandProperties {
    static final String[] COMMANDS = {"stats", "show", "add-flow", "add-flows", "add-group", "add-groups", "mod-group", "del-groups",
            "dump-groups", "dump-group-stats", "add-meter", "mod-meter", "del-meters", "del-meter", "dump-meters", "meter-stats", "set-port",
            "del-flows", "mod-flows", "dump-flows", "dump-ports", "add-port", "del-port", "fdb/show", "pmd-stats", "set-frag", "get-frags",
            "trace", "pmd-stats-clear", "ping", "add-mirror", "del-mirror", "show-mirrors", "tnl", "bfd/show", "add-tlv-map", "del-tlv-map",
            "dump-tlv-map", "set-controller", "del-controller", "get-controller", "set-fail-mode", "get-fail-mode", "del-fail-mode", "get-ssl",
            "del-ssl", "conntrack", "add-relay", "del-relay", "show-relays", "pmd-rxq-show", "bogus", ""};

    static String[] vocabulary(Path dir) {
        return new String[] {"br0", "br1", "br0", "br1", "nobr", "vm1", "vm2", "vx0", "pp0", "pp1", "r1", "m0", "nope", "", " ", "-",
                "--format", "json", "--strict", "--generate", "1", "0", "-1", "2", "65535", "65536", "99999999999",
                "in_port=1,actions=output:2", "priority=10,actions=drop", "actions=", "table=300,actions=drop", "in_port=1", "ip,nw_src=10.0.0.1",
                "cookie=0x5/-1", "priority=70000,actions=drop", "actions=ct(commit,zone=5),resubmit(,1)", "in_port=9,actions=group:1",
                "group_id=1,type=all,bucket=output:1", "group_id=1", "group_id=2,type=select,bucket=output:1,bucket=output:99",
                "meter=1,kbps,band=type=drop,rate=10", "meter=1", "meter=all", "meter=0,pktps,band=type=drop,rate=0",
                "type=vhostuser", "type=patch", "type=vxlan", "type=geneve", "type=bogus", "peer=pp9", "peer=pp0", "remote_ip=10.0.0.9",
                "remote_ip=flow", "key=flow", "key=99999999", "path=" + dir.resolve("s1"), "path=" + dir.resolve("s2"), "path=/",
                "ofport=5", "ofport=0", "ofport=65535", "tag=10", "tag=4096", "trunks=1,2", "trunks=x", "mtu=9000", "mtu=1",
                "queues=2", "queues=99", "mode=client", "ingress-policing-rate=100", "egress-policer=cir:100,cbs:10", "pmd-cpu=0", "pmd-cpu=77",
                "select-all=true", "output-port=vm2", "output-port=vm1", "select-src-port=vm1", "select-dst-port=vx0",
                "normal", "drop", "reassemble", "nx-match", "routes", "neigh", "add", "del", "show", "flush", "set", "dump", "limits",
                "10.9.0.0/16", "172.31.0.254", "172.31.0.9", "02:00:00:00:00:01", "zone=5", "zone=70000",
                "vhost.path=" + dir.resolve("r1"), "vhost.queues=2", "vf.device=fuzzvf0", "vf.type=afxdp", "cpus.vm-to-vf=0",
                "tcp:127.0.0.1:1", "unix:" + dir.resolve("of"), "ptcp:0:127.0.0.1", "secure", "standalone",
                "{class=0xffff,type=0,len=4}->tun_metadata0", "{class=0xffff,type=0,len=200}->tun_metadata0",
                "\u0000", "a".repeat(300), "x=y=z", "=", "in_port=1,dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff"};
    }

    static final String CONFIG = """
            pmd-idle: adaptive
            bridges:
              br0:
                ports:
                  vm1: {type: vhostuser, path: %1$s/vm1.sock}
                  vm2: {type: vhostuser, path: %1$s/vm2.sock, ofport: 2}
                  pp0: {type: patch, peer: pp1}
                  vx0: {type: vxlan, remote_ip: 172.31.0.2, key: flow}
                flows: ["in_port=1,actions=output:2", "priority=0,actions=NORMAL"]
              br1:
                ip: 172.31.0.1/24
                ports:
                  pp1: {type: patch, peer: pp0}
            """;

    @Property(tries = 60)
    void everyRequestIsAnsweredOrRefusedWithAControlException(@ForAll long seed) throws Exception {
        Random r = new Random(seed);
        Path dir = Files.createTempDirectory("xvio-ctl-fuzz");
        String[] words = vocabulary(dir);
        Daemon d = new Daemon(Config.parse(CONFIG.formatted(dir), "fuzz.yaml"), dir.resolve("ctl.sock").toString());
        List<List<String>> sent = new ArrayList<>();
        try {
            d.start();
            for (int k = 1 + r.nextInt(25); k > 0; k--) {
                List<String> args = new ArrayList<>();
                args.add(COMMANDS[r.nextInt(COMMANDS.length)]);
                for (int a = r.nextInt(6); a > 0; a--) args.add(words[r.nextInt(words.length)]);
                sent.add(args);
                try {
                    assertNotNull(d.execute(args), args.toString());
                } catch (ControlException | IllegalArgumentException e) {
                    assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), args + " refused without a message");
                } catch (RuntimeException e) {
                    fail("request " + args + " threw " + e + " instead of a ControlException; the requests before it: " + sent, e);
                }
            }
        } finally {
            d.close();
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }
}
