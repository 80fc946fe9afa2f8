package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.Match;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.xvio.openflow.OfEndpointTest.connect;
import static io.xvio.openflow.OfEndpointTest.read;
import static io.xvio.openflow.OfEndpointTest.write;
import static org.junit.jupiter.api.Assertions.*;

/** Flow monitors over a bridge's socket: own changes abbreviated, errors as OVS sends them, pause and resume. */
@Timeout(60)
class FlowMonitorTest {

    static SocketChannel open(Path sock, int version) throws Exception {
        SocketChannel c = connect(sock);
        assertEquals(OfType.HELLO, read(c)[1]);
        write(c, OpenFlowCodecTest.hello(version, 1 << version));
        return c;
    }

    /** A monitor request of one monitor in version's layout (catch-all match, all tables, any port). */
    static byte[] request(int version, int xid, long id, int nxFlags) {
        Wire.Writer w;
        if (version == OfVersion.OF10) {
            w = new Wire.Writer(version, OfType.OF10_STATS_REQUEST, xid);
            w.u16(OfType.MP_VENDOR).u16(0).u32(OfVersion.NX_VENDOR).u32(FlowMonitor.NXST_FLOW_MONITOR).zeros(4);
            w.u32(id).u16(nxFlags).u16(Ports.NONE).u16(0).u8(0xff).zeros(5);
        } else if (version == OfVersion.OF13) {
            w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, xid);
            w.u16(OfType.MP_VENDOR).u16(0).zeros(4).u32(OfError.ONF_VENDOR).u32(FlowMonitor.ONF_FLOW_MONITOR);
            w.u32(id).u16(nxFlags).u16(4).u32(0xffffffffL).u8(0xff).zeros(3);
            FlowModCodec.writeOxmMatch(new Match(), w);
        } else {
            int flags = (nxFlags & 0x1f) | ((nxFlags & 0x20) != 0 ? FlowMonitor.ONLY_OWN : 0);
            w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, xid);
            w.u16(FlowMonitor.MP_FLOW_MONITOR).u16(0).zeros(4);
            w.u32(id).u32(0xffffffffL).u32(0xffffffffL).u16(flags).u8(0xff).u8(FlowMonitor.CMD_ADD);
            FlowModCodec.writeOxmMatch(new Match(), w);
        }
        return w.finish();
    }

    static byte[] barrier(int version, int xid) {
        return new Wire.Writer(version, version == OfVersion.OF10 ? OfType.OF10_BARRIER_REQUEST : OfType.BARRIER_REQUEST, xid).finish();
    }

    /** The updates of a 1.3 (ONF) monitor reply: "abbrev xid", or "EVENT table priority" (event as Nicira numbers it). */
    static List<String> updates13(byte[] m) {
        Wire.Reader r = new Wire.Reader(m);
        r.skip(24);
        List<String> out = new ArrayList<>();
        while (r.remaining() > 0) {
            int len = r.u16(), event = r.u16();
            if (event == 3) {
                out.add("abbrev " + Long.toHexString(r.u32()));
                continue;
            }
            int reason = r.u16(), priority = r.u16();
            r.skip(6);
            int table = r.u8();
            r.skip(1 + 8 + len - 24);
            out.add(List.of("ADDED", "DELETED", "MODIFIED").get(event) + " " + table + " " + priority + (event == 1 ? " reason " + reason : ""));
        }
        return out;
    }

    static boolean isMonitorReply13(byte[] m) {
        return m[1] == OfType.MULTIPART_REPLY && m.length >= 24 && new Wire.Reader(m).sub(0, OfError.BAD_LEN, "") != null
                && ((m[8] & 0xff) << 8 | (m[9] & 0xff)) == OfType.MP_VENDOR;
    }

    /** Messages read until one of type t with xid. */
    static List<byte[]> until(SocketChannel c, int type, int xid) throws Exception {
        List<byte[]> got = new ArrayList<>();
        while (true) {
            byte[] m = read(c);
            assertNotNull(m, "connection closed");
            got.add(m);
            if (m[1] == type && OfConnection.xidOf(m) == xid) return got;
        }
    }

    @Test
    void ownChangesAreAbbreviatedUnlessOwnIsAsked(@TempDir Path dir) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        int v = OfVersion.OF13;
        try (OfChannels ch = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, ch);
             SocketChannel a = open(e.path(), v); SocketChannel b = open(e.path(), v)) {
            write(a, request(v, 10, 1, 0x0e));                  // add, delete, modify; not own, no actions
            byte[] ra = until(a, OfType.MULTIPART_REPLY, 10).getLast();
            assertEquals(24, ra.length, "no initial flows asked: an empty reply");
            write(b, request(v, 11, 1, 0x3f));
            until(b, OfType.MULTIPART_REPLY, 11);

            write(a, BundleTest.withXid(OpenFlowCodecTest.flowMod13("table=1,priority=9,ip,actions=drop", FlowMod.ADD, v), 0x42));
            write(a, barrier(v, 0x43));
            List<byte[]> got = until(a, OfType.BARRIER_REPLY, 0x43);
            assertEquals(2, got.size(), "the update comes before the barrier reply");
            assertEquals(List.of("abbrev 42"), updates13(got.getFirst()));
            assertEquals(List.of("ADDED 1 9"), updates13(until(b, OfType.MULTIPART_REPLY, 0).getLast()), "another connection's change in full");

            // two adds read together (applied as one batch): one abbreviated update per request
            byte[] two1 = BundleTest.withXid(OpenFlowCodecTest.flowMod13("table=2,priority=1,ip,actions=drop", FlowMod.ADD, v), 0x50);
            byte[] two2 = BundleTest.withXid(OpenFlowCodecTest.flowMod13("table=2,priority=2,ip,actions=drop", FlowMod.ADD, v), 0x51);
            byte[] both = java.util.Arrays.copyOf(two1, two1.length + two2.length);
            System.arraycopy(two2, 0, both, two1.length, two2.length);
            write(a, both);
            write(a, barrier(v, 0x52));
            List<String> abbrevs = new ArrayList<>();
            for (byte[] m : until(a, OfType.BARRIER_REPLY, 0x52)) if (m[1] == OfType.MULTIPART_REPLY) abbrevs.addAll(updates13(m));
            assertEquals(List.of("abbrev 50", "abbrev 51"), abbrevs);
            List<String> full = new ArrayList<>();
            while (full.size() < 2) full.addAll(updates13(until(b, OfType.MULTIPART_REPLY, 0).getLast()));
            assertEquals(List.of("ADDED 2 1", "ADDED 2 2"), full);

            write(a, BundleTest.withXid(OpenFlowCodecTest.flowMod13("table=1,priority=9,ip,actions=drop", FlowMod.DELETE, v), 0x44));
            write(a, barrier(v, 0x45));
            assertEquals(List.of("abbrev 44"), updates13(until(a, OfType.BARRIER_REPLY, 0x45).getFirst()));
            assertEquals(List.of("DELETED 1 9 reason 2"), updates13(until(b, OfType.MULTIPART_REPLY, 0).getLast()));

            // a second monitor asking for own changes in full: the updates merge into one, in full
            write(a, request(v, 12, 2, 0x2e));
            until(a, OfType.MULTIPART_REPLY, 12);
            write(a, BundleTest.withXid(OpenFlowCodecTest.flowMod13("priority=3,in_port=1,actions=output:2", FlowMod.ADD, v), 0x46));
            write(a, barrier(v, 0x47));
            assertEquals(List.of("ADDED 0 3"), updates13(until(a, OfType.BARRIER_REPLY, 0x47).getFirst()));
            assertEquals(List.of("ADDED 0 3"), updates13(until(b, OfType.MULTIPART_REPLY, 0).getLast()));

            // cancelled, a connection's monitor reports nothing more
            Wire.Writer cancel = new Wire.Writer(v, OfType.VENDOR, 13);
            write(a, cancel.u32(OfError.ONF_VENDOR).u32(FlowMonitor.ONF_FLOW_MONITOR).u32(1).finish());
            Wire.Writer cancel2 = new Wire.Writer(v, OfType.VENDOR, 14);
            write(a, cancel2.u32(OfError.ONF_VENDOR).u32(FlowMonitor.ONF_FLOW_MONITOR).u32(2).finish());
            write(a, barrier(v, 0x15));
            assertEquals(1, until(a, OfType.BARRIER_REPLY, 0x15).size(), "cancels are not answered");
            sw.change(() -> {
                sw.addFlows(List.of(FlowParser.parse("priority=4,in_port=2,actions=drop")));
                return null;
            });
            assertEquals(List.of("ADDED 0 4"), updates13(until(b, OfType.MULTIPART_REPLY, 0).getLast()), "the CLI's change, found by the poll");
            write(a, barrier(v, 0x48));
            assertEquals(1, until(a, OfType.BARRIER_REPLY, 0x48).size(), "nothing for a's cancelled monitors");
        }
    }

    static int[] error(byte[] m) {
        assertEquals(OfType.ERROR, m[1]);
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        int type = r.u16(), code = r.u16();
        if (type == 0xb0c2) {                                  // OpenFlow 1.0's Nicira vendor error
            assertEquals(OfVersion.NX_VENDOR, r.u32());
            return new int[] {type, r.u16(), r.u16()};
        }
        if (type == 0xffff) return new int[] {type, code, (int) r.u32()};
        return new int[] {type, code};
    }

    @Test
    void errorsAsOvsSendsThemAndTheConnectionGoesOn(@TempDir Path dir) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (OfChannels ch = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, ch)) {
            // OFPMOFC_MONITOR_EXISTS: NX1.0-1.1(1,517), NX1.2-1.3(6), OF1.4+(16,1)
            int[][] exists = {{0xb0c2, 1, 517}, {0xffff, 6, OfVersion.NX_VENDOR}, {16, 1}};
            // OFPMOFC_BAD_FLAGS: NX1.0-1.1(1,518), NX1.2-1.3(7), OF1.4+(16,5)
            int[][] badFlags = {{0xb0c2, 1, 518}, {0xffff, 7, OfVersion.NX_VENDOR}, {16, 5}};
            int[] versions = {OfVersion.OF10, OfVersion.OF13, OfVersion.OF15};
            for (int i = 0; i < versions.length; i++) {
                int v = versions[i];
                try (SocketChannel c = open(e.path(), v)) {
                    write(c, request(v, 1, 7, 0x0f));
                    until(c, v == OfVersion.OF10 ? OfType.OF10_STATS_REPLY : OfType.MULTIPART_REPLY, 1);
                    write(c, request(v, 2, 7, 0x0f));
                    assertArrayEquals(exists[i], error(until(c, OfType.ERROR, 2).getLast()), OfVersion.name(v));
                    write(c, request(v, 3, 8, 0x01));            // initial only: no add, delete or modify
                    assertArrayEquals(badFlags[i], error(until(c, OfType.ERROR, 3).getLast()), OfVersion.name(v));
                    write(c, barrier(v, 4));
                    until(c, v == OfVersion.OF10 ? OfType.OF10_BARRIER_REPLY : OfType.BARRIER_REPLY, 4);
                }
            }
            // OFPMOFC_UNKNOWN_MONITOR on a cancel: NX1.0(1,519) and NX1.3(8); a cancel of the wrong length: OFPBRC_BAD_LEN
            try (SocketChannel c = open(e.path(), OfVersion.OF10)) {
                Wire.Writer w = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 5);
                write(c, w.u32(OfVersion.NX_VENDOR).u32(FlowMonitor.NXT_FLOW_MONITOR_CANCEL).u32(99).finish());
                assertArrayEquals(new int[] {0xb0c2, 1, 519}, error(until(c, OfType.ERROR, 5).getLast()));
                Wire.Writer bad = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 6);
                write(c, bad.u32(OfVersion.NX_VENDOR).u32(FlowMonitor.NXT_FLOW_MONITOR_CANCEL).u16(1).finish());
                assertArrayEquals(new int[] {1, 6}, error(until(c, OfType.ERROR, 6).getLast()));
            }
            try (SocketChannel c = open(e.path(), OfVersion.OF13)) {
                Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.VENDOR, 5);
                write(c, w.u32(OfError.ONF_VENDOR).u32(FlowMonitor.ONF_FLOW_MONITOR).u32(99).finish());
                assertArrayEquals(new int[] {0xffff, 8, OfVersion.NX_VENDOR}, error(until(c, OfType.ERROR, 5).getLast()));
            }
        }
    }

    @Test
    void aMonitorThatDoesNotReadIsPausedThenResumedWithWhatItMissed(@TempDir Path dir) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        int v = OfVersion.OF13;
        try (OfChannels ch = new OfChannels(sw, System.nanoTime());
             OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw, ch);
             SocketChannel c = open(e.path(), v)) {
            write(c, request(v, 1, 1, 0x1e));                   // add, delete, modify, actions
            until(c, OfType.MULTIPART_REPLY, 1);
            // the CLI adds 40,000 flows in batches while the monitor's peer reads nothing
            Set<Integer> all = new HashSet<>();
            for (int b = 0; b < 40; b++) {
                List<Flow> fs = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    int p = b * 1000 + i + 1;
                    fs.add(FlowParser.parse("priority=" + p + ",tcp,tp_dst=" + (p & 0xffff) + ",actions=output:2"));
                    all.add(p);
                }
                sw.change(() -> {
                    sw.addFlows(fs);
                    ch.monitors.sync(null, 0, -1);
                    return null;
                });
            }
            // now it reads: updates, PAUSED, maybe deletions, RESUMED with the flows it missed
            Set<Integer> seen = new HashSet<>();
            boolean paused = false;
            while (true) {
                byte[] m = read(c);
                assertNotNull(m);
                if (m[1] == OfType.VENDOR) {
                    long sub = new Wire.Reader(m).sub(0, OfError.BAD_LEN, "") == null ? 0 : ((m[12] & 0xffL) << 24 | (m[13] & 0xff) << 16 | (m[14] & 0xff) << 8 | (m[15] & 0xff));
                    if (sub == FlowMonitor.ONF_FLOW_MONITOR_PAUSED) {
                        assertFalse(paused);
                        paused = true;
                        continue;
                    }
                    if (sub == FlowMonitor.ONF_FLOW_MONITOR_RESUMED) break;
                }
                if (isMonitorReply13(m)) for (String u : updates13(m)) {
                    assertTrue(u.startsWith("ADDED 0 "), u);
                    seen.add(Integer.parseInt(u.split(" ")[2]));
                }
            }
            assertTrue(paused, "PAUSED came before RESUMED");
            assertEquals(all, seen, "every flow was reported, before the pause or at the resume");
            // monitoring goes on as before
            sw.change(() -> {
                sw.deleteFlows(f -> f.priority == 1);
                return null;
            });
            byte[] m;
            do m = read(c); while (!isMonitorReply13(m));
            assertEquals(List.of("DELETED 0 1 reason 2"), updates13(m));
        }
    }
}
