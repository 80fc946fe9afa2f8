package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Action;
import net.jqwik.api.*;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Packet-in and packet-out decoding of anything (random bytes, real messages with bytes changed, cut short, lengths
 * that lie) either decodes or throws the codec's own error ({@link OfError.Failure}), never anything else; and every
 * packet-in and packet-out xvio can make decodes back to itself.
 */
class PacketCodecProperties {
    private static final int[] VERSIONS = {OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15};

    private static void decodesOrFails(Runnable decode) {
        try {
            decode.run();
        } catch (OfError.Failure expected) {
            assertNotNull(expected.error);
        }
    }

    private static PacketOut decodeOut(byte[] m, int version) {
        Wire.Reader r = new Wire.Reader(m);
        r.skip(Math.min(8, m.length));
        return PacketOut.decode(r, version);
    }

    @Property(tries = 3000)
    void randomBytesNeverThrowAnythingButTheCodecsError(@ForAll byte[] bytes, @ForAll("versions") int version) {
        decodesOrFails(() -> PacketIn.decode(bytes));
        decodesOrFails(() -> decodeOut(bytes, version));
    }

    @Property(tries = 3000)
    void mutatedRealMessagesNeverThrowAnythingButTheCodecsError(@ForAll("packetIns") PacketIn pi, @ForAll("versions") int version,
                                                                 @ForAll("edits") List<int[]> edits, @ForAll boolean cut, @ForAll("lengths") int cutAt) {
        for (byte[] seed : List.of(pi.encode(version, version == OfVersion.OF10 ? PacketIn.FORMAT_NXT : 0, 1), pi.encode(version, PacketIn.FORMAT_NXT2, 1),
                new PacketOut(pi.inPort(), List.of(new io.xvio.datapath.action.Output(2)), pi.data()).encode(version, 1))) {
            byte[] m = seed.clone();
            for (int[] e : edits) m[Math.floorMod(e[0], m.length)] = (byte) e[1];
            if (cut && cutAt < m.length) m = Arrays.copyOf(m, cutAt);
            byte[] f = m;
            decodesOrFails(() -> PacketIn.decode(f));
            decodesOrFails(() -> decodeOut(f, version));
        }
    }

    @Property(tries = 1000)
    void packetInsRoundTrip(@ForAll("packetIns") PacketIn pi, @ForAll("versions") int version) {
        assertEquals(pi, PacketIn.decode(pi.encode(version, PacketIn.FORMAT_NXT2, 3)), "NXT_PACKET_IN2");
        if (version == OfVersion.OF10) {
            assertEquals(pi, PacketIn.decode(pi.encode(version, PacketIn.FORMAT_NXT, 3)));
            PacketIn std = PacketIn.decode(pi.encode(version, PacketIn.FORMAT_STANDARD, 3));
            assertEquals(pi.inPort(), std.inPort());
            assertArrayEquals(pi.data(), std.data());
        } else {
            assertEquals(pi, PacketIn.decode(pi.encode(version, PacketIn.FORMAT_STANDARD, 3)));
        }
    }

    @Property(tries = 1000)
    void packetOutsRoundTrip(@ForAll("packetIns") PacketIn pi, @ForAll("actions") List<Action> actions, @ForAll("versions") int version) {
        PacketOut po = new PacketOut(pi.inPort(), actions, pi.data());
        assertEquals(po, decodeOut(po.encode(version, 9), version));
    }

    /** OpenFlow 1.5: a packet-out's pipeline fields (metadata, registers, tunnel fields) come back as they went. */
    @Property(tries = 1000)
    void packetOutsWithPipelineFieldsRoundTrip(@ForAll("packetIns") PacketIn pi, @ForAll("actions") List<Action> actions,
                                                @ForAll("pipelineFields") String fields) {
        PacketOut po = new PacketOut(pi.inPort(), actions, pi.data(), FlowParser.parse(fields + ",actions=drop").match);
        assertEquals(po, decodeOut(po.encode(OfVersion.OF15, 9), OfVersion.OF15));
    }

    /**
     * The same with one field that is none (pkt_mark, an Ethernet or IP field, conntrack state): always
     * OFPBRC_PIPELINE_FIELDS_ONLY; and such messages with bytes changed or cut decode or fail with the codec's error.
     */
    @Property(tries = 1000)
    void otherFieldsInAPacketOutAreRefused(@ForAll("packetIns") PacketIn pi, @ForAll("pipelineFields") String fields,
                                           @ForAll("otherFields") String other, @ForAll("edits") List<int[]> edits) {
        io.xvio.datapath.Match m = FlowParser.parse(other + "," + fields + ",actions=drop").match;
        byte[] msg = new PacketOut(pi.inPort(), List.of(new io.xvio.datapath.action.Output(2)), pi.data(), m).encode(OfVersion.OF15, 9);
        OfError.Failure f = assertThrows(OfError.Failure.class, () -> decodeOut(msg, OfVersion.OF15));
        assertEquals(OfError.PIPELINE_FIELDS_ONLY, f.error, f.getMessage());
        byte[] changed = msg.clone();
        for (int[] e : edits) changed[Math.floorMod(e[0], changed.length)] = (byte) e[1];
        decodesOrFails(() -> decodeOut(changed, OfVersion.OF15));
    }

    @Provide
    Arbitrary<String> pipelineFields() {
        Arbitrary<String> one = Arbitraries.oneOf(
                Arbitraries.longs().map(v -> "metadata=0x" + Long.toHexString(v)),
                Combinators.combine(Arbitraries.integers().between(0, 15), Arbitraries.longs().between(0, 0xffffffffL))
                        .as((r, v) -> "reg" + r + "=0x" + Long.toHexString(v)),
                Combinators.combine(Arbitraries.integers().between(0, 15), Arbitraries.longs().between(1, 0xffffffffL))
                        .as((r, v) -> "reg" + r + "=0x" + Long.toHexString(v) + "/0x" + Long.toHexString(v | 1)),
                Arbitraries.longs().map(v -> "tun_id=0x" + Long.toHexString(v)),
                Arbitraries.integers().between(1, 254).map(v -> "tun_dst=10.9.8." + v));
        return one.list().ofMinSize(1).ofMaxSize(4).uniqueElements(f -> f.substring(0, f.indexOf('=')))
                .map(l -> String.join(",", l));
    }

    @Provide
    Arbitrary<String> otherFields() {
        return Arbitraries.of("pkt_mark=1", "dl_src=02:00:00:00:00:01", "dl_type=0x0800", "ip,nw_dst=10.0.0.1", "ct_mark=7",
                "ct_state=+trk", "vlan_tci=0x1005");
    }

    @Provide
    Arbitrary<PacketIn> packetIns() {
        Arbitrary<long[]> keys = Combinators.combine(Arbitraries.of(1, 2, 7, 0xfeff, Ports.CONTROLLER, Ports.LOCAL), Arbitraries.longs(),
                Arbitraries.integers(), Arbitraries.longs().between(0, 0xffffffffL)).as(PacketCodecTest::key);
        Arbitrary<byte[]> frames = Arbitraries.integers().between(14, 2000).map(PacketCodecTest::frame);
        return Combinators.combine(keys, frames, Arbitraries.of(0, 1), Arbitraries.integers().between(0, 254), Arbitraries.longs(),
                Arbitraries.integers().between(0, 100)).as((k, f, reason, table, cookie, extra) ->
                new PacketIn(f.length + extra, reason, table, cookie, PacketIn.metadata(k), f));
    }

    /** Actions any frame may take (an IP rewrite on an ARP frame is refused at decoding, as OVS refuses it). */
    @Provide
    Arbitrary<List<Action>> actions() {
        return Arbitraries.of("actions=output:2", "actions=NORMAL,FLOOD", "actions=mod_dl_dst:00:00:00:00:00:01,output:3",
                "actions=mod_dl_src:00:00:00:00:00:02,ALL", "actions=drop", "actions=resubmit(,0)",
                "actions=load:0x5->reg0,resubmit(,3),CONTROLLER:128").map(t -> FlowParser.parse(t).actions);
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(Arrays.stream(VERSIONS).boxed().toList()); }

    @Provide
    Arbitrary<List<int[]>> edits() {
        return Arbitraries.integers().between(0, 300).flatMap(at -> Arbitraries.integers().between(0, 255).map(v -> new int[] {at, v}))
                .list().ofMaxSize(6);
    }

    @Provide
    Arbitrary<Integer> lengths() { return Arbitraries.integers().between(0, 300); }
}
