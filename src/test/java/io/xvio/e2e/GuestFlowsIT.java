package io.xvio.e2e;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The OpenFlow datapath checked from inside real Linux guests: an ACL that lets ICMP and one TCP port through
 * but drops another, dec_ttl (the guest sees TTL 63), resubmit into a second table, a MAC rewrite (the
 * learning switch learns the rewritten address), flows changed at runtime, a stateful security group (ct(): a opens
 * TCP and ping towards b, b opens nothing towards a), and VLAN access-port isolation.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.GuestsThroughXvioIT#enabled")
class GuestFlowsIT {
    static final Duration BOOT = Duration.ofSeconds(150);

    @Test
    void aclDecTtlResubmitAndMacRewriteAsTheGuestsSeeThem(@TempDir Path dir) throws Exception {
        String cfg = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1}
                      vh2: {type: vhostuser, path: %s/g2.sock, ofport: 2}
                    flows:
                      - priority=200,tcp,nw_dst=10.0.6.2,tp_dst=5001,actions=drop
                      - priority=100,ip,actions=dec_ttl,resubmit(,1)
                      - priority=0,actions=resubmit(,1)
                      - table=1,priority=0,actions=NORMAL
                """.formatted(dir, dir);
        try (XvioDaemon xvio = XvioDaemon.start(dir, cfg);
             QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("a").mac("52:54:00:00:06:01").ip("10.0.6.1/24")
                     .serve().workDir(dir.resolve("a")).start();
             QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("b").mac("52:54:00:00:06:02").ip("10.0.6.2/24")
                     .serve().workDir(dir.resolve("b")).start()) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            QemuGuest.ExecResult ping = a.exec("ping -c 3 -i 0.2 -W 2 10.0.6.2", Duration.ofSeconds(60));
            assertTrue(ping.output().contains("3 packets received"), ping.output() + xvio.log());
            assertTrue(ping.output().contains("ttl=63"), "dec_ttl on the way: " + ping.output());

            // TCP: port 5000 passes the ACL, port 5001 is dropped
            b.exec("(nc -l -p 5000 > /tmp/got5000 &) ; (nc -l -p 5001 > /tmp/got5001 &) ; sleep 0.5", Duration.ofSeconds(30));
            QemuGuest.ExecResult ok = a.exec("echo hello-5000 | nc -w 3 10.0.6.2 5000; echo rc=$?", Duration.ofSeconds(30));
            QemuGuest.ExecResult blocked = a.exec("echo hello-5001 | nc -w 3 10.0.6.2 5001; echo rc=$?", Duration.ofSeconds(30));
            Thread.sleep(500);
            assertEquals("hello-5000", b.exec("cat /tmp/got5000", Duration.ofSeconds(20)).output().strip(), ok.output());
            assertEquals("", b.exec("cat /tmp/got5001", Duration.ofSeconds(20)).output().strip(), blocked.output());
            assertFalse(blocked.output().contains("rc=0"), "connect to the dropped port fails: " + blocked.output());
            String flows = xvio.call("dump-flows", "br0");
            assertTrue(flows.matches("(?s).*n_packets=[1-9]\\d*,.*priority=200,tcp,nw_dst=10.0.6.2,tp_dst=5001 actions=drop.*"), flows);

            // MAC rewrite before the learning table: NORMAL in table 1 learns the rewritten source
            xvio.call("add-flow", "br0", "priority=300,icmp,nw_src=10.0.6.1,actions=mod_dl_src:02:11:22:33:44:55,resubmit(,1)");
            QemuGuest.ExecResult p2 = a.exec("ping -c 2 -i 0.2 -W 2 10.0.6.2", Duration.ofSeconds(60));
            assertTrue(p2.output().contains("2 packets received"), p2.output());
            String fdb = xvio.call("fdb/show", "br0");
            assertTrue(fdb.matches("(?s).*\\s1\\s+0\\s+02:11:22:33:44:55.*"), fdb);

            // deleting flows at runtime: without the ACL, port 5001 connects (to the listener still waiting there)
            xvio.call("del-flows", "br0", "tcp,tp_dst=5001");
            assertFalse(xvio.call("dump-flows", "br0").contains("tp_dst=5001"));
            a.exec("echo again | nc -w 3 10.0.6.2 5001", Duration.ofSeconds(30));
            Thread.sleep(500);
            assertEquals("again", b.exec("cat /tmp/got5001", Duration.ofSeconds(20)).output().strip());

            // a stateful security group between the guests: a may open connections to b's TCP 5002 and ping it; b may
            // answer but open nothing towards a (both directions tracked in one zone)
            xvio.call("del-flows", "br0");
            xvio.call("add-flows", "br0",
                    "priority=300,arp,actions=NORMAL",
                    "priority=100,ip,actions=ct(table=1,zone=1)",
                    "table=1,priority=100,ip,ct_state=+trk+inv,actions=drop",
                    "table=1,priority=90,ip,ct_state=+trk+est,actions=NORMAL",
                    "table=1,priority=90,ip,ct_state=+trk+rel,actions=NORMAL",
                    "table=1,priority=80,tcp,in_port=1,tp_dst=5002,ct_state=+trk+new,actions=ct(commit,zone=1),NORMAL",
                    "table=1,priority=80,icmp,in_port=1,ct_state=+trk+new,actions=ct(commit,zone=1),NORMAL",
                    "table=1,priority=0,actions=drop");
            b.exec("(nc -l -p 5002 > /tmp/got5002 &) ; (nc -l -p 5003 > /tmp/got5003 &) ; sleep 0.5", Duration.ofSeconds(30));
            a.exec("(nc -l -p 5004 > /tmp/got5004 &) ; sleep 0.5", Duration.ofSeconds(30));
            QemuGuest.ExecResult stateful = a.exec("ping -c 3 -i 0.2 -W 2 10.0.6.2; echo stateful | nc -w 3 10.0.6.2 5002; echo rc=$?",
                    Duration.ofSeconds(60));
            assertTrue(stateful.output().contains("3 packets received"), "a pings b, the replies pass: " + stateful.output());
            Thread.sleep(500);
            assertEquals("stateful", b.exec("cat /tmp/got5002", Duration.ofSeconds(20)).output().strip(), stateful.output());
            QemuGuest.ExecResult refused = a.exec("echo no | nc -w 3 10.0.6.2 5003; echo rc=$?", Duration.ofSeconds(30));
            QemuGuest.ExecResult back = b.exec("echo no | nc -w 3 10.0.6.1 5004; echo rc=$?; ping -c 2 -i 0.2 -W 1 10.0.6.1",
                    Duration.ofSeconds(30));
            Thread.sleep(500);
            assertEquals("", b.exec("cat /tmp/got5003", Duration.ofSeconds(20)).output().strip(), "port 5003 is not in the group: " + refused.output());
            assertEquals("", a.exec("cat /tmp/got5004", Duration.ofSeconds(20)).output().strip(), "b opens nothing to a: " + back.output());
            assertTrue(back.output().contains(" 0 packets received"), "b cannot ping a: " + back.output());
            String conns = xvio.call("conntrack", "dump", "zone=1");
            assertTrue(conns.contains("tcp,orig=(src=10.0.6.1,dst=10.0.6.2") && conns.contains("dport=5002"), conns);
        }
    }

    @Test
    void accessPortsOnDifferentVlansCannotReachEachOther(@TempDir Path dir) throws Exception {
        String cfg = """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      vh1: {type: vhostuser, path: %s/g1.sock, ofport: 1, tag: 10}
                      vh2: {type: vhostuser, path: %s/g2.sock, ofport: 2, tag: 10}
                      vh3: {type: vhostuser, path: %s/g3.sock, ofport: 3, tag: 20}
                """.formatted(dir, dir, dir);
        try (XvioDaemon xvio = XvioDaemon.start(dir, cfg);
             QemuGuest a = QemuGuest.builder(dir.resolve("g1.sock")).name("v10a").ip("10.0.7.1/24").serve().workDir(dir.resolve("a")).start();
             QemuGuest b = QemuGuest.builder(dir.resolve("g2.sock")).name("v10b").ip("10.0.7.2/24").serve().workDir(dir.resolve("b")).start();
             QemuGuest c = QemuGuest.builder(dir.resolve("g3.sock")).name("v20c").ip("10.0.7.3/24").serve().workDir(dir.resolve("c")).start()) {
            a.waitForReady(BOOT);
            b.waitForReady(BOOT);
            c.waitForReady(BOOT);
            assertTrue(xvio.call("show").contains("vh1 type=vhostuser tag=10"), xvio.call("show"));
            QemuGuest.PingResult same = a.ping("10.0.7.2", 5, 0.2, Duration.ofSeconds(60));
            assertEquals(0, same.lost(), "same VLAN: " + same + "\n" + xvio.call("stats"));
            QemuGuest.PingResult other = a.ping("10.0.7.3", 3, 0.2, Duration.ofSeconds(60));
            assertEquals(3, other.lost(), "VLAN 10 must not reach VLAN 20: " + other);
            QemuGuest.PingResult back = c.ping("10.0.7.1", 3, 0.2, Duration.ofSeconds(60));
            assertEquals(3, back.lost(), "nor VLAN 20 reach VLAN 10: " + back);
            String fdb = xvio.call("fdb/show", "br0");
            assertTrue(fdb.matches("(?s).*\\s1\\s+10\\s+52:54.*") && fdb.matches("(?s).*\\s3\\s+20\\s+52:54.*"), fdb);
        }
    }
}
