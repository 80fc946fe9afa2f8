package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSpec;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The flow monitor request decoder against bad input: real requests of each layout (NXST 1.0, ONFST 1.3, OFPMP 1.5)
 * with bytes flipped, cut short or with lying lengths, and random bodies, decode or fail with an OFPT_ERROR, never
 * anything else; through a connection, every reply is a well-formed error or monitor reply and the connection goes
 * on. Well-formed requests decode to what was sent.
 */
class FlowMonitorProperties {

    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF15).flatMap(v ->
                Arbitraries.integers().between(0, 0x3f).map(flags -> FlowMonitorTest.request(v, 9, 5, flags)));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 100).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF15); }

    private static void decodes(int version, byte[] m) {
        try {
            for (FlowMonitor f : FlowMonitor.decodeAll(m, version)) {
                if (f.command() == FlowMonitor.CMD_DELETE) continue;
                assertNotEquals(0, f.flags() & (FlowMonitor.ADD | FlowMonitor.REMOVED | FlowMonitor.MODIFY), "a monitor that reports nothing");
                assertEquals(0, f.flags() & ~0x5f, "flags beyond OVS's");
                assertTrue(f.table() == FlowSpec.ALL_TABLES || f.table() < OfStats.TABLES);
            }
        } catch (OfError.Failure expected) {
            assertNotNull(expected.error);
        }
    }

    /** Through a connection of the bridge's channels: only well-formed errors or monitor replies, and it goes on. */
    private static void handled(int version, byte[] m) {
        MemorySwitch sw = new MemorySwitch();
        sw.addFlows(List.of(FlowParser.parse("priority=5,in_port=1,actions=output:2")));
        try (OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            OfConnection c = new OfConnection(null, sw, "test", System.nanoTime(), ch, false);
            assertEquals(List.of(), c.handle(OpenFlowCodecTest.hello(version, 1 << version)));
            List<byte[]> replies = assertDoesNotThrow(() -> c.handle(m));
            assertNotNull(replies);
            for (byte[] r : replies) {
                assertEquals(r.length, ((r[2] & 0xff) << 8) | (r[3] & 0xff));
                assertEquals(version, r[0]);
                int type = r[1];
                assertTrue(type == OfType.ERROR || type == (version == OfVersion.OF10 ? OfType.OF10_STATS_REPLY : OfType.MULTIPART_REPLY), "type " + type);
            }
            List<byte[]> echo = c.handle(new Wire.Writer(version, OfType.ECHO_REQUEST, 3).finish());
            assertEquals(OfType.ECHO_REPLY, echo.getFirst()[1], "the connection goes on");
        }
    }

    @Property(tries = 1000)
    void mutatedRequestsDecodeOrGetAnError(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                          @ForAll @IntRange(min = 8, max = 100) int cutAt) {
        decodes(seed[0], GroupModProperties.mutatedBody(seed, edits, cut, cutAt));
    }

    @Property(tries = 200)
    void mutatedRequestsThroughAConnection(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                           @ForAll @IntRange(min = 8, max = 100) int cutAt) {
        byte[] m = GroupModProperties.mutatedBody(seed, edits, cut, cutAt);
        handled(seed[0], m);
    }

    @Property(tries = 500)
    void randomBodies(@ForAll("versions") int version, @ForAll byte[] body) {
        byte[] head = FlowMonitorTest.request(version, 9, 5, 0x0f);
        Wire.Writer w = new Wire.Writer(version, head[1], 9);
        w.bytes(head, 8, version >= OfVersion.OF14 ? 8 : 16);
        w.bytes(body, 0, Math.min(body.length, 65000));
        decodes(version, w.finish());
    }

    @Property(tries = 300)
    void wellFormedRequestsRoundTrip(@ForAll("versions") int version, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int id,
                                     @ForAll @IntRange(min = 0, max = 0x3f) int nxFlags) {
        byte[] m = FlowMonitorTest.request(version, 1, id, nxFlags);
        if ((nxFlags & 0x0e) == 0) {
            OfError.Failure f = assertThrows(OfError.Failure.class, () -> FlowMonitor.decodeAll(m, version));
            assertEquals(OfError.MONITOR_BAD_FLAGS, f.error);
            return;
        }
        FlowMonitor fm = FlowMonitor.decodeAll(m, version).getFirst();
        assertEquals(id, fm.id());
        assertEquals((nxFlags & 0x1f) | ((nxFlags & 0x20) != 0 ? FlowMonitor.ONLY_OWN : 0), fm.flags());
        assertEquals(FlowSpec.ALL_TABLES, fm.table());
        assertEquals(-1, fm.outPort());
    }

    /** One change of the table: add (or replace) the flow of priority p with output:port, modify it, or delete it. */
    record Op(int kind, int priority, int port) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        return Combinators.combine(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(1, 12), Arbitraries.integers().between(1, 3))
                .as(Op::new).list().ofMinSize(1).ofMaxSize(25);
    }

    /**
     * The diff behind the updates: after any sequence of adds, replacements, modifies and deletes (each followed by a
     * sync, as a flow_mod is), the updates say exactly which flows came, went or got other actions, in full.
     */
    @Property(tries = 200)
    void updatesAreExactlyTheChanges(@ForAll("ops") List<Op> ops, @ForAll @IntRange(min = 0, max = 6) int initial) throws Exception {
        MemorySwitch sw = new MemorySwitch();
        for (int p = 1; p <= initial; p++) sw.addFlows(List.of(FlowParser.parse("priority=" + p + ",ip,actions=output:1")));
        FlowMonitors mons = new FlowMonitors(sw);
        OfConnection c = OpenFlowCodecTest.connected(sw, OfVersion.OF13);
        mons.request(c, FlowMonitorTest.request(OfVersion.OF13, 1, 1, 0x3e), 1);
        java.util.Map<Integer, Integer> model = new java.util.HashMap<>();   // priority -> port
        for (int p = 1; p <= initial; p++) model.put(p, 1);
        List<String> want = new java.util.ArrayList<>();
        for (Op op : ops) {
            String text = "priority=" + op.priority() + ",ip,actions=output:" + op.port();
            Integer had = model.get(op.priority());
            switch (op.kind()) {
                case 0 -> {
                    sw.addFlows(List.of(FlowParser.parse(text)));
                    model.put(op.priority(), op.port());
                    if (had == null) want.add("ADDED 0 " + op.priority());
                    else if (had != op.port()) want.add("MODIFIED 0 " + op.priority());
                }
                case 1 -> {
                    sw.modifyFlows(f -> f.priority == op.priority(), FlowParser.parse(text).actions, false, FlowMod.NO_COOKIE);
                    if (had != null) {
                        model.put(op.priority(), op.port());
                        if (had != op.port()) want.add("MODIFIED 0 " + op.priority());
                    }
                }
                default -> {
                    sw.deleteFlows(f -> f.priority == op.priority());
                    if (model.remove(op.priority()) != null) want.add("DELETED 0 " + op.priority() + " reason 2");
                }
            }
            mons.sync(null, 0, -1);
        }
        long end = System.nanoTime() + 5_000_000_000L;
        List<String> got = new java.util.ArrayList<>();
        int taken = 0;
        while (true) {
            synchronized (c.unsent) {
                for (; taken < c.unsent.size(); taken++) {
                    byte[] m = c.unsent.get(taken);
                    if (OfConnection.xidOf(m) == 0) got.addAll(FlowMonitorTest.updates13(m));
                }
            }
            if (got.size() >= want.size() || System.nanoTime() > end) break;
            Thread.sleep(1);
        }
        mons.remove(c);
        assertEquals(want, got);
    }
}
