package io.xvio.bench;

import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.CtResult;
import io.xvio.packet.FlowKey;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * Connection tracker cost in ns per packet (each invocation is a burst of 32 packets, keys already extracted,
 * checksums verified as OVS does): packets of 32 established TCP connections (the security-group case,
 * ct(commit) on every packet), one established connection's bursts both ways (the rig's conntrack case), and SYNs of new connections committed (setup rate), with the table kept at a
 * steady size by per-burst expiry: each burst advances the clock by one second (SYN timeout 30 s) and calls
 * expire with a budget of 64.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class ConntrackBenchmark {
    static final int BURST = 32, NEW_FRAMES = 4096;

    ConnTracker established, fresh, single;
    MemorySegment estData, newData, oneData;
    FlowKey oneOut = new FlowKey(), oneBack = new FlowKey();
    FlowKey[] estKeys = new FlowKey[BURST], newKeys = new FlowKey[NEW_FRAMES];
    CtResult out = new CtResult();
    long now = 1_000_000_000_000L;
    int next;

    /** An IPv4/TCP frame of 64 bytes at i*64 in seg with valid checksums. */
    static void tcpFrame(MemorySegment seg, int i, int src, int sport, int dst, int dport, int flags, int seq, int ack) {
        ByteBuffer b = ByteBuffer.allocate(64);
        b.putShort((short) 0x0200).putInt(2).putShort((short) 0x0200).putInt(1).putShort((short) 0x0800);
        b.put((byte) 0x45).put((byte) 0).putShort((short) 50).putInt(0).put((byte) 64).put((byte) 6).putShort((short) 0)
                .putInt(src).putInt(dst);
        b.putShort((short) sport).putShort((short) dport).putInt(seq).putInt(ack).putShort((short) (5 << 12 | flags))
                .putShort((short) 65535).putInt(0).putInt(0).putInt(0).putShort((short) 0);
        byte[] f = b.array();
        f[24] = 0; f[25] = 0;
        int c = ~fold(sum(f, 14, 20, 0)) & 0xffff;
        f[24] = (byte) (c >>> 8); f[25] = (byte) c;
        long pseudo = sum(f, 26, 8, 0) + 6 + 30;
        c = ~fold(sum(f, 34, 30, pseudo)) & 0xffff;
        f[50] = (byte) (c >>> 8); f[51] = (byte) c;
        MemorySegment.copy(MemorySegment.ofArray(f), 0, seg, i * 64L, 64);
    }

    static long sum(byte[] f, int off, int n, long acc) {
        for (int i = 0; i + 1 < n; i += 2) acc += (f[off + i] & 0xff) << 8 | (f[off + i + 1] & 0xff);
        return acc;
    }

    static int fold(long s) {
        while ((s >>> 16) != 0) s = (s & 0xffff) + (s >>> 16);
        return (int) s;
    }

    void track(ConnTracker ct, FlowKey k, MemorySegment seg, int i) {
        ct.track(k, seg, i * 64L, 64, 1, true, false, null, now, 0, out);
    }

    @Setup
    public void setup() {
        established = new ConnTracker(1024, 1);
        fresh = new ConnTracker(8192, 1);
        estData = MemorySegment.ofArray(new byte[BURST * 64]);
        MemorySegment hs = MemorySegment.ofArray(new byte[2 * 64]);
        FlowKey k = new FlowKey();
        for (int i = 0; i < BURST; i++) {
            int a = 0x0a000001, b = 0x0a000002, sp = 20000 + i;
            tcpFrame(hs, 0, a, sp, b, 80, 2, 1000, 0);                  // SYN
            tcpFrame(hs, 1, b, 80, a, sp, 0x12, 5000, 1001);            // SYN+ACK
            for (int j = 0; j < 2; j++) {
                k.extract(hs, j * 64L, 64, 1);
                established.track(k, hs, j * 64L, 64, 1, true, false, null, now, 0, out);
            }
            tcpFrame(estData, i, a, sp, b, 80, 0x10, 1001, 5001);       // ACK
            estKeys[i] = new FlowKey();
            estKeys[i].extract(estData, i * 64L, 64, 1);
        }
        // one established connection, both directions (the rig's conntrack case: a burst of each direction)
        single = new ConnTracker(1024, 1);
        oneData = MemorySegment.ofArray(new byte[4 * 64]);
        tcpFrame(oneData, 0, 0x0a000001, 30000, 0x0a000002, 80, 2, 1000, 0);
        tcpFrame(oneData, 1, 0x0a000002, 80, 0x0a000001, 30000, 0x12, 5000, 1001);
        tcpFrame(oneData, 2, 0x0a000001, 30000, 0x0a000002, 80, 0x10, 1001, 5001);
        tcpFrame(oneData, 3, 0x0a000002, 80, 0x0a000001, 30000, 0x10, 5001, 1001);
        for (int j = 0; j < 2; j++) {
            k.extract(oneData, j * 64L, 64, 1);
            single.track(k, oneData, j * 64L, 64, 1, true, false, null, now, 0, out);
        }
        oneOut.extract(oneData, 2 * 64L, 64, 1);
        oneBack.extract(oneData, 3 * 64L, 64, 1);
        newData = MemorySegment.ofArray(new byte[NEW_FRAMES * 64]);
        for (int i = 0; i < NEW_FRAMES; i++) {
            tcpFrame(newData, i, 0x0b000000 | i, 1024 + i, 0x0a000002, 80, 2, i, 0);
            newKeys[i] = new FlowKey();
            newKeys[i].extract(newData, i * 64L, 64, 1);
        }
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int establishedTcp() {
        for (int i = 0; i < BURST; i++) track(established, estKeys[i], estData, i);
        return out.state;
    }

    /** A burst of one connection's packets, then a burst of its replies (64 packets, two directions). */
    @Benchmark
    @OperationsPerInvocation(2 * BURST)
    public int oneConnectionBothWays() {
        for (int i = 0; i < BURST; i++) track(single, oneOut, oneData, 2);
        for (int i = 0; i < BURST; i++) track(single, oneBack, oneData, 3);
        return out.state;
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public int newConnections() {
        for (int i = 0; i < BURST; i++) {
            int f = next;
            next = f + 1 == NEW_FRAMES ? 0 : f + 1;
            track(fresh, newKeys[f], newData, f);
        }
        now += 1_000_000_000L;
        fresh.expire(now, 64);
        return out.state;
    }
}
