package io.xvio.openflow;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Output;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bundles as OVS answers them: OpenFlow 1.4/1.5 messages and ONF's 1.3 extension, each reply and each error
 * (type and code as ofp-errors.h assigns them, the xid of the message it refers to), the all-or-nothing commit with
 * one table replacement, the limits, the idle timeout, and bundles gone with their connection.
 */
class BundleTest {
    static final int[] VERSIONS = {OfVersion.OF13, OfVersion.OF14, OfVersion.OF15};
    static final int ATOMIC_ORDERED = BundleMsg.ATOMIC | BundleMsg.ORDERED;

    static byte[] control(int version, int xid, long id, int type, int flags) {
        return BundleMsg.control(version, xid, new BundleMsg.Control(id, type, flags));
    }

    /** A bundle add of inner, with inner's xid set to xid (as ovs-ofctl sends it). */
    static byte[] add(int version, int xid, long id, int flags, byte[] inner) {
        byte[] in = withXid(inner, xid);
        return BundleMsg.add(version, xid, id, flags, in);
    }

    static byte[] withXid(byte[] m, int xid) {
        byte[] c = m.clone();
        c[4] = (byte) (xid >>> 24);
        c[5] = (byte) (xid >>> 16);
        c[6] = (byte) (xid >>> 8);
        c[7] = (byte) xid;
        return c;
    }

    static byte[] flowAdd(String text, int version) { return OpenFlowCodecTest.flowMod13(text, FlowMod.ADD, version); }

    /** The control a reply carries (checking it is a bundle control message of version, for xid). */
    static BundleMsg.Control reply(List<byte[]> replies, int version, int xid) {
        assertEquals(1, replies.size(), "one reply");
        byte[] m = replies.getFirst();
        assertEquals(version, m[0]);
        assertEquals(xid, OfConnection.xidOf(m));
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        if (version == OfVersion.OF13) {
            assertEquals(OfType.VENDOR, m[1]);
            assertEquals(OfError.ONF_VENDOR, r.u32());
            assertEquals(BundleMsg.ONFT_BUNDLE_CONTROL, r.u32());
        } else {
            assertEquals(OfType.BUNDLE_CONTROL, m[1]);
        }
        return BundleMsg.decodeControl(r);
    }

    /** An error's {type, code, experimenter or -1, xid}. */
    static long[] error(byte[] m) {
        assertEquals(OfType.ERROR, m[1], "an error");
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        int type = r.u16(), code = r.u16();
        long exp = type == 0xffff ? r.u32() : -1;
        return new long[] {type, code, exp, OfConnection.xidOf(m)};
    }

    /** What error e looks like on the wire in version, for xid. */
    static long[] expected(OfError e, int version, int xid) {
        byte[] m = e.encode(version, xid, null);
        return error(m);
    }

    static void assertError(OfError want, int version, int xid, List<byte[]> replies) {
        assertEquals(1, replies.size(), want + ": one reply");
        assertArrayEquals(expected(want, version, xid), error(replies.getFirst()), want.name());
    }

    @Test
    void bundleErrorsAreEncodedAsOvsDoes() {
        assertArrayEquals(new long[] {17, 2, -1, 5}, expected(OfError.BUNDLE_BAD_ID, OfVersion.OF14, 5));
        assertArrayEquals(new long[] {17, 13, -1, 5}, expected(OfError.BUNDLE_MSG_FAILED, OfVersion.OF15, 5));
        assertArrayEquals(new long[] {0xffff, 2302, OfError.ONF_VENDOR, 5}, expected(OfError.BUNDLE_BAD_ID, OfVersion.OF13, 5));
        assertArrayEquals(new long[] {0xffff, 2314, OfError.ONF_VENDOR, 5}, expected(OfError.BUNDLE_TIMEOUT, OfVersion.OF13, 5));
        assertArrayEquals(new long[] {0xffff, 22, OfVersion.NX_VENDOR, 5}, expected(OfError.BUNDLE_BAD_VERSION, OfVersion.OF14, 5));
        assertArrayEquals(new long[] {0xffff, 10, OfVersion.NX_VENDOR, 5}, expected(OfError.BUNDLE_BAD_VERSION, OfVersion.OF13, 5),
                "NXBRC_UNENCODABLE_ERROR: 1.3 cannot carry it");
    }

    @Test
    void controlAndAddRoundTrip() {
        for (int v : VERSIONS) {
            byte[] m = control(v, 9, 0xfedcba98L, BundleMsg.COMMIT_REQUEST, ATOMIC_ORDERED);
            assertEquals(v == OfVersion.OF13 ? 24 : 16, m.length);
            assertEquals(new BundleMsg.Control(0xfedcba98L, BundleMsg.COMMIT_REQUEST, ATOMIC_ORDERED), reply(List.of(m), v, 9));
            byte[] inner = flowAdd("priority=5,actions=drop", v);
            byte[] a = add(v, 11, 3, BundleMsg.ORDERED, inner);
            Wire.Reader r = new Wire.Reader(a);
            r.skip(v == OfVersion.OF13 ? 16 : 8);
            BundleMsg.Add d = BundleMsg.decodeAdd(r, a);
            assertEquals(3, d.id());
            assertEquals(BundleMsg.ORDERED, d.flags());
            assertArrayEquals(withXid(inner, 11), java.util.Arrays.copyOfRange(a, d.innerAt(), d.innerAt() + d.innerLength()));
        }
    }

    @Test
    void openAddCommitAppliesEverythingInOneReplacement() {
        for (int v : VERSIONS) {
            MemorySwitch sw = new MemorySwitch();
            sw.flows.add(FlowParser.parse("priority=1,actions=NORMAL"));
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            assertEquals(new BundleMsg.Control(7, BundleMsg.OPEN_REPLY, 0), reply(c.handle(control(v, 1, 7, BundleMsg.OPEN_REQUEST, ATOMIC_ORDERED)), v, 1));
            assertEquals(List.of(), c.handle(add(v, 2, 7, ATOMIC_ORDERED, GroupModTest.groupMod("group_id=1,type=all,bucket=actions=output:1", GroupMod.ADD, v))));
            assertEquals(List.of(), c.handle(add(v, 3, 7, ATOMIC_ORDERED, flowAdd("priority=10,in_port=1,actions=group:1", v))));
            assertEquals(List.of(), c.handle(add(v, 4, 7, ATOMIC_ORDERED, flowAdd("priority=10,in_port=2,actions=output:1", v))));
            assertEquals(List.of(), c.handle(add(v, 5, 7, ATOMIC_ORDERED, OpenFlowCodecTest.flowMod13("priority=1,actions=drop", FlowMod.DELETE_STRICT, v))));
            PacketOut po = new PacketOut(2, List.of(new Output(1)), PacketCodecTest.FRAME);
            assertEquals(List.of(), c.handle(add(v, 6, 7, ATOMIC_ORDERED, po.encode(v, 6))));
            assertEquals(1, sw.flows.size(), "nothing changes before the commit");
            assertTrue(sw.groups.isEmpty());
            assertTrue(sw.packetOuts.isEmpty());
            assertEquals(new BundleMsg.Control(7, BundleMsg.CLOSE_REPLY, 0), reply(c.handle(control(v, 7, 7, BundleMsg.CLOSE_REQUEST, ATOMIC_ORDERED)), v, 7));
            assertEquals(new BundleMsg.Control(7, BundleMsg.COMMIT_REPLY, 0), reply(c.handle(control(v, 8, 7, BundleMsg.COMMIT_REQUEST, ATOMIC_ORDERED)), v, 8));
            assertEquals(1, sw.replacements, "one table replacement for the whole bundle");
            assertEquals(List.of("priority=10,in_port=1 actions=group:1", "priority=10,in_port=2 actions=output:1"),
                    sw.flows.stream().map(f -> f.text()).toList());
            assertEquals(List.of(1L), List.copyOf(sw.groups.keySet()));
            assertEquals(1, sw.packetOuts.size(), "the packet-out ran after the commit");
            assertError(OfError.BUNDLE_BAD_ID, v, 9, c.handle(control(v, 9, 7, BundleMsg.COMMIT_REQUEST, ATOMIC_ORDERED)));
            assertEquals(0, c.bundles.size());
        }
    }

    @Test
    void aFailingMessageLeavesTheTablesAsTheyWere() {
        for (int v : VERSIONS) {
            MemorySwitch sw = new MemorySwitch();
            sw.flows.add(FlowParser.parse("priority=1,actions=NORMAL"));
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            reply(c.handle(control(v, 1, 2, BundleMsg.OPEN_REQUEST, BundleMsg.ATOMIC)), v, 1);
            c.handle(add(v, 2, 2, BundleMsg.ATOMIC, OpenFlowCodecTest.flowMod13("priority=1,actions=drop", FlowMod.DELETE, v)));
            c.handle(add(v, 3, 2, BundleMsg.ATOMIC, flowAdd("priority=10,in_port=2,actions=output:1", v)));
            // decodes, but names a group that does not exist: found at commit, as OVS finds it
            assertEquals(List.of(), c.handle(add(v, 4, 2, BundleMsg.ATOMIC, flowAdd("priority=10,in_port=1,actions=group:99", v))));
            c.handle(add(v, 5, 2, BundleMsg.ATOMIC, flowAdd("priority=11,in_port=1,actions=output:2", v)));
            List<byte[]> r = c.handle(control(v, 6, 2, BundleMsg.COMMIT_REQUEST, BundleMsg.ATOMIC));
            assertEquals(2, r.size(), "the failing message's error, then the commit's");
            assertArrayEquals(expected(OfError.BAD_OUT_GROUP, v, 4), error(r.get(0)), "refers to the failing add, by its xid");
            assertArrayEquals(expected(OfError.BUNDLE_MSG_FAILED, v, 6), error(r.get(1)));
            assertEquals(List.of("priority=1,actions=NORMAL"), sw.flows.stream().map(f -> f.text()).toList(), "nothing of the bundle applied");
            assertEquals(0, sw.replacements);
            assertError(OfError.BUNDLE_BAD_ID, v, 7, c.handle(control(v, 7, 2, BundleMsg.COMMIT_REQUEST, BundleMsg.ATOMIC)));
        }
    }

    @Test
    void aGroupMustComeBeforeTheFlowsThatNameIt() {
        int v = OfVersion.OF15;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        c.handle(add(v, 1, 1, 0, flowAdd("priority=10,actions=group:1", v)));
        c.handle(add(v, 2, 1, 0, GroupModTest.groupMod("group_id=1,type=all,bucket=actions=output:1", GroupMod.ADD, v)));
        List<byte[]> r = c.handle(control(v, 3, 1, BundleMsg.COMMIT_REQUEST, 0));
        assertArrayEquals(expected(OfError.BAD_OUT_GROUP, v, 1), error(r.get(0)));
        assertTrue(sw.groups.isEmpty(), "the group of the failed bundle is not there either");
        // deleting a group in a bundle deletes the flows that name it, all at commit
        sw.groups.put(5L, io.xvio.datapath.GroupParser.parse("group_id=5,type=all,bucket=actions=output:1"));
        sw.flows.add(FlowParser.parse("priority=3,actions=group:5"));
        c.handle(add(v, 4, 2, 0, GroupModTest.groupMod("group_id=5,type=all,bucket=actions=output:1", GroupMod.DELETE, v)));
        c.handle(add(v, 5, 2, 0, flowAdd("priority=4,actions=drop", v)));
        reply(c.handle(control(v, 6, 2, BundleMsg.COMMIT_REQUEST, 0)), v, 6);
        assertEquals(List.of("priority=4 actions=drop"), sw.flows.stream().map(f -> f.text()).toList());
        assertTrue(sw.groups.isEmpty());
    }

    @Test
    void controlErrorsAsOvsSendsThem() {
        for (int v : VERSIONS) {
            OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), v);
            reply(c.handle(control(v, 1, 1, BundleMsg.OPEN_REQUEST, 0)), v, 1);
            assertError(OfError.BUNDLE_BAD_ID, v, 2, c.handle(control(v, 2, 1, BundleMsg.OPEN_REQUEST, 0)));
            assertEquals(0, c.bundles.size(), "opening an id that exists discards the bundle (OVS)");
            assertError(OfError.BUNDLE_BAD_ID, v, 3, c.handle(control(v, 3, 1, BundleMsg.CLOSE_REQUEST, 0)));
            assertError(OfError.BUNDLE_BAD_ID, v, 3, c.handle(control(v, 3, 1, BundleMsg.DISCARD_REQUEST, 0)));
            reply(c.handle(control(v, 4, 1, BundleMsg.OPEN_REQUEST, BundleMsg.ATOMIC)), v, 4);
            assertError(OfError.BUNDLE_BAD_FLAGS, v, 5, c.handle(control(v, 5, 1, BundleMsg.CLOSE_REQUEST, 0)));
            assertEquals(0, c.bundles.size());
            reply(c.handle(control(v, 6, 1, BundleMsg.OPEN_REQUEST, 0)), v, 6);
            reply(c.handle(control(v, 7, 1, BundleMsg.CLOSE_REQUEST, 0)), v, 7);
            assertError(OfError.BUNDLE_CLOSED, v, 8, c.handle(control(v, 8, 1, BundleMsg.CLOSE_REQUEST, 0)));
            reply(c.handle(control(v, 9, 1, BundleMsg.OPEN_REQUEST, 0)), v, 9);
            reply(c.handle(control(v, 10, 1, BundleMsg.CLOSE_REQUEST, 0)), v, 10);
            assertError(OfError.BUNDLE_CLOSED, v, 11, c.handle(add(v, 11, 1, 0, flowAdd("actions=drop", v))));
            assertEquals(0, c.bundles.size());
            c.handle(add(v, 12, 1, BundleMsg.ORDERED, flowAdd("actions=drop", v)));
            assertEquals(1, c.bundles.size(), "an add opens the bundle");
            assertError(OfError.BUNDLE_BAD_FLAGS, v, 13, c.handle(add(v, 13, 1, 0, flowAdd("actions=drop", v))));
            assertEquals(0, c.bundles.size());
            c.handle(add(v, 14, 1, BundleMsg.ORDERED, flowAdd("actions=drop", v)));
            assertError(OfError.BUNDLE_BAD_FLAGS, v, 15, c.handle(control(v, 15, 1, BundleMsg.COMMIT_REQUEST, BundleMsg.ATOMIC)));
            assertEquals(0, c.bundles.size(), "a commit discards the bundle whatever happens");
            reply(c.handle(control(v, 16, 1, BundleMsg.OPEN_REQUEST, 0)), v, 16);
            assertEquals(new BundleMsg.Control(1, BundleMsg.DISCARD_REPLY, 0), reply(c.handle(control(v, 17, 1, BundleMsg.DISCARD_REQUEST, 0)), v, 17));
            for (int t : new int[] {BundleMsg.OPEN_REPLY, BundleMsg.COMMIT_REPLY, BundleMsg.DISCARD_REPLY, 8, 0xffff})
                assertError(OfError.BUNDLE_BAD_TYPE, v, 18, c.handle(control(v, 18, 1, t, 0)));
            byte[] shortBody = java.util.Arrays.copyOf(control(v, 19, 1, BundleMsg.OPEN_REQUEST, 0), v == OfVersion.OF13 ? 20 : 12);
            shortBody[3] = (byte) shortBody.length;
            assertError(OfError.BAD_LEN, v, 19, c.handle(shortBody));
            Wire.Writer props = BundleMsg.header(v, OfType.BUNDLE_CONTROL, BundleMsg.ONFT_BUNDLE_CONTROL, 20);
            props.u32(5).u16(BundleMsg.OPEN_REQUEST).u16(0).u16(0xffff).u16(8).u32(0);
            assertEquals(new BundleMsg.Control(5, BundleMsg.OPEN_REPLY, 0), reply(c.handle(props.finish()), v, 20), "properties are ignored");
        }
    }

    @Test
    void addErrorsAsOvsSendsThem() {
        for (int v : VERSIONS) {
            MemorySwitch sw = new MemorySwitch();
            OfConnection c = OpenFlowCodecTest.connected(sw, v);
            byte[] inner = flowAdd("priority=5,actions=drop", v);
            assertError(OfError.BUNDLE_MSG_BAD_XID, v, 1, c.handle(BundleMsg.add(v, 1, 1, 0, withXid(inner, 2))));
            byte[] v10 = withXid(inner, 1);
            v10[0] = OfVersion.OF10;
            assertError(OfError.BUNDLE_BAD_VERSION, v, 1, c.handle(BundleMsg.add(v, 1, 1, 0, v10)));
            byte[] longer = withXid(inner, 1);
            longer[2] = (byte) 0xff;
            assertError(OfError.BUNDLE_MSG_BAD_LEN, v, 1, c.handle(BundleMsg.add(v, 1, 1, 0, longer)));
            assertError(OfError.BUNDLE_MSG_BAD_LEN, v, 1, c.handle(BundleMsg.add(v, 1, 1, 0, new byte[0])));
            byte[] runt = withXid(new Wire.Writer(v, OfType.ECHO_REQUEST, 1).finish(), 1);
            runt[3] = 4;
            assertError(OfError.BUNDLE_MSG_BAD_LEN, v, 1, c.handle(BundleMsg.add(v, 1, 1, 0, runt)));
            assertError(OfError.BUNDLE_MSG_UNSUP, v, 1, c.handle(add(v, 1, 1, 0, new Wire.Writer(v, OfType.ECHO_REQUEST, 1).finish())));
            assertError(OfError.BUNDLE_MSG_UNSUP, v, 1, c.handle(add(v, 1, 1, 0, control(v, 1, 2, BundleMsg.OPEN_REQUEST, 0))));
            Wire.Writer meter = new Wire.Writer(v, OfType.METER_MOD, 1);
            assertError(OfError.BUNDLE_MSG_UNSUP, v, 1, c.handle(add(v, 1, 1, 0, meter.u16(0).u16(1).u32(1).finish())));
            // an inner message that does not decode: its own error, as it would get alone
            byte[] badTable = withXid(OpenFlowCodecTest.flowMod13("priority=5,actions=drop", FlowMod.ADD, v), 1);
            badTable[25] = 9;                                      // command 9
            List<byte[]> alone = c.handle(badTable);
            assertEquals(1, alone.size());
            assertArrayEquals(error(alone.getFirst()), error(c.handle(add(v, 1, 1, 0, badTable)).getFirst()));
            assertEquals(0, c.bundles.size(), "no bundle was opened by a refused message");
            byte[] shortAdd = java.util.Arrays.copyOf(add(v, 1, 1, 0, inner), v == OfVersion.OF13 ? 20 : 12);
            shortAdd[3] = (byte) shortAdd.length;
            assertError(OfError.BAD_LEN, v, 1, c.handle(shortAdd));
        }
    }

    @Test
    void versionsAndRolesAsOvs() {
        OfConnection c13 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF13);
        Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.BUNDLE_CONTROL, 1);
        assertError(OfError.BAD_TYPE, OfVersion.OF13, 1, c13.handle(w.u32(1).u16(0).u16(0).finish()));
        OfConnection c14 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF14);
        Wire.Writer onf = new Wire.Writer(OfVersion.OF14, OfType.VENDOR, 2);
        assertError(OfError.BAD_SUBTYPE, OfVersion.OF14, 2, c14.handle(onf.u32(OfError.ONF_VENDOR).u32(BundleMsg.ONFT_BUNDLE_CONTROL).u32(1).u16(0).u16(0).finish()));
        Wire.Writer other = new Wire.Writer(OfVersion.OF13, OfType.VENDOR, 3);
        assertError(OfError.BAD_SUBTYPE, OfVersion.OF13, 3, c13.handle(other.u32(OfError.ONF_VENDOR).u32(2400).u32(1).u16(0).u16(0).finish()));
        OfConnection c10 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF10);
        Wire.Writer v10 = new Wire.Writer(OfVersion.OF10, OfType.VENDOR, 4);
        assertError(OfError.BAD_SUBTYPE, OfVersion.OF10, 4, c10.handle(v10.u32(OfError.ONF_VENDOR).u32(BundleMsg.ONFT_BUNDLE_CONTROL).u32(1).u16(0).u16(0).finish()));
        // a slave controller may not use bundles
        Wire.Writer role = new Wire.Writer(OfVersion.OF14, OfType.ROLE_REQUEST, 5);
        c14.handle(role.u32(OfConnection.ROLE_SLAVE).zeros(4).u64(1).finish());
        assertError(OfError.IS_SLAVE, OfVersion.OF14, 6, c14.handle(control(OfVersion.OF14, 6, 1, BundleMsg.OPEN_REQUEST, 0)));
        assertError(OfError.IS_SLAVE, OfVersion.OF14, 7, c14.handle(add(OfVersion.OF14, 7, 1, 0, flowAdd("actions=drop", OfVersion.OF14))));
    }

    @Test
    void limitsOnBundlesAndTheirMessages() {
        int v = OfVersion.OF14;
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), v);
        for (int i = 0; i < Bundles.MAX_BUNDLES; i++) reply(c.handle(control(v, i, i, BundleMsg.OPEN_REQUEST, 0)), v, i);
        assertError(OfError.OUT_OF_BUNDLES, v, 100, c.handle(control(v, 100, 100, BundleMsg.OPEN_REQUEST, 0)));
        assertError(OfError.OUT_OF_BUNDLES, v, 101, c.handle(add(v, 101, 101, 0, flowAdd("actions=drop", v))));
        reply(c.handle(control(v, 102, 0, BundleMsg.DISCARD_REQUEST, 0)), v, 102);
        reply(c.handle(control(v, 103, 100, BundleMsg.OPEN_REQUEST, 0)), v, 103);

        Bundles b = new Bundles(2, 3, 10_000);
        byte[] m = add(v, 1, 1, 0, flowAdd("actions=drop", v));
        for (int i = 0; i < 3; i++) b.add(1, 0, m, 16, m.length - 16, 0);
        OfError.Failure f = assertThrows(OfError.Failure.class, () -> b.add(1, 0, m, 16, m.length - 16, 0));
        assertEquals(OfError.BUNDLE_MSG_TOO_MANY, f.error);
        assertEquals(3, b.take(1).entries.size(), "the bundle stays, without the refused message");
        byte[] big = new byte[6000];
        b.add(2, 0, big, 16, 8, 0);
        f = assertThrows(OfError.Failure.class, () -> b.add(3, 0, big, 16, 8, 0));
        assertEquals(OfError.BUNDLE_MSG_TOO_MANY, f.error, "the connection's bytes are bounded");
        assertEquals(1, b.size());
        long before = Bundles.totalBytes();
        b.clear();
        assertEquals(0, b.bytes());
        assertTrue(Bundles.totalBytes() <= before - 6000, "the process-wide count goes down with them");
    }

    @Test
    void anIdleBundleTimesOutWithTheMessageThatOpenedIt() {
        for (int v : VERSIONS) {
            OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), v);
            long t0 = System.nanoTime();
            reply(c.handle(control(v, 41, 1, BundleMsg.OPEN_REQUEST, 0)), v, 41);
            c.handle(add(v, 42, 2, 0, flowAdd("actions=drop", v)));
            assertEquals(List.of(), c.expiredBundles(t0, Bundles.IDLE_NANOS), "not yet");
            List<byte[]> errs = c.expiredBundles(t0 + Bundles.IDLE_NANOS + 1_000_000_000L, Bundles.IDLE_NANOS);
            assertEquals(2, errs.size());
            java.util.Set<Long> xids = new java.util.HashSet<>();
            for (byte[] e : errs) {
                long[] got = error(e);
                assertArrayEquals(expected(OfError.BUNDLE_TIMEOUT, v, (int) got[3]), got);
                xids.add(got[3]);
            }
            assertEquals(java.util.Set.of(41L, 42L), xids, "each refers to the open request or first add of its bundle");
            assertEquals(0, c.bundles.size());
        }
    }

    @Test
    void bundlesGoWithTheirConnection(@TempDir Path dir) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (OfEndpoint e = OfEndpoint.start(dir.resolve("ctl.sock").toString(), sw)) {
            long before = Bundles.totalBytes();
            SocketChannel s = OfEndpointTest.connect(e.path());
            OfEndpointTest.read(s);
            int v = OfVersion.OF14;
            OfEndpointTest.write(s, OpenFlowCodecTest.hello(v, 1 << v));
            OfEndpointTest.write(s, control(v, 1, 1, BundleMsg.OPEN_REQUEST, 0));
            reply(List.of(OfEndpointTest.read(s)), v, 1);
            OfEndpointTest.write(s, add(v, 2, 1, 0, flowAdd("priority=9,actions=drop", v)));
            OfEndpointTest.write(s, new Wire.Writer(v, OfType.BARRIER_REQUEST, 3).finish());
            assertEquals(OfType.BARRIER_REPLY, OfEndpointTest.read(s)[1]);
            assertTrue(Bundles.totalBytes() > before);
            s.close();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (Bundles.totalBytes() > before && System.nanoTime() < deadline) Thread.sleep(10);
            assertEquals(before, Bundles.totalBytes(), "the bundle was discarded with its connection");
            assertTrue(sw.flows.isEmpty());
        }
    }

    /** The bridge's channel thread expires idle bundles of its connections and sends OFPBFC_TIMEOUT on the socket. */
    @Test
    void theChannelThreadSendsTheTimeout(@TempDir Path dir) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        OfChannels channels = new OfChannels(sw, System.nanoTime());
        Path p = dir.resolve("s");
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            server.bind(java.net.UnixDomainSocketAddress.of(p));
            SocketChannel client = OfEndpointTest.connect(p);
            OfConnection conn = new OfConnection(server.accept(), sw, "test", System.nanoTime(), channels, false);
            conn.bundleIdleNanos = 300_000_000L;
            channels.add(conn);
            Thread t = Thread.ofVirtual().start(conn);
            try {
                int v = OfVersion.OF15;
                assertEquals(OfType.HELLO, OfEndpointTest.read(client)[1]);
                OfEndpointTest.write(client, OpenFlowCodecTest.hello(v, 1 << v));
                OfEndpointTest.write(client, control(v, 61, 4, BundleMsg.OPEN_REQUEST, 0));
                reply(List.of(OfEndpointTest.read(client)), v, 61);
                long t0 = System.nanoTime();
                byte[] timeout = OfEndpointTest.read(client);       // the channel thread checks every 100 ms
                assertArrayEquals(expected(OfError.BUNDLE_TIMEOUT, v, 61), error(timeout));
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L);
                assertEquals(0, conn.bundles.size());
                OfEndpointTest.write(client, control(v, 62, 4, BundleMsg.COMMIT_REQUEST, 0));
                assertArrayEquals(expected(OfError.BUNDLE_BAD_ID, v, 62), error(OfEndpointTest.read(client)));
            } finally {
                client.close();
                t.join(5000);
                channels.remove(conn);
                channels.close();
            }
        }
    }

    /** A bridge may hold two flows with one table, priority and match (a hand-written config): a bundle treats both as the bridge does. */
    @Test
    void flowsSharingAKeyAreHandledAsTheBridgeDoes() {
        int v = OfVersion.OF15;
        MemorySwitch sw = new MemorySwitch();
        sw.flows.add(FlowParser.parse("priority=5,in_port=1,actions=output:2"));
        sw.flows.add(FlowParser.parse("priority=5,in_port=1,actions=output:3"));
        sw.flows.add(FlowParser.parse("priority=6,in_port=2,actions=output:1"));
        sw.flows.add(FlowParser.parse("priority=6,in_port=2,actions=output:3"));
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        c.handle(add(v, 1, 1, 0, OpenFlowCodecTest.flowMod13("priority=5,in_port=1,actions=drop", FlowMod.MODIFY_STRICT, v)));
        c.handle(add(v, 2, 1, 0, OpenFlowCodecTest.flowMod13("priority=6,in_port=2,actions=drop", FlowMod.ADD, v)));
        reply(c.handle(control(v, 3, 1, BundleMsg.COMMIT_REQUEST, 0)), v, 3);
        // (a modified flow's text is its new actions, as Bridge.modFlows makes it; with duplicates the order may differ)
        assertEquals(List.of("actions=drop", "actions=drop", "priority=6,in_port=2 actions=drop"),
                sw.flows.stream().map(f -> f.text()).sorted().toList(), "both flows of the key modified, both replaced by one add");
        assertEquals(2, sw.flows.stream().filter(f -> f.priority == 5 && f.actions.isEmpty()).count());
        c.handle(add(v, 4, 2, 0, OpenFlowCodecTest.flowMod13("priority=5,in_port=1,actions=drop", FlowMod.DELETE_STRICT, v)));
        reply(c.handle(control(v, 5, 2, BundleMsg.COMMIT_REQUEST, 0)), v, 5);
        assertEquals(List.of("priority=6,in_port=2 actions=drop"), sw.flows.stream().map(f -> f.text()).toList(), "a strict delete takes both");
    }

    @Test
    void aNiciraFlowModMayBeBundled() {
        int v = OfVersion.OF13;
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        Flow f = FlowParser.parse("priority=7,reg0=0x5,actions=output:2");
        Wire.Writer w = new Wire.Writer(v, OfType.VENDOR, 1);
        w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_FLOW_MOD).u64(0).u16(FlowMod.ADD).u16(0).u16(0).u16(7).u32(0xffffffffL).u16(0xffff).u16(0);
        int lenAt = w.size();
        w.u16(0).zeros(6);
        w.put16(lenAt, NxMatch.write(f.match, w));
        OfActions.encodeActions(f.actions, OfVersion.OF10, w);
        c.handle(add(v, 1, 1, 0, w.finish()));
        reply(c.handle(control(v, 2, 1, BundleMsg.COMMIT_REQUEST, 0)), v, 2);
        assertEquals(List.of("priority=7,reg0=0x5 actions=output:2"), sw.flows.stream().map(x -> x.text()).toList());
    }
}
