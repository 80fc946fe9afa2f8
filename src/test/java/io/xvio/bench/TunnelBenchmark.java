package io.xvio.bench;

import io.xvio.datapath.tunnel.GeneveOptions;
import io.xvio.datapath.tunnel.TunnelDecoder;
import io.xvio.datapath.tunnel.TunnelDrops;
import io.xvio.datapath.tunnel.TunnelHeader;
import io.xvio.datapath.tunnel.TunnelMetadata;
import io.xvio.datapath.tunnel.TunnelType;
import io.xvio.packet.PacketBatch;
import org.openjdk.jmh.annotations.*;
import org.openjdk.jmh.infra.Blackhole;

import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * Encapsulation (TunnelHeader.push) and decapsulation (TunnelDecoder.pop) cost in ns per packet, over a burst of 32
 * frames of the given size in a PacketBatch: VXLAN or Geneve with one 4-byte option, IPv4 or IPv6 underlay, with
 * or without the outer UDP checksum (which reads the whole frame). Run with bench/jmh (all io.xvio.bench classes)
 * or bench/jmh TunnelBenchmark.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class TunnelBenchmark {
    @Param({"vxlan", "geneve"})
    String type;
    @Param({"false", "true"})
    boolean v6;
    @Param({"false", "true"})
    boolean csum;
    @Param({"64", "1500"})
    int size;

    PacketBatch inner, outer;
    TunnelHeader header;
    TunnelDecoder decoder;
    TunnelMetadata[] md = new TunnelMetadata[PacketBatch.BURST];
    int ipId;

    @Setup
    public void setup() {
        TunnelType t = TunnelType.of(type);
        InetAddress src = InetAddress.ofLiteral(v6 ? "fd00::1" : "172.31.0.1"), dst = InetAddress.ofLiteral(v6 ? "fd00::2" : "172.31.0.2");
        byte[] opts = null;
        if (t == TunnelType.GENEVE) {
            opts = new byte[8];
            GeneveOptions.encode(List.of(new GeneveOptions.Option(0x102, 0x80, new byte[]{0, 0, 0, 1})), opts);
        }
        header = new TunnelHeader(new TunnelHeader.Spec(t, 0x0200_0000_0001L, 0x0200_0000_0002L, src, dst, t.defaultPort, 100, 0, 64,
                true, csum, false, opts));
        decoder = new TunnelDecoder(t, t.defaultPort, List.of(dst), (c, ty, l) -> c == 0x102, new TunnelDrops());
        inner = new PacketBatch();
        outer = new PacketBatch();
        for (int i = 0; i < PacketBatch.BURST; i++) {
            md[i] = new TunnelMetadata();
            long o = PacketBatch.frameStart(i) + 256;   // room for any header in these tests
            inner.off[i] = (int) o;
            inner.len[i] = size;
            for (int b = 0; b < size; b++) inner.data.set(JAVA_BYTE, o + b, (byte) (b * 31 + i));
            MemorySegment.copy(inner.data, o, outer.data, o, size);
            outer.off[i] = (int) header.push(outer.data, o, size, i * 0x9e3779b9, i);
            outer.len[i] = size + header.length();
        }
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public void encap(Blackhole bh) {
        long sum = 0;
        for (int i = 0; i < PacketBatch.BURST; i++) sum += header.push(inner.data, inner.off[i], inner.len[i], i * 0x9e3779b9, ipId++);
        bh.consume(sum);
    }

    @Benchmark
    @OperationsPerInvocation(PacketBatch.BURST)
    public void decap(Blackhole bh) {
        int sum = 0;
        for (int i = 0; i < PacketBatch.BURST; i++) sum += decoder.pop(outer.data, outer.off[i], outer.len[i], md[i], 0);
        bh.consume(sum);
    }
}
