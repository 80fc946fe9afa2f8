package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.*;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The real {@code ovs-ofctl} (Open vSwitch's own client) against xvio's per-bridge OpenFlow socket
 * {@code unix:DIR/br0.mgmt}, with OpenFlow 1.0 (with Nicira extensions), 1.3 and 1.5: add-flow, add-flows FILE,
 * mod-flows, del-flows --strict, dump-flows, dump-aggregate, dump-ports, dump-ports-desc. What ovs-ofctl
 * dump-flows prints equals what xvio's own dump-flows (OVS's format) prints for the same tables, less the
 * durations and idle ages; flows added over OpenFlow forward two network namespaces' pings through afpacket
 * ports, and deleting one stops them. One daemon serves every case.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.OpenFlowIT#enabled")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenFlowIT {
    private final NetLab lab = new NetLab();
    private Path dir;
    private XvioDaemon xvio;
    private String ns1, ns2, target;
    /** The host ends of the veth pairs behind p1 and p2. */
    private String dev1;
    /** The namespace end behind p1 (ns1's interface). */
    private String peer1;

    static boolean enabled() {
        return !"false".equals(System.getProperty("xvio.e2e")) && NetLab.available()
                && NetLab.run("ovs-ofctl", "--version").rc() == 0;
    }

    @BeforeAll
    void start() throws Exception {
        dir = Files.createTempDirectory("xvio-openflow");
        ns1 = lab.netns();
        ns2 = lab.netns();
        String a1 = lab.name("xoa"), b1 = lab.name("xob"), a2 = lab.name("xoa"), b2 = lab.name("xob");
        dev1 = a1;
        peer1 = b1;
        lab.veth(a1, b1);
        lab.veth(a2, b2);
        lab.move(b1, ns1);
        lab.move(b2, ns2);
        lab.address(ns1, b1, "10.94.0.1/24");
        lab.address(ns2, b2, "10.94.0.2/24");
        lab.up(null, a1);
        lab.up(null, a2);
        xvio = XvioDaemon.start(dir, """
                pmd-idle: adaptive
                bridges:
                  br0:
                    ports:
                      p1: {type: afpacket, device: %s, ofport: 1}
                      p2: {type: afpacket, device: %s, ofport: 2}
                """.formatted(a1, a2));
        target = "unix:" + dir.resolve("br0.mgmt");
        assertTrue(Files.exists(dir.resolve("br0.mgmt")), xvio::log);
    }

    @AfterAll
    void stop() throws Exception {
        try {
            if (xvio != null) assertEquals(0, xvio.stop(), xvio::log);
            assertFalse(Files.exists(dir.resolve("br0.mgmt")), "the OpenFlow socket is removed at exit");
        } finally {
            lab.close();
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    record Run(int rc, String out) {}

    Run ofctl(String version, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl", "-O", version));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(20, TimeUnit.SECONDS), "ovs-ofctl hung: " + cmd);
        return new Run(p.exitValue(), out);
    }

    String ok(String version, String... args) throws Exception {
        Run r = ofctl(version, args);
        assertEquals(0, r.rc(), () -> String.join(" ", args) + ": " + r.out() + "\n" + xvio.log());
        return r.out();
    }

    /** Flow lines without their reply header, durations and idle ages. */
    static String flows(String dump) {
        return dump.lines().filter(l -> l.startsWith(" cookie="))
                .map(l -> l.replaceAll("duration=[0-9.]+s, ", "").replaceAll("idle_age=\\d+, ", "").trim())
                .collect(Collectors.joining("\n"));
    }

    void sameAsXvio(String version) throws Exception {
        String theirs = flows(ok(version, "dump-flows", target));
        String ours = flows(xvio.call("dump-flows", "br0"));
        assertEquals(ours, theirs, version + ": ovs-ofctl dump-flows against xvio's own");
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"OpenFlow10", "OpenFlow13", "OpenFlow15"})
    void flowCommandsAgreeWithXviosOwnDump(String v) throws Exception {
        ok(v, "del-flows", target);
        assertEquals("", flows(xvio.call("dump-flows", "br0")), "a controller's del-flows removes the YAML default flow too");
        ok(v, "add-flow", target, "priority=100,in_port=1,actions=output:2");
        ok(v, "add-flow", target, "table=1,cookie=0x5,priority=10,ip,reg0=0x5,nw_src=10.0.0.0/24,actions=resubmit(,2),dec_ttl,set_field:0x5->reg2,NORMAL");
        ok(v, "add-flow", target, "table=2,idle_timeout=60,priority=5,tcp,dl_vlan=10,tp_dst=80,actions=FLOOD");
        ok(v, "add-flow", target, "table=3,priority=7,ipv6,ipv6_src=2001:db8::/32,icmp6,icmp_type=128,actions=ALL");
        ok(v, "add-flow", target, "table=4,priority=8,arp,arp_op=1,dl_dst=ff:ff:ff:ff:ff:ff,actions=IN_PORT");
        if (!v.equals("OpenFlow10")) ok(v, "add-flow", target, "table=5,priority=9,udp,tp_src=53,actions=write_metadata:0x5/0xff,goto_table:7");
        xvio.call("add-flow", "br0", "table=6,priority=3,dl_type=0x88cc,actions=drop");   // the CLI's flows share the tables
        Path file = dir.resolve("flows-" + v + ".txt");
        Files.writeString(file, "# a file of flows\npriority=50,in_port=3,actions=output:4\npriority=51,in_port=4,actions=output:3\n");
        ok(v, "add-flows", target, file.toString());
        sameAsXvio(v);
        assertTrue(ok(v, "dump-flows", target).contains("table=6, n_packets=0, n_bytes=0"), "the CLI's flow shows over OpenFlow");

        ok(v, "mod-flows", target, "in_port=3,actions=output:5");
        String modified = flows(ok(v, "dump-flows", target, "in_port=3"));
        assertTrue(modified.endsWith("priority=50,in_port=3 actions=output:5"), modified);
        ok(v, "del-flows", "--strict", target, "priority=51,in_port=4");
        assertEquals("", flows(ok(v, "dump-flows", target, "in_port=4")));
        ok(v, "del-flows", "--strict", target, "priority=50,in_port=4");            // selects nothing: no change
        sameAsXvio(v);
        int count = xvio.call("dump-flows", "br0").strip().split("\n").length;
        assertTrue(ok(v, "dump-aggregate", target).contains("flow_count=" + count), xvio.call("dump-flows", "br0"));
    }

    @Order(2)
    @Test
    void nicirasLoadAndMovePrintAsOvsPrintsThem() throws Exception {
        ok("OpenFlow10", "del-flows", target);
        ok("OpenFlow10", "add-flow", target, "priority=3,actions=load:0x7->NXM_NX_REG1[0..3],move:NXM_NX_REG0[0..7]->NXM_NX_REG3[8..15],mod_vlan_vid:7");
        assertTrue(xvio.call("dump-flows", "br0").contains("actions=load:0x7->reg1[0..3],move:reg0[0..7]->reg3[8..15],mod_vlan_vid:7"), xvio.call("dump-flows", "br0"));
        assertTrue(ok("OpenFlow10", "dump-flows", target).contains("actions=load:0x7->NXM_NX_REG1[0..3],move:NXM_NX_REG0[0..7]->NXM_NX_REG3[8..15],mod_vlan_vid:7"));
        // OpenFlow 1.5 has no reg_load: a masked set_field says the same
        String of15 = ok("OpenFlow15", "dump-flows", target);
        assertTrue(of15.contains("actions=set_field:0x7/0xf->reg1,move:NXM_NX_REG0[0..7]->NXM_NX_REG3[8..15]"), of15);
    }

    /** The actions of the datapath issue, sent by ovs-ofctl as Nicira extensions, arrive as written. */
    @Order(2)
    @Test
    void theNewerActionsArriveFromAController() throws Exception {
        ok("OpenFlow13", "del-flows", target);
        ok("OpenFlow13", "add-flow", target, "priority=4,tcp,actions=note:01.02,controller:128,ct_clear,output:NXM_NX_REG1[0..15],"
                + "push:NXM_NX_REG2[0..31],pop:NXM_NX_REG3[0..31],check_pkt_larger(1500)->NXM_NX_REG0[0],clone(mod_tp_dst:8080,output:3)");
        ok("OpenFlow13", "add-flow", target, "priority=5,ip,nw_src=10.0.0.1,actions=conjunction(9,1/2)");
        String ours = xvio.call("dump-flows", "br0");
        assertTrue(ours.contains("actions=note:01.02.00.00.00.00,CONTROLLER:128,ct_clear,output:reg1[0..15],push:reg2[0..31],"
                + "pop:reg3[0..31],check_pkt_larger(1500)->reg0[0],clone(mod_tp_dst:8080,output:3)"), ours);
        assertTrue(ours.contains("actions=conjunction(9,1/2)"), ours);
        String theirs = ok("OpenFlow13", "dump-flows", target);
        assertTrue(theirs.contains("check_pkt_larger(1500)") && theirs.contains("clone(") && theirs.contains("conjunction(9,1/2)"), theirs);
        // conntrack as the OpenStack firewall driver and OVN send it: ct() with zone from a register, nat, exec
        ok("OpenFlow13", "add-flow", target, "table=1,priority=7,ip,actions=ct(table=2,zone=NXM_NX_REG6[0..15],nat)");
        ok("OpenFlow13", "add-flow", target, "table=2,priority=7,ct_state=+trk+new-inv,ip,actions=ct(commit,zone=NXM_NX_REG6[0..15],"
                + "nat(src=10.0.0.1-10.0.0.9:1024-2048),exec(set_field:0x5->ct_mark,set_field:0x1/0x1->ct_label)),output:2");
        ok("OpenFlow13", "add-flow", target, "table=2,priority=6,ct_state=+trk+est,ct_mark=0x5,ct_label=0x1/0x1,ct_zone=3,ip,actions=output:2");
        ours = xvio.call("dump-flows", "br0");
        assertTrue(ours.contains("actions=ct(table=2,zone=reg6[0..15],nat)"), ours);
        assertTrue(ours.contains("ct_state=+new-inv+trk,ip actions=ct(commit,zone=reg6[0..15],nat(src=10.0.0.1-10.0.0.9:1024-2048),"
                + "exec(set_field:0x5->ct_mark,load:0x1->ct_label[0..0])),output:2"), ours);
        assertTrue(ours.contains("ct_state=+est+trk,ct_zone=3,ct_mark=0x5,ct_label=0x1/0x1,ip actions=output:2"), ours);
        theirs = ok("OpenFlow13", "dump-flows", target);
        assertTrue(theirs.contains("ct(commit,zone=NXM_NX_REG6[0..15],nat(src=10.0.0.1-10.0.0.9:1024-2048),exec(") && theirs.contains("ct_state=+est+trk"), theirs);
    }

    @Order(3)
    @Test
    void unsupportedActionsAreRefusedWithOvsErrors() throws Exception {
        String before = flows(xvio.call("dump-flows", "br0"));
        Run multipath = ofctl("OpenFlow13", "add-flow", target, "priority=1,actions=multipath(eth_src,50,modulo_n,1,0,NXM_NX_REG0[])");
        assertNotEquals(0, multipath.rc());
        assertTrue(multipath.out().contains("OFPBAC_BAD_VENDOR_TYPE"), multipath.out());
        Run enqueue = ofctl("OpenFlow10", "add-flow", target, "priority=1,actions=enqueue:1:2");
        assertNotEquals(0, enqueue.rc());
        assertTrue(enqueue.out().contains("OFPBAC_BAD_TYPE"), enqueue.out());
        assertEquals(before, flows(xvio.call("dump-flows", "br0")), "nothing changed");
        assertTrue(xvio.log().contains("rejected (BAD_ACTION_VENDOR_TYPE)"), xvio::log);
    }

    private int received(String ns, String addr) {
        NetLab.Result r = lab.exec(ns, "busybox", "ping", "-c", "3", "-i", "0.2", "-W", "1", addr);
        Matcher m = Pattern.compile("(\\d+) packets received").matcher(r.output());
        assertTrue(m.find(), r.output());
        return Integer.parseInt(m.group(1));
    }

    @Order(4)
    @Test
    void forwardingFollowsOpenFlowFlows() throws Exception {
        ok("OpenFlow13", "del-flows", target);
        assertEquals(0, received(ns1, "10.94.0.2"), "no flows: nothing forwarded");
        ok("OpenFlow13", "add-flow", target, "priority=100,in_port=1,actions=output:2");
        ok("OpenFlow10", "add-flow", target, "priority=100,in_port=2,actions=output:1");
        assertEquals(3, received(ns1, "10.94.0.2"), xvio::log);
        String dump = ok("OpenFlow15", "dump-flows", target);
        assertTrue(Pattern.compile("n_packets=[1-9]\\d*, .*in_port=1 actions=output:2").matcher(dump).find(), dump);
        String ports = ok("OpenFlow13", "dump-ports", target);
        assertTrue(ports.contains("port  1: rx pkts=") && ports.contains("port  2: rx pkts="), ports);
        Matcher rx = Pattern.compile("port  1: rx pkts=(\\d+)").matcher(ports);
        assertTrue(rx.find() && Long.parseLong(rx.group(1)) >= 3, ports);
        String desc = ok("OpenFlow15", "dump-ports-desc", target);
        assertTrue(desc.contains(" 1(p1): addr:") && desc.contains(" 2(p2): addr:"), desc);
        assertTrue(ok("OpenFlow10", "dump-ports-desc", target).contains(" 2(p2): addr:"));
        // the way back deleted strictly: pings go out but no reply returns
        ok("OpenFlow15", "del-flows", "--strict", target, "priority=100,in_port=2");
        assertEquals(0, received(ns1, "10.94.0.2"));
        ok("OpenFlow15", "add-flow", target, "priority=0,actions=NORMAL");
        assertEquals(3, received(ns2, "10.94.0.1"), xvio::log);
    }

    @Order(5)
    @Test
    void severalClientsAtOnce() throws Exception {
        ok("OpenFlow13", "del-flows", target);
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String v = i % 2 == 0 ? "OpenFlow10" : "OpenFlow15";
            ps.add(ofctlProcess("ovs-ofctl", "-O", v, "add-flow", target, "priority=" + (200 + i) + ",in_port=" + (10 + i) + ",actions=drop")
                    .redirectErrorStream(true).start());
            ps.add(ofctlProcess("ovs-ofctl", "-O", v, "dump-flows", target).redirectErrorStream(true).start());
        }
        for (Process p : ps) {
            String out = new String(p.getInputStream().readAllBytes());
            assertTrue(p.waitFor(20, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), out);
        }
        String dump = xvio.call("dump-flows", "br0");
        for (int i = 0; i < 6; i++) assertTrue(dump.contains("priority=" + (200 + i) + ",in_port=" + (10 + i) + " actions=drop"), dump);
        sameAsXvio("OpenFlow13");
    }

    /**
     * ovs-ofctl packet-out: a frame sent out of port 2 leaves it (its tx counter moves); one sent to the controller
     * comes back as a packet-in that ovs-ofctl monitor (a BRIDGE.mgmt client that set miss_send_len) prints, in
     * OpenFlow 1.0 and 1.3 and each packet-in format (standard, NXT_PACKET_IN, NXT_PACKET_IN2); output:TABLE runs
     * the flow tables.
     */
    @Order(6)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"OpenFlow10", "OpenFlow13"})
    void packetOutAndPacketInWithOvsOfctl(String v) throws Exception {
        ok(v, "del-flows", target);
        String frame = "ffffffffffff020000000001" + "88b5" + "00".repeat(46);
        long before = xvio.counter("p2", "tx_packets");
        ok(v, "packet-out", target, "in_port=controller packet=" + frame + " actions=output:2");
        assertEquals(before + 1, xvio.counter("p2", "tx_packets"), "the packet-out left port 2 before the barrier was answered");
        ok(v, "add-flow", target, "priority=7,in_port=controller,actions=output:1");
        long before1 = xvio.counter("p1", "tx_packets");
        ok(v, "packet-out", target, "in_port=controller packet=" + frame + " actions=table");
        assertEquals(before1 + 1, xvio.counter("p1", "tx_packets"), "output:TABLE found the flow for in_port=CONTROLLER");

        // ovs-ofctl asks for NXT_PACKET_IN2 unless told otherwise (-P), as it does with OVS
        String of = v.equals("OpenFlow10") ? " (xid" : " (OF1.3) (xid";
        monitorSees(v, null, "NXT_PACKET_IN2" + of, frame);
        monitorSees(v, "standard", "OFPT_PACKET_IN" + of, frame);
        monitorSees(v, "nxt_packet_in", "NXT_PACKET_IN" + of, frame);
    }

    /**
     * ovs-ofctl -O OpenFlow15 packet-out with pipeline fields in its match (what ovn-controller's packet-outs carry:
     * the logical datapath in metadata, the logical ports in registers): the actions see them.
     */
    @Test
    void packetOutPipelineFieldsWithOvsOfctl() throws Exception {
        String v = "OpenFlow15";
        ok(v, "del-flows", target);
        ok(v, "add-flow", target, "table=1,priority=5,reg0=5,metadata=0x7,actions=output:2");
        ok(v, "add-flow", target, "table=1,priority=1,actions=output:1");
        String frame = "ffffffffffff020000000001" + "88b5" + "00".repeat(46);
        long p1 = xvio.counter("p1", "tx_packets"), p2 = xvio.counter("p2", "tx_packets");
        ok(v, "packet-out", target, "in_port=controller,reg0=5,metadata=0x7 packet=" + frame + " actions=resubmit(,1)");
        assertEquals(p2 + 1, xvio.counter("p2", "tx_packets"), "reg0=5,metadata=0x7: the priority-5 flow");
        ok(v, "packet-out", target, "in_port=controller,reg0=5,metadata=0x6 packet=" + frame + " actions=resubmit(,1)");
        assertEquals(p1 + 1, xvio.counter("p1", "tx_packets"), "another metadata: the priority-1 flow");
        assertEquals(p2 + 1, xvio.counter("p2", "tx_packets"));
        ok(v, "del-flows", target);
    }

    /** ovs-ofctl in this test's run directory: monitor and snoop make a unixctl socket there, not in /var/run/openvswitch (absent where OVS never ran). */
    private ProcessBuilder ofctlProcess(String... cmd) {
        ProcessBuilder b = new ProcessBuilder(cmd);
        b.environment().put("OVS_RUNDIR", dir.toString());
        return b;
    }

    /** ovs-ofctl monitor (with -P format unless null) prints a packet-in of xvio's as "want". */
    private void monitorSees(String v, String format, String want, String frame) throws Exception {
        Path out = dir.resolve("monitor-" + v + "-" + format + ".txt");
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl", "-O", v, "monitor", target, "65534"));
        if (format != null) cmd.addAll(1, List.of("-P", format));
        Process mon = ofctlProcess(cmd.toArray(String[]::new)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        try {
            long end = System.nanoTime() + 10_000_000_000L;
            String seen = "";
            while (System.nanoTime() < end && !seen.contains(want)) {
                ok(v, "packet-out", target, "in_port=1 packet=" + frame + " actions=controller");
                Thread.sleep(200);
                seen = Files.readString(out);
            }
            assertTrue(seen.contains(want), seen + xvio.log());
            assertTrue(seen.contains("total_len=60 in_port=1 (via action) data_len=60 (unbuffered)"), seen);
            assertTrue(seen.contains("dl_src=02:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x88b5"), seen);
        } finally {
            mon.destroy();
            mon.waitFor(10, TimeUnit.SECONDS);
        }
    }
    /**
     * ovs-ofctl add-group, mod-group, insert-buckets, remove-buckets, del-groups, dump-groups, dump-group-stats and
     * dump-group-features over BRIDGE.mgmt: groups of each type print back as they were sent (OpenFlow 1.5 with
     * bucket ids and the selection method), xvio's own dump-groups lists the same table, a packet-out through a
     * group leaves by its bucket and counts, and bad group_mods get OVS's errors.
     */
    @Order(7)
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"OpenFlow13", "OpenFlow15"})
    void groupsWithOvsOfctl(String v) throws Exception {
        boolean of15 = v.equals("OpenFlow15");
        ok(v, "del-flows", target);
        ok(v, "del-groups", target);
        ok(v, "add-group", target, "group_id=1,type=all,bucket=output:2");
        ok(v, "add-group", target, "group_id=2,type=select,selection_method=hash,fields(ip_src,tcp_dst),bucket=bucket_id:5,weight:100,actions=mod_dl_src:00:11:22:33:44:55,output:1,bucket=bucket_id:6,weight:50,actions=group:1");
        ok(v, "add-group", target, "group_id=3,type=fast_failover,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,watch_group:1,actions=output:2");
        ok(v, "add-group", target, "group_id=4,type=indirect,bucket=actions=set_field:5->reg0,group:2");
        List<String> want = of15 ? List.of(
                "group_id=1,type=all,bucket=bucket_id:0,actions=output:2",
                "group_id=2,type=select,selection_method=hash,fields(ip_src,tcp_dst),bucket=bucket_id:5,weight:100,actions=set_field:00:11:22:33:44:55->eth_src,output:1,bucket=bucket_id:6,weight:50,actions=group:1",
                "group_id=3,type=ff,bucket=bucket_id:0,watch_port:1,actions=output:1,bucket=bucket_id:1,watch_port:2,watch_group:1,actions=output:2",
                "group_id=4,type=indirect,bucket=bucket_id:0,actions=set_field:0x5->reg0,group:2")
                : List.of(  // OpenFlow 1.3 carries neither bucket ids nor a selection method
                "group_id=1,type=all,bucket=actions=output:2",
                "group_id=2,type=select,bucket=weight:100,actions=set_field:00:11:22:33:44:55->eth_src,output:1,bucket=weight:50,actions=group:1",
                "group_id=3,type=ff,bucket=watch_port:1,actions=output:1,bucket=watch_port:2,watch_group:1,actions=output:2",
                "group_id=4,type=indirect,bucket=actions=set_field:0x5->reg0,group:2");
        assertEquals(want, groups(ok(v, "dump-groups", target)));
        assertEquals(4, groups(xvio.call("dump-groups", "br0")).size(), "the CLI's table is the same table");
        assertTrue(xvio.call("dump-groups", "br0").contains("group_id=3,type=fast_failover"));

        // a packet-out through group 1 leaves by its bucket; the group counts it
        String frame = "ffffffffffff020000000001" + "88b5" + "00".repeat(46);
        long before = xvio.counter("p2", "tx_packets");
        ok(v, "packet-out", target, "in_port=controller packet=" + frame + " actions=group:1");
        assertEquals(before + 1, xvio.counter("p2", "tx_packets"));
        String stats = ok(v, "dump-group-stats", target, "group_id=1");
        assertTrue(stats.contains("group_id=1,") && stats.contains("packet_count=1,byte_count=60,bucket0:packet_count=1,byte_count=60"), stats);
        assertTrue(ok(v, "dump-group-features", target).contains("Types:  0xf"));

        refused(v, "OFPGMFC_GROUP_EXISTS", "add-group", "group_id=1,type=all,bucket=output:1");
        refused(v, "OFPGMFC_UNKNOWN_GROUP", "mod-group", "group_id=9,type=all,bucket=output:1");
        refused(v, "OFPGMFC_LOOP", "mod-group", "group_id=1,type=all,bucket=group:4");
        refused(v, "OFPBAC_BAD_OUT_GROUP", "add-group", "group_id=7,type=all,bucket=group:8");
        refused(v, "OFPGMFC_CHAINED_GROUP", "del-groups", "group_id=1");
        refused(v, "OFPBAC_BAD_OUT_GROUP", "add-flow", "priority=9,actions=group:99");
        if (of15) {
            ok(v, "insert-buckets", target, "group_id=1,command_bucket_id=first,bucket=bucket_id:7,actions=output:1");
            ok(v, "remove-buckets", target, "group_id=1,command_bucket_id=0");
            assertEquals("group_id=1,type=all,bucket=bucket_id:7,actions=output:1", groups(ok(v, "dump-groups", target, "1")).getFirst());
            refused(v, "OFPGMFC_UNKNOWN_BUCKET", "remove-buckets", "group_id=1,command_bucket_id=99");
        }
        // deleting a group deletes the flows that send to it, as OVS does
        ok(v, "add-flow", target, "priority=9,in_port=1,actions=group:4");
        ok(v, "del-groups", target, "group_id=4");
        assertFalse(ok(v, "dump-flows", target).contains("group:4"));
        ok(v, "del-groups", target);
        assertEquals(List.of(), groups(ok(v, "dump-groups", target)));
        ok(v, "add-flow", target, "priority=0,actions=NORMAL");
    }

    /**
     * ovs-ofctl add-meter, mod-meter, del-meter, dump-meters, meter-stats and meter-features over BRIDGE.mgmt: meters
     * print back as sent, the CLI's dump-meters shows the same table, a flow's meter counts a packet-out through it,
     * deleting a meter deletes the flows that name it, and bad meter_mods get OVS's errors.
     */
    @Order(8)
    @Test
    void metersWithOvsOfctl() throws Exception {
        String v = "OpenFlow13";
        ok(v, "del-flows", target);
        ok(v, "del-meters", target);
        ok(v, "add-meter", target, "meter=1,kbps,bands=type=drop,rate=10000");
        ok(v, "add-meter", target, "meter=2,pktps,burst,stats,bands=type=drop,rate=100,burst_size=20");
        ok(v, "mod-meter", target, "meter=1,pktps,stats,bands=type=drop,rate=500");
        String dump = ok(v, "dump-meters", target);
        assertTrue(dump.contains("meter=1 pktps stats bands=\ntype=drop rate=500\n"), dump);
        assertTrue(dump.contains("meter=2 pktps burst stats bands=\ntype=drop rate=100 burst_size=20"), dump);
        assertEquals(dump.substring(dump.indexOf('\n') + 1).replace("\n\n", "\n").strip(), xvio.call("dump-meters", "br0").strip(),
                "the CLI's table is the same table");
        ok(v, "add-flow", target, "priority=7,in_port=controller,actions=meter:2,output:2");
        String frame = "ffffffffffff020000000001" + "88b5" + "00".repeat(46);
        ok(v, "packet-out", target, "in_port=controller packet=" + frame + " actions=table");
        String stats = ok(v, "meter-stats", target, "meter=2");
        assertTrue(stats.contains("meter:2 flow_count:1 packet_in_count:1 byte_in_count:60"), stats);
        assertTrue(ok(v, "meter-features", target).contains("max_meter:262144 max_bands:8"));
        refused(v, "OFPMMFC_METER_EXISTS", "add-meter", "meter=1,kbps,bands=type=drop,rate=1");
        refused(v, "OFPMMFC_UNKNOWN_METER", "mod-meter", "meter=9,kbps,bands=type=drop,rate=1");
        refused(v, "OFPMMFC_BAD_BAND", "add-meter", "meter=3,kbps,bands=type=dscp_remark,rate=100,prec_level=1");
        refused(v, "OFPMMFC_INVALID_METER", "add-flow", "priority=9,actions=meter:99,output:1");
        ok(v, "del-meter", target, "meter=2");
        assertFalse(ok(v, "dump-flows", target).contains("meter:2"), "the flow naming meter 2 went with it");
        ok(v, "del-meters", target);
        assertFalse(ok(v, "dump-meters", target).contains("meter="));
        ok(v, "add-flow", target, "priority=0,actions=NORMAL");
    }

    /**
     * ovs-ofctl monitor (a BRIDGE.mgmt client with a miss_send_len, so it takes asynchronous messages as in OVS)
     * prints OFPT_PORT_STATUS when p1's link goes down and up again.
     */
    @Order(9)
    @Test
    void portStatusReachesOvsOfctlMonitor() throws Exception {
        Path out = dir.resolve("monitor-port-status.txt");
        Process mon = ofctlProcess("ovs-ofctl", "-O", "OpenFlow13", "monitor", target, "65534").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            Thread.sleep(1000);
            assertEquals(0, NetLab.run("ip", "link", "set", dev1, "down").rc());
            long end = System.nanoTime() + 10_000_000_000L;
            String seen = "";
            while (System.nanoTime() < end && !seen.contains("state:      LINK_DOWN")) {
                Thread.sleep(200);
                seen = Files.readString(out);
            }
            assertTrue(seen.contains("OFPT_PORT_STATUS (OF1.3)") && seen.contains("MOD: 1(p1)") && seen.contains("LINK_DOWN"), seen + xvio.log());
            assertEquals(0, NetLab.run("ip", "link", "set", dev1, "up").rc());
            while (System.nanoTime() < end + 10_000_000_000L && !Files.readString(out).contains("state:      LIVE")
                    && Files.readString(out).split("OFPT_PORT_STATUS").length < 3) Thread.sleep(200);
            assertTrue(Files.readString(out).split("OFPT_PORT_STATUS").length >= 3, Files.readString(out));
        } finally {
            mon.destroy();
            mon.waitFor(10, TimeUnit.SECONDS);
            NetLab.run("ip", "link", "set", dev1, "up");
        }
    }

    /**
     * ovs-ofctl monitor prints OFPT_FLOW_REMOVED for flows added with send_flow_rem: one deleted by del-flows
     * (reason delete) and one whose hard timeout passed (reason hard, within the daemon's one-second expiry).
     */
    @Order(10)
    @Test
    void flowRemovedReachesOvsOfctlMonitor() throws Exception {
        Path out = dir.resolve("monitor-flow-removed.txt");
        Process mon = ofctlProcess("ovs-ofctl", "-O", "OpenFlow13", "monitor", target, "65534").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            Thread.sleep(1000);
            ok("OpenFlow13", "add-flow", target, "cookie=0x11,priority=300,in_port=9,send_flow_rem,actions=drop");
            ok("OpenFlow13", "add-flow", target, "cookie=0x12,priority=301,in_port=9,send_flow_rem,hard_timeout=1,actions=drop");
            ok("OpenFlow13", "add-flow", target, "cookie=0x13,priority=302,in_port=9,actions=drop");
            ok("OpenFlow13", "del-flows", "--strict", target, "priority=300,in_port=9");
            long end = System.nanoTime() + 10_000_000_000L;
            String seen = "";
            while (System.nanoTime() < end && !(seen.contains("reason=delete") && seen.contains("reason=hard"))) {
                Thread.sleep(200);
                seen = Files.readString(out);
            }
            assertTrue(seen.contains("OFPT_FLOW_REMOVED (OF1.3)") && seen.contains("priority=300,in_port=9 reason=delete"), seen + xvio.log());
            assertTrue(seen.contains("priority=301,in_port=9 reason=hard"), seen);
            assertFalse(seen.contains("cookie:0x13"), "no send_flow_rem, no message");
            ok("OpenFlow13", "del-flows", target, "in_port=9");
        } finally {
            mon.destroy();
            mon.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Bundles from ovs-ofctl: add-flows --bundle (OpenFlow 1.4, 1.5, and 1.3 through ONF's extension) and
     * replace-flows --bundle change the table in one commit; a bundle with one flow that fails at commit (it names a
     * group that does not exist) is refused as a whole, ovs-ofctl prints the flow's error and OFPBFC_MSG_FAILED, and
     * the table is as it was.
     */
    @Order(11)
    @Test
    void bundlesFromOvsOfctlAreAllOrNothing() throws Exception {
        ok("OpenFlow14", "del-flows", target);
        StringBuilder many = new StringBuilder();
        // 3000: the test daemon has a 128 MiB heap and a flow's per-PMD-thread counters take about 8 KiB
        for (int i = 0; i < 3000; i++) many.append("table=3,priority=").append(10 + i % 7).append(",ip,nw_dst=10.").append(i >> 16).append('.')
                .append((i >> 8) & 0xff).append('.').append(i & 0xff).append(",actions=output:").append(1 + i % 2).append('\n');
        Path big = dir.resolve("bundle-big.txt");
        Files.writeString(big, many);
        long t0 = System.nanoTime();
        ok("OpenFlow14", "--bundle", "add-flows", target, big.toString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("OpenFlowIT: ovs-ofctl --bundle add-flows of 3000 flows: " + ms + " ms");
        assertTrue(ok("OpenFlow14", "dump-aggregate", target).contains("flow_count=3000"));
        sameAsXvio("OpenFlow14");

        Path replacement = dir.resolve("bundle-replace.txt");
        Files.writeString(replacement, "priority=100,in_port=1,actions=output:2\npriority=100,in_port=2,actions=output:1\ntable=3,priority=10,ip,nw_dst=10.0.0.0,actions=output:1\n");
        ok("OpenFlow15", "--bundle", "replace-flows", target, replacement.toString());
        String after = flows(ok("OpenFlow15", "dump-flows", target));
        assertEquals(3, after.lines().count(), after);
        assertTrue(after.contains("priority=100,in_port=1 actions=output:2") && after.contains("priority=100,in_port=2 actions=output:1")
                && after.contains("table=3, n_packets=0, n_bytes=0, priority=10,ip,nw_dst=10.0.0.0 actions=output:1"), after);

        Path bad = dir.resolve("bundle-bad.txt");
        Files.writeString(bad, "priority=200,in_port=1,actions=drop\npriority=201,in_port=2,actions=group:4242\npriority=202,in_port=1,actions=drop\n");
        for (String v : List.of("OpenFlow13", "OpenFlow14", "OpenFlow15")) {
            Run r = ofctl(v, "--bundle", "add-flows", target, bad.toString());
            assertNotEquals(0, r.rc(), r.out());
            assertTrue(r.out().contains("OFPBAC_BAD_OUT_GROUP") && r.out().contains("OFPBFC_MSG_FAILED"), v + ": " + r.out());
            assertEquals(after, flows(ok(v, "dump-flows", target)), v + ": the table is as it was");
        }

        Path small = dir.resolve("bundle-small.txt");
        Files.writeString(small, "priority=300,in_port=1,actions=output:2\npriority=301,in_port=2,actions=output:1\n");
        ok("OpenFlow13", "--bundle", "add-flows", target, small.toString());     // ONF's bundle extension
        String of13 = flows(ok("OpenFlow13", "dump-flows", target));
        assertTrue(of13.contains("priority=300,in_port=1 actions=output:2") && of13.contains("priority=301,in_port=2 actions=output:1"), of13);
        sameAsXvio("OpenFlow13");

        // ovs-ofctl bundle FILE: a group and the flow naming it in one commit; in the other order nothing happens
        Path mixed = dir.resolve("bundle-mixed.txt");
        Files.writeString(mixed, "group add group_id=77,type=all,bucket=output:2\nflow add priority=400,in_port=1,actions=group:77\n"
                + "flow delete_strict priority=300,in_port=1\n");
        ok("OpenFlow15", "bundle", target, mixed.toString());
        String withGroup = flows(ok("OpenFlow15", "dump-flows", target));
        assertTrue(withGroup.contains("priority=400,in_port=1 actions=group:77") && !withGroup.contains("priority=300"), withGroup);
        assertEquals(List.of("group_id=77,type=all,bucket=bucket_id:0,actions=output:2"), groups(ok("OpenFlow15", "dump-groups", target)));
        Path reversed = dir.resolve("bundle-reversed.txt");
        Files.writeString(reversed, "flow add priority=401,in_port=1,actions=group:78\ngroup add group_id=78,type=all,bucket=output:1\n");
        Run r = ofctl("OpenFlow15", "bundle", target, reversed.toString());
        assertTrue(r.rc() != 0 && r.out().contains("OFPBAC_BAD_OUT_GROUP") && r.out().contains("OFPBFC_MSG_FAILED"), r.out());
        assertEquals(withGroup, flows(ok("OpenFlow15", "dump-flows", target)));
        assertEquals(List.of("group_id=77,type=all,bucket=bucket_id:0,actions=output:2"), groups(ok("OpenFlow15", "dump-groups", target)));
        ok("OpenFlow15", "del-flows", target);
        ok("OpenFlow15", "del-groups", target);
    }

    /**
     * ovs-ofctl monitor's flow monitor (watch:, ONF's extension in OpenFlow 1.3) sees the changes of another OpenFlow
     * client, of the CLI (xvio add-flow / del-flows) and of the daemon's hard-timeout expiry, as the lines OVS's
     * monitor prints.
     */
    @Order(12)
    @Test
    void flowMonitorSeesOpenFlowTheCliAndTimeouts() throws Exception {
        Path out = dir.resolve("monitor-watch.txt");
        Process mon = ofctlProcess("ovs-ofctl", "-O", "OpenFlow13", "monitor", target, "watch:in_port=19").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            Thread.sleep(1000);
            ok("OpenFlow13", "add-flow", target, "priority=310,in_port=19,actions=output:2");
            xvio.call("add-flow", "br0", "priority=311,in_port=19,ip,actions=drop");
            ok("OpenFlow13", "add-flow", target, "priority=312,in_port=19,arp,hard_timeout=1,actions=drop");
            xvio.call("del-flows", "br0", "in_port=19,ip");
            long end = System.nanoTime() + 10_000_000_000L;
            String seen = "";
            while (System.nanoTime() < end && !(seen.contains("reason=hard") && seen.contains("reason=delete"))) {
                Thread.sleep(200);
                seen = Files.readString(out);
            }
            assertTrue(seen.contains("event=ADDED table=0 cookie=0 in_port=19 actions=output:2"), seen + xvio.log());
            assertTrue(seen.contains("event=ADDED table=0 cookie=0 ip,in_port=19"), "the CLI's add: " + seen);
            assertTrue(seen.contains("event=DELETED reason=delete table=0 cookie=0 ip,in_port=19"), "the CLI's delete: " + seen);
            assertTrue(seen.contains("event=DELETED reason=hard table=0 hard_timeout=1 cookie=0 arp,in_port=19"), "the expiry: " + seen);
            ok("OpenFlow13", "del-flows", target, "in_port=19");
        } finally {
            mon.destroy();
            mon.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * controller(userdata=...) (OVN's way to tell its controller what to do): ovs-ofctl monitor prints the userdata.
     * controller(...,pause) (OVN's put_dhcp_opts and friends): the translation stops, the NXT_PACKET_IN2 carries the
     * continuation, and ovs-ofctl monitor's (test-only) resume option sends it back in NXT_RESUME: the rest of the
     * flow's actions run, the frame leaves port 2.
     */
    @Order(13)
    @Test
    void controllerUserdataReachesOvsOfctlMonitor() throws Exception {
        Path out = dir.resolve("monitor-userdata.txt");
        Process mon = ofctlProcess("ovs-ofctl", "-O", "OpenFlow13", "monitor", target, "65534", "resume").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        try {
            String frame = "ffffffffffff020000000001" + "88b5" + "00".repeat(46);
            long end = System.nanoTime() + 10_000_000_000L;
            String seen = "";
            while (System.nanoTime() < end && !seen.contains("userdata=")) {
                ok("OpenFlow13", "packet-out", target, "in_port=1 packet=" + frame + " actions=controller(userdata=01.02.0a)");
                Thread.sleep(200);
                seen = Files.readString(out);
            }
            assertTrue(seen.contains("NXT_PACKET_IN2") && seen.contains("userdata=01.02.0a"), seen + xvio.log());

            ok("OpenFlow13", "add-flow", target, "table=0,priority=990,in_port=1,actions=set_field:0x5->reg2,goto_table:7");
            ok("OpenFlow13", "add-flow", target, "table=7,cookie=0x77,priority=5,actions=controller(userdata=01.02,pause),output:2");
            assertTrue(ok("OpenFlow13", "dump-flows", target, "table=7").contains("actions=controller(userdata=01.02,pause),output:2"));
            long before = xvio.counter("p2", "tx_packets");
            ok("OpenFlow13", "packet-out", target, "in_port=1 packet=" + frame + " actions=table");
            end = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < end && xvio.counter("p2", "tx_packets") == before) Thread.sleep(100);
            seen = Files.readString(out);
            assertEquals(before + 1, xvio.counter("p2", "tx_packets"), "resumed: output:2 ran once\n" + seen + xvio.log());
            assertTrue(seen.contains("continuation.bridge=") && seen.contains("NXT_RESUME"), seen);
            assertFalse(seen.contains("OFPT_ERROR"), "the resume was taken: " + seen);
            assertTrue(seen.contains("continuation.actions=unroll_xlate(table=7, cookie=119),output:2"), "the rest of the flow: " + seen);
            assertTrue(seen.contains("reg2=0x5"), "the registers went to the controller and back: " + seen);
            // under a resubmit that output:2 follows: the continuation unrolls table 0's rest after table 7's
            ok("OpenFlow13", "add-flow", target, "table=0,priority=990,in_port=1,actions=set_field:0x6->reg2,resubmit(,7),output:2");
            ok("OpenFlow13", "add-flow", target, "table=7,cookie=0x77,priority=5,actions=controller(userdata=01.03,pause)");
            before = xvio.counter("p2", "tx_packets");
            ok("OpenFlow13", "packet-out", target, "in_port=1 packet=" + frame + " actions=table");
            end = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < end && xvio.counter("p2", "tx_packets") == before) Thread.sleep(100);
            seen = Files.readString(out);
            assertEquals(before + 1, xvio.counter("p2", "tx_packets"), "resumed: table 0's output:2 ran once\n" + seen + xvio.log());
            String unrolled = seen.lines().filter(l -> l.contains("continuation.actions=") && l.contains("table=0")).findFirst().orElse("");
            assertTrue(unrolled.contains("unroll_xlate(table=7, cookie=119)") && unrolled.endsWith("output:2"), seen);
            assertTrue(seen.contains("reg2=0x6"), seen);
            assertFalse(seen.contains("OFPT_ERROR"), "the resume was taken: " + seen);
            Run nested = ofctl("OpenFlow13", "add-flow", target, "table=7,priority=6,in_port=9,actions=clone(controller(pause)),output:2");
            assertNotEquals(0, nested.rc(), "a pause inside clone cannot be continued: refused");
            assertTrue(nested.out().contains("OFPBAC_BAD_ARGUMENT"), nested.out());
            ok("OpenFlow13", "del-flows", target, "table=7");
            ok("OpenFlow13", "del-flows", target, "in_port=1");
        } finally {
            mon.destroy();
            mon.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Neutron's br-tun learn, added by the real ovs-ofctl: frames from p1 teach table 20 where their source MAC lives
     * (NXM_OF_VLAN_TCI[0..11], dl_dst = the source, load tun_id, output to the input port); frames from p2 are
     * forwarded by table 20 only, so ns2's replies reach ns1 only through the learned flow. ovs-ofctl dump-flows shows
     * the learned flow with OVS's match and actions, and its counters show the later frames used it.
     */
    @Order(14)
    @Test
    void neutronsLearnFromOvsOfctlTeachesTable20() throws Exception {
        ok("OpenFlow13", "del-flows", target);
        String learn = "learn(table=20,hard_timeout=300,priority=1,cookie=0x1234,NXM_OF_VLAN_TCI[0..11],"
                + "NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[])";
        ok("OpenFlow13", "add-flow", target, "table=0,priority=10,in_port=1,actions=" + learn + ",output:2");
        ok("OpenFlow10", "add-flow", target, "table=0,priority=10,in_port=2,actions=resubmit(,20)");
        ok("OpenFlow15", "add-flow", target, "table=20,priority=0,actions=drop");
        String table0 = ok("OpenFlow15", "dump-flows", target, "table=0");
        assertTrue(table0.contains("in_port=1 actions=" + learn + ",output:2"), "printed back as OVS prints it: " + table0);
        assertEquals(1, flows(ok("OpenFlow13", "dump-flows", target, "table=20")).lines().count(), "nothing learned yet");

        lab.exec(ns1, "busybox", "ping", "-c", "1", "-W", "1", "10.94.0.2");     // the first ARP teaches table 20
        assertEquals(3, received(ns1, "10.94.0.2"), "ns2's replies pass through the learned flow\n" + xvio.log());
        String mac = lab.exec(ns1, "cat", "/sys/class/net/" + peer1 + "/address").output().strip();
        String learned = flows(ok("OpenFlow13", "dump-flows", target, "table=20")).lines().filter(l -> l.contains(" priority=1,"))
                .collect(Collectors.joining("\n"));
        assertTrue(learned.startsWith("cookie=0x1234, table=20, "), learned);
        assertTrue(learned.contains("hard_timeout=300, priority=1,vlan_tci=0x0000/0x0fff,dl_dst=" + mac
                + " actions=set_field:0->vlan_tci,set_field:0->tun_id,output:1"), learned);
        // (OVS prints these two as load:0->NXM_OF_VLAN_TCI[],load:0->NXM_NX_TUN_ID[]: the same rewrites; xvio's set
        // actions do not remember the reg_load wire form, so OpenFlow 1.3 carries them as set_field)
        Matcher n = Pattern.compile("n_packets=(\\d+)").matcher(learned);
        assertTrue(n.find() && Long.parseLong(n.group(1)) >= 3, "later frames from ns2 used it: " + learned);
        sameAsXvio("OpenFlow13");
        // a controller deletes what was learned: the next frame of the cached path learns it again (as OVS re-adds it)
        ok("OpenFlow13", "del-flows", target, "table=20,cookie=0x1234/-1");
        assertEquals(1, flows(ok("OpenFlow13", "dump-flows", target, "table=20")).lines().count());
        assertTrue(received(ns1, "10.94.0.2") >= 2, "learned again at the first echo request\n" + xvio.log());
        assertTrue(flows(ok("OpenFlow13", "dump-flows", target, "table=20")).contains("dl_dst=" + mac + " actions="), "learned again");

        Run fin = ofctl("OpenFlow13", "add-flow", target, "priority=2,actions=learn(table=20,fin_idle_timeout=5,NXM_OF_ETH_DST[])");
        assertNotEquals(0, fin.rc(), "xvio has no fin_timeout: refused, not ignored");
        assertTrue(fin.out().contains("OFPBAC_BAD_ARGUMENT"), fin.out());
        ok("OpenFlow13", "del-flows", target);
        ok("OpenFlow13", "add-flow", target, "priority=0,actions=NORMAL");
    }

    /** Waits up to 10 s for want in a monitor's output file; returns the output. */
    private static String awaitIn(Path out, String want) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        String seen = Files.readString(out);
        while (System.nanoTime() < end && !seen.contains(want)) {
            Thread.sleep(100);
            seen = Files.readString(out);
        }
        return seen;
    }

    private Process monitor(String v, Path out, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl", "-O", v, "monitor", target, "65534"));
        cmd.addAll(List.of(extra));
        Process p = ofctlProcess(cmd.toArray(String[]::new)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        long end = System.nanoTime() + 10_000_000_000L;       // connected once ovs-ofctl printed its first lines
        while (System.nanoTime() < end && Files.size(out) == 0) Thread.sleep(50);
        Thread.sleep(300);
        return p;
    }

    /**
     * The controller action's reason and meter_id with the real ovs-ofctl: each form prints back as OVS prints it in
     * 1.0, 1.3 and 1.5; ovs-ofctl monitor (1.5) shows each packet-in's reason as OVS would give it: packet_out for a
     * packet-out's plain controller action, a reason the action names, group for a bucket's output:controller,
     * action_set; a 1.3 monitor sees the 1.4 reasons as action; invalid_ttl goes to the 1.0 monitor that asked for it
     * (ovs-ofctl monitor ... invalid_ttl) only. meter_id=5 (1 packet/s) lets the first of ten packet-outs' packet-ins
     * through, and meter-stats counts all ten.
     */
    @Order(15)
    @Test
    void controllerReasonsAndMeterWithOvsOfctl() throws Exception {
        ok("OpenFlow13", "del-flows", target);
        String[][] forms = {{"controller:100", "CONTROLLER:100"},
                {"controller(max_len=1234,id=5678,reason=invalid_ttl)", "controller(reason=invalid_ttl,max_len=1234,id=5678)"},
                {"controller(meter_id=3,reason=group)", "controller(reason=group,meter_id=3)"},
                {"controller(reason=no_match,userdata=01.02)", "controller(reason=no_match,userdata=01.02)"}};
        for (String v : List.of("OpenFlow10", "OpenFlow13", "OpenFlow15")) {
            for (int k = 0; k < forms.length; k++) ok(v, "add-flow", target, "table=9,priority=" + (k + 1) + ",actions=" + forms[k][0]);
            String dump = ok(v, "dump-flows", target, "table=9");
            for (String[] f : forms) assertTrue(dump.contains("actions=" + f[1]), v + ": " + f[1] + " in " + dump);
            sameAsXvio(v);
            ok(v, "del-flows", target, "table=9");
        }

        Path out15 = dir.resolve("monitor-reasons-15.txt"), out13 = dir.resolve("monitor-reasons-13.txt"), out10 = dir.resolve("monitor-reasons-10.txt");
        Process m15 = monitor("OpenFlow15", out15), m13 = monitor("OpenFlow13", out13), m10 = monitor("OpenFlow10", out10, "invalid_ttl");
        try {
            String frame = "ffffffffffff020000000001" + "88b6" + "00".repeat(46);
            ok("OpenFlow15", "packet-out", target, "in_port=1 packet=" + frame + " actions=controller");
            assertTrue(awaitIn(out15, "(via packet_out)").contains("(via packet_out)"), Files.readString(out15) + xvio.log());
            assertTrue(awaitIn(out13, "(via action)").contains("(via action)"), "1.3 has no packet_out reason: " + Files.readString(out13));
            ok("OpenFlow15", "packet-out", target, "in_port=1 packet=" + frame + " actions=controller(reason=no_match)");
            assertTrue(awaitIn(out15, "(via no_match)").contains("(via no_match)"), Files.readString(out15));

            ok("OpenFlow15", "add-group", target, "group_id=77,type=all,bucket=actions=output:controller");
            ok("OpenFlow15", "add-flow", target, "priority=990,in_port=1,arp,actions=group:77");
            lab.exec(ns1, "ip", "neigh", "flush", "all");                                // an earlier case's entry would spare the ARP
            lab.exec(ns1, "busybox", "ping", "-c", "1", "-W", "1", "10.94.0.2");        // ns1's ARP request meets the group
            assertTrue(awaitIn(out15, "(via group)").contains("(via group)"), Files.readString(out15) + xvio.log());
            ok("OpenFlow15", "mod-flows", target, "in_port=1,arp,actions=controller(reason=action_set)");
            lab.exec(ns1, "ip", "neigh", "flush", "all");
            lab.exec(ns1, "busybox", "ping", "-c", "1", "-W", "1", "10.94.0.2");
            assertTrue(awaitIn(out15, "(via action_set)").contains("(via action_set)"), Files.readString(out15) + xvio.log());
            String seen13 = Files.readString(out13);
            assertFalse(seen13.contains("(via group)") || seen13.contains("(via action_set)") || seen13.contains("(via packet_out)"), seen13);

            ok("OpenFlow13", "packet-out", target, "in_port=1 packet=" + frame + " actions=controller(reason=invalid_ttl)");
            assertTrue(awaitIn(out10, "(via invalid_ttl)").contains("(via invalid_ttl)"), "the 1.0 monitor asked for them: " + Files.readString(out10));
            Thread.sleep(300);
            assertFalse(Files.readString(out15).contains("(via invalid_ttl)"), "OVS's default async config leaves invalid_ttl out");

            // meter_id: 1 packet/s, burst 1: of ten packet-ins at once, the meter passes one (two if a second passes)
            ok("OpenFlow13", "add-meter", target, "meter=5,pktps,burst,stats,bands=type=drop,rate=1,burst_size=1");
            String marked = "ffffffffffff020000000001" + "88b7" + "00".repeat(46);
            long before = Files.readString(out15).lines().filter(l -> l.contains("dl_type=0x88b7")).count();
            for (int k = 0; k < 10; k++) ok("OpenFlow13", "packet-out", target, "in_port=1 packet=" + marked + " actions=controller(meter_id=5)");
            Thread.sleep(1000);
            long got = Files.readString(out15).lines().filter(l -> l.contains("dl_type=0x88b7")).count() - before;
            assertTrue(got >= 1 && got <= 3, got + " packet-ins through the meter: " + Files.readString(out15));
            String stats = ok("OpenFlow13", "meter-stats", target, "meter=5");
            assertTrue(stats.contains("packet_in_count:10 byte_in_count:600"), stats);
            Matcher band = Pattern.compile("0: packet_count:(\\d+)").matcher(stats);
            assertTrue(band.find() && Long.parseLong(band.group(1)) == 10 - got, got + " passed: " + stats);
        } finally {
            for (Process m : List.of(m15, m13, m10)) {
                m.destroy();
                m.waitFor(10, TimeUnit.SECONDS);
            }
            ok("OpenFlow15", "del-flows", target);
            ok("OpenFlow15", "del-groups", target);
            ok("OpenFlow13", "del-meters", target);
            ok("OpenFlow13", "add-flow", target, "priority=0,actions=NORMAL");
        }
    }

    private void refused(String v, String error, String... args) throws Exception {
        List<String> a = new ArrayList<>(List.of(args));
        a.add(1, target);
        Run r = ofctl(v, a.toArray(String[]::new));
        assertNotEquals(0, r.rc(), String.join(" ", args));
        assertTrue(r.out().contains(error), error + ": " + r.out());
    }

    static List<String> groups(String dump) {
        return dump.lines().filter(l -> l.startsWith(" group_id=")).map(String::trim).toList();
    }
}
