package io.xvio.openflow;

import io.xvio.datapath.GroupFormat;
import net.jqwik.api.*;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The group_mod decoder and the group multiparts against bad input: real group_mods of OpenFlow 1.3-1.5 with bytes
 * flipped, cut short or with lying lengths, and random bodies, get an OFPT_ERROR or are applied; nothing throws,
 * every reply is well-formed, and what the table holds afterwards still encodes and decodes to itself.
 */
class GroupModProperties {

    @Provide
    Arbitrary<byte[]> seeds() {
        return Arbitraries.of(OfVersion.OF13, OfVersion.OF14, OfVersion.OF15)
                .flatMap(v -> Arbitraries.of(GroupModTest.GROUPS).flatMap(text -> Arbitraries.of(GroupMod.ADD, GroupMod.MODIFY, GroupMod.ADD_OR_MOD,
                        GroupMod.DELETE, GroupMod.INSERT_BUCKET).map(cmd -> GroupModTest.groupMod(text, cmd, v))));
    }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 300).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(5);
    }

    private static void check(int version, byte[] msg) {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c = OpenFlowCodecTest.connected(sw, version);
        // groups the mutated message may name or change
        for (String text : GroupModTest.GROUPS.subList(0, 2)) assertEquals(List.of(), c.handle(GroupModTest.groupMod(text, GroupMod.ADD, version)));
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(msg));
        assertNotNull(replies);
        for (byte[] r : replies) {
            assertTrue(r.length >= 8 && r.length <= 65535);
            assertEquals(r.length, ((r[2] & 0xff) << 8) | (r[3] & 0xff));
            assertEquals(version, r[0]);
            assertEquals(OfType.ERROR, r[1], "a group_mod is answered by an error or nothing");
        }
        // whatever was accepted is a group the table can describe and take back
        for (var g : sw.groups()) {
            MemorySwitch again = new MemorySwitch();
            OfConnection c2 = OpenFlowCodecTest.connected(again, version);
            for (var other : sw.groups()) if (other.id != g.id) again.groups.put(other.id, other);
            assertEquals(List.of(), c2.handle(GroupModTest.groupMod(g, GroupMod.ADD, version)), GroupFormat.format(g));
            assertEquals(GroupFormat.format(g), GroupFormat.format(again.groups.get(g.id)));
        }
        // and the multiparts still answer
        Wire.Writer w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_GROUP_DESC).u16(0).zeros(4);
        if (version >= OfVersion.OF15) w.u32(GroupMod.GROUP_ALL).zeros(4);
        for (byte[] r : c.handle(w.finish())) assertEquals(OfType.MULTIPART_REPLY, r[1]);
    }

    @Property(tries = 1000)
    void mutatedGroupModsGetAnErrorOrApply(@ForAll("seeds") byte[] seed, @ForAll("edits") List<int[]> edits, @ForAll boolean cut,
                                           @ForAll @net.jqwik.api.constraints.IntRange(min = 8, max = 300) int cutAt) {
        check(seed[0], mutatedBody(seed, edits, cut, cutAt));
    }

    /**
     * seed with its body bytes edited (the 8-byte header stays: the message keeps its type), cut at cutAt if cut,
     * and its header length matching: what a buggy or hostile peer sends (shared with {@link MeterModProperties}).
     */
    static byte[] mutatedBody(byte[] seed, List<int[]> edits, boolean cut, int cutAt) {
        byte[] m = seed.clone();
        for (int[] e : edits) m[8 + Math.floorMod(e[0], m.length - 8)] = (byte) e[1];
        if (cut && cutAt < m.length) m = Arrays.copyOf(m, cutAt);
        m[2] = (byte) (m.length >>> 8);
        m[3] = (byte) m.length;
        return m;
    }

    @Property(tries = 1000)
    void randomGroupModBodies(@ForAll("versions") int version, @ForAll byte[] body) {
        Wire.Writer w = new Wire.Writer(version, OfType.GROUP_MOD, 42);
        w.bytes(body, 0, Math.min(body.length, 65000));
        check(version, w.finish());
    }

    @Property(tries = 500)
    void groupMultipartsWithRandomBodies(@ForAll("versions") int version, @ForAll @net.jqwik.api.constraints.IntRange(min = 6, max = 8) int type,
                                         @ForAll byte[] body) {
        OfConnection c = OpenFlowCodecTest.connected(new MemorySwitch(), version);
        Wire.Writer w = new Wire.Writer(version, OfType.MULTIPART_REQUEST, 1);
        w.u16(type).u16(0).zeros(4).bytes(body, 0, Math.min(body.length, 65000));
        List<byte[]> replies = assertDoesNotThrow(() -> c.handle(w.finish()));
        for (byte[] r : replies) assertTrue(r[1] == OfType.ERROR || r[1] == OfType.MULTIPART_REPLY);
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF13, OfVersion.OF14, OfVersion.OF15); }
}
