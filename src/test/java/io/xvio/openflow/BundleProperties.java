package io.xvio.openflow;

import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bundles against bad and random input. Mutated and random bundle messages of 1.3 (ONF), 1.4 and 1.5 get an error,
 * a bundle reply or nothing, never an exception or a closed connection, and the table changes only with a commit
 * reply. Random sequences of open/close/add/commit/discard on a few ids get exactly the replies and errors of a
 * model of OVS's rules (ofproto/bundles.c), and the table is what the model's successful commits made it.
 */
class BundleProperties {

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(BundleTest.VERSIONS[0], BundleTest.VERSIONS[1], BundleTest.VERSIONS[2]); }

    @Provide
    Arbitrary<byte[]> seeds() {
        return versions().flatMap(v -> Arbitraries.of(
                BundleTest.control(v, 5, 1, BundleMsg.OPEN_REQUEST, 3),
                BundleTest.control(v, 5, 1, BundleMsg.COMMIT_REQUEST, 0),
                BundleTest.control(v, 5, 2, BundleMsg.CLOSE_REQUEST, 1),
                BundleTest.add(v, 5, 1, 0, BundleTest.flowAdd("priority=9,ip,nw_src=10.0.0.1,actions=output:2", v)),
                BundleTest.add(v, 5, 1, 0, GroupModTest.groupMod(GroupModTest.GROUPS.getFirst(), GroupMod.ADD, v)),
                BundleTest.add(v, 5, 3, 2, new PacketOut(1, List.of(new io.xvio.datapath.action.Output(2)), PacketCodecTest.FRAME).encode(v, 5))));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 400).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(6);
    }

    /** A connection with bundle 1 open and holding a flow add; m's replies are well-formed and the table moves only on a commit reply. */
    private static void check(int version, byte[] m) {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, version);
        c.handle(BundleTest.add(version, 1, 1, 0, BundleTest.flowAdd("priority=3,actions=drop", version)));
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(m));
        assertNotNull(replies, "the connection stays open");
        boolean committed = false;
        for (byte[] r : replies) {
            assertTrue(r.length >= 8);
            assertEquals(r.length, ((r[2] & 0xff) << 8) | (r[3] & 0xff));
            assertEquals(version, r[0]);
            if (r[1] == OfType.ERROR) continue;
            BundleMsg.Control ctl = BundleTest.reply(List.of(r), version, OfConnection.xidOf(m));
            assertEquals(1, ctl.type() % 2, "a reply type");
            committed |= ctl.type() == BundleMsg.COMMIT_REPLY;
        }
        assertTrue(replies.size() <= 2);
        if (!committed) {
            assertEquals(0, sw.replacements);
            assertTrue(sw.flows.isEmpty() && sw.groups.isEmpty() && sw.packetOuts.isEmpty());
        }
        assertTrue(c.bundles.size() <= 2);
        // and the connection still answers
        List<byte[]> echo = c.handle(new Wire.Writer(version, OfType.ECHO_REQUEST, 77).finish());
        assertEquals(OfType.ECHO_REPLY, echo.getFirst()[1]);
    }

    @Property(tries = 1500)
    void mutatedBundleMessagesGetAnErrorOrAReply(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                                  @ForAll @IntRange(min = 8, max = 200) int cutAt) {
        check(seed[0], GroupModProperties.mutatedBody(seed, edits, cut, cutAt));
    }

    @Property(tries = 1000)
    void randomBundleBodies(@ForAll("versions") int version, @ForAll boolean control, @ForAll byte[] body) {
        Wire.Writer w = BundleMsg.header(version, control ? OfType.BUNDLE_CONTROL : OfType.BUNDLE_ADD_MESSAGE,
                control ? BundleMsg.ONFT_BUNDLE_CONTROL : BundleMsg.ONFT_BUNDLE_ADD_MESSAGE, 5);
        w.bytes(body, 0, Math.min(body.length, 65000));
        check(version, w.finish());
    }

    // ------------------------------------------------------------------------------------------ against a model

    enum Op { OPEN, CLOSE, COMMIT, DISCARD, ADD, ADD_BAD }

    @Provide
    Arbitrary<List<int[]>> ops() {
        return Combinators.combine(Arbitraries.integers().between(0, Op.values().length - 1), Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(0, 3)).as((o, id, flags) -> new int[] {o, id, flags}).list().ofMaxSize(40);
    }

    private static final class Model {
        int flags;
        boolean closed;
        final List<Integer> priorities = new ArrayList<>();
        boolean bad;

        Model(int flags) { this.flags = flags; }
    }

    @Property(tries = 500)
    void sequencesFollowOvsRules(@ForAll("versions") int v, @ForAll("ops") List<int[]> ops) {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, v);
        Map<Integer, Model> model = new HashMap<>();
        Set<Integer> table = new TreeSet<>();
        int commits = 0;
        for (int i = 0; i < ops.size(); i++) {
            Op op = Op.values()[ops.get(i)[0]];
            int id = ops.get(i)[1], flags = ops.get(i)[2], xid = 1000 + i;
            Model b = model.get(id);
            List<byte[]> got;
            String at = "step " + i + " " + op + " id " + id + " flags " + flags;
            switch (op) {
                case OPEN -> {
                    got = c.handle(BundleTest.control(v, xid, id, BundleMsg.OPEN_REQUEST, flags));
                    if (b != null) { model.remove(id); expectError(OfError.BUNDLE_BAD_ID, v, xid, got, at); }
                    else { model.put(id, new Model(flags)); expectReply(BundleMsg.OPEN_REPLY, v, xid, id, got, at); }
                }
                case CLOSE -> {
                    got = c.handle(BundleTest.control(v, xid, id, BundleMsg.CLOSE_REQUEST, flags));
                    if (b == null) expectError(OfError.BUNDLE_BAD_ID, v, xid, got, at);
                    else if (b.closed) { model.remove(id); expectError(OfError.BUNDLE_CLOSED, v, xid, got, at); }
                    else if (b.flags != flags) { model.remove(id); expectError(OfError.BUNDLE_BAD_FLAGS, v, xid, got, at); }
                    else { b.closed = true; expectReply(BundleMsg.CLOSE_REPLY, v, xid, id, got, at); }
                }
                case DISCARD -> {
                    got = c.handle(BundleTest.control(v, xid, id, BundleMsg.DISCARD_REQUEST, flags));
                    if (b == null) expectError(OfError.BUNDLE_BAD_ID, v, xid, got, at);
                    else { model.remove(id); expectReply(BundleMsg.DISCARD_REPLY, v, xid, id, got, at); }
                }
                case ADD, ADD_BAD -> {
                    String flow = "priority=" + (100 + i) + (op == Op.ADD ? ",actions=drop" : ",actions=group:9");
                    got = c.handle(BundleTest.add(v, xid, id, flags, BundleTest.flowAdd(flow, v)));
                    if (b != null && b.closed) { model.remove(id); expectError(OfError.BUNDLE_CLOSED, v, xid, got, at); }
                    else if (b != null && b.flags != flags) { model.remove(id); expectError(OfError.BUNDLE_BAD_FLAGS, v, xid, got, at); }
                    else {
                        assertEquals(List.of(), got, at);
                        if (b == null) model.put(id, b = new Model(flags));
                        b.priorities.add(100 + i);
                        b.bad |= op == Op.ADD_BAD;
                    }
                }
                case COMMIT -> {
                    got = c.handle(BundleTest.control(v, xid, id, BundleMsg.COMMIT_REQUEST, flags));
                    model.remove(id);
                    if (b == null) expectError(OfError.BUNDLE_BAD_ID, v, xid, got, at);
                    else if (b.flags != flags) expectError(OfError.BUNDLE_BAD_FLAGS, v, xid, got, at);
                    else if (b.bad) {
                        assertEquals(2, got.size(), at);
                        assertEquals(OfError.BAD_OUT_GROUP.type, BundleTest.error(got.get(0))[0], at);
                        assertArrayEquals(BundleTest.expected(OfError.BUNDLE_MSG_FAILED, v, xid), BundleTest.error(got.get(1)), at);
                    } else {
                        expectReply(BundleMsg.COMMIT_REPLY, v, xid, id, got, at);
                        if (!b.priorities.isEmpty()) commits++;
                        table.addAll(b.priorities);
                    }
                }
            }
            assertEquals(model.size(), c.bundles.size(), at);
        }
        Set<Integer> have = new TreeSet<>();
        for (var f : sw.flows) have.add(f.priority);
        assertEquals(table, have, "the table is what the successful commits made it");
        assertEquals(commits, sw.replacements, "one replacement per successful commit that changed something");
    }

    // ------------------------------------------------------------------------------------------ bundled = alone

    @Provide
    Arbitrary<List<byte[]>> flowMods() {
        Arbitrary<String> matches = Arbitraries.of("", ",in_port=1", ",in_port=2", ",ip", ",ip,nw_src=10.0.0.1", ",tcp,tp_dst=80");
        Arbitrary<String> actions = Arbitraries.of("drop", "output:1", "output:2", "NORMAL", "mod_dl_src:00:11:22:33:44:55,output:2");
        return Combinators.combine(Arbitraries.integers().between(0, 4), Arbitraries.integers().between(0, 1), Arbitraries.integers().between(1, 3),
                        matches, actions, Arbitraries.integers().between(0, 2))
                .as((cmd, table, prio, match, act, cookie) -> OpenFlowCodecTest.flowMod13("table=" + table + ",cookie=" + cookie + ",priority=" + prio + match
                        + ",actions=" + act, cmd, OfVersion.OF15))
                .list().ofMaxSize(30);
    }

    private static List<String> table(MemorySwitch sw) {
        return sw.flows.stream().map(f -> io.xvio.datapath.FlowFormat.format(f, 0, false)).sorted().toList();
    }

    /** A bundle of flow_mods leaves the table as the same flow_mods sent one by one (strict ones found by key). */
    @Property(tries = 500)
    void aBundleEndsWhereTheMessagesAloneEnd(@ForAll("flowMods") List<byte[]> mods) {
        int v = OfVersion.OF15;
        MemorySwitch alone = new MemorySwitch(), bundled = new MemorySwitch();
        for (MemorySwitch sw : List.of(alone, bundled))
            for (String f : List.of("priority=2,in_port=1,actions=output:2", "table=1,cookie=1,priority=3,ip,actions=drop", "priority=1,actions=NORMAL"))
                sw.flows.add(io.xvio.datapath.FlowParser.parse(f));
        OfConnection a = OpenFlowCodecTest.connected(alone, v), b = OpenFlowCodecTest.connected(bundled, v);
        BundleTest.reply(b.handle(BundleTest.control(v, 98, 1, BundleMsg.OPEN_REQUEST, 0)), v, 98);
        for (int i = 0; i < mods.size(); i++) {
            assertEquals(List.of(), a.handle(BundleTest.withXid(mods.get(i), i)));
            assertEquals(List.of(), b.handle(BundleTest.add(v, i, 1, 0, mods.get(i))));
        }
        List<byte[]> r = b.handle(BundleTest.control(v, 99, 1, BundleMsg.COMMIT_REQUEST, 0));
        assertNotEquals(OfType.ERROR, r.getFirst()[1], () -> "commit refused: " + java.util.Arrays.toString(BundleTest.error(r.getFirst())));
        assertEquals(new BundleMsg.Control(1, BundleMsg.COMMIT_REPLY, 0), BundleTest.reply(r, v, 99));
        assertEquals(table(alone), table(bundled));
    }

    private static void expectError(OfError e, int v, int xid, List<byte[]> got, String at) {
        assertEquals(1, got.size(), at);
        assertArrayEquals(BundleTest.expected(e, v, xid), BundleTest.error(got.getFirst()), at + ": " + e);
    }

    private static void expectReply(int type, int v, int xid, int id, List<byte[]> got, String at) {
        assertEquals(new BundleMsg.Control(id, type, 0), BundleTest.reply(got, v, xid), at);
    }
}
