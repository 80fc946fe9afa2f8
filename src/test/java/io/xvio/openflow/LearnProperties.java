package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Learn;
import io.xvio.datapath.action.LearnSpec;
import net.jqwik.api.*;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Random learn actions: printed and read back (ovs-ofctl syntax) and encoded and decoded (NXAST_LEARN/LEARN2, every
 * version) they are the same action; any mutation of their bytes decodes to a learn or fails with an OpenFlow error,
 * never another exception.
 */
class LearnProperties {
    /** Fields without prerequisites, and whether actions may write them. */
    private static final Field[] FIELDS = {Field.REG0, Field.REG5, Field.REG15, Field.METADATA, Field.DL_SRC, Field.DL_DST,
            Field.VLAN_TCI, Field.TUN_ID, Field.PKT_MARK, Field.IN_PORT, Field.XREG3};
    private static final Field[] WRITABLE = {Field.REG0, Field.REG5, Field.REG15, Field.METADATA, Field.DL_SRC, Field.DL_DST,
            Field.TUN_ID, Field.PKT_MARK, Field.XREG3};

    @Provide
    Arbitrary<Learn> learns() {
        Arbitrary<LearnSpec> spec = Arbitraries.randomValue(r -> {
            LearnSpec.Kind kind = LearnSpec.Kind.values()[r.nextInt(3)];
            Field dst = kind == LearnSpec.Kind.LOAD ? WRITABLE[r.nextInt(WRITABLE.length)] : FIELDS[r.nextInt(FIELDS.length)];
            int n = 1 + r.nextInt(dst.bits), dstOfs = r.nextInt(dst.bits - n + 1);
            boolean imm = kind != LearnSpec.Kind.OUTPUT && r.nextBoolean();
            if (imm) {
                long v = r.nextLong() & (n == 64 ? -1L : (1L << n) - 1);
                return new LearnSpec(kind, null, 0, v, dst, dstOfs, n);
            }
            List<Field> wide = new ArrayList<>();
            for (Field f : FIELDS) if (f.bits >= n) wide.add(f);
            Field src = wide.get(r.nextInt(wide.size()));
            int srcOfs = r.nextInt(src.bits - n + 1);
            return kind == LearnSpec.Kind.OUTPUT ? new LearnSpec(kind, src, srcOfs, 0, null, 0, n)
                    : new LearnSpec(kind, src, srcOfs, 0, dst, dstOfs, n);
        });
        return Combinators.combine(Arbitraries.integers().between(0, 254), Arbitraries.integers().between(0, 65535),
                Arbitraries.integers().between(0, 65535), Arbitraries.longs(), Arbitraries.of(0L, 0L, 3L, 0xffffffffL),
                Arbitraries.integers().between(-1, 31), spec.list().ofMaxSize(8), Arbitraries.integers().between(0, 3))
                .as((table, prio, timeout, cookie, limit, result, specs, flags) -> new Learn(table, timeout, timeout / 2, 0, 0, prio,
                        cookie, (flags & 1) != 0, (flags & 2) != 0, limit, result < 0 ? null : Field.REG7, Math.max(result, 0), specs));
    }

    @Property(tries = 2000)
    void printedAndReadBackItIsTheSameAction(@ForAll("learns") Learn l) {
        Action back = FlowParser.parse("actions=" + l.format()).actions.getFirst();
        assertEquals(l, back, l.format());
    }

    @Property(tries = 2000)
    void encodedAndDecodedItIsTheSameActionInEveryVersion(@ForAll("learns") Learn l, @ForAll("versions") int version) {
        assertEquals(List.of(l), OfLearnTest.decode(OfLearnTest.encode(l, version), version));
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, 5, OfVersion.OF15); }

    @Property(tries = 3000)
    void mutatedBytesDecodeOrFailWithAnOpenFlowError(@ForAll("learns") Learn l, @ForAll("versions") int version,
                                                      @ForAll @net.jqwik.api.constraints.Size(max = 6) List<@net.jqwik.api.constraints.IntRange(max = 1 << 16) Integer> edits) {
        byte[] b = OfLearnTest.encode(l, version);
        for (int e : edits) b[4 + Math.floorMod(e >>> 8, b.length - 4)] = (byte) e;     // the type and length stay
        try {
            List<Action> got = OfLearnTest.decode(b, version);
            assertEquals(1, got.size());
            Action a = got.getFirst();
            if (a instanceof Learn d) assertEquals(d, FlowParser.parse("actions=" + d.format()).actions.getFirst(), d.format());
        } catch (OfError.Failure expected) {
            assertNotNull(expected.error);
        } catch (io.xvio.datapath.FlowSyntaxException refused) {
            // a decoded learn xvio's parser refuses (e.g. a learned-match prerequisite): the flow_mod path answers MATCH_INCONSISTENT
        }
    }
}
