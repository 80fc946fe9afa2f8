package io.xvio.bench;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.Classifier;
import io.xvio.datapath.Flow;
import io.xvio.datapath.Match;
import io.xvio.datapath.PortVlan;
import io.xvio.datapath.action.Output;
import io.xvio.packet.FlowKey;
import org.openjdk.jmh.annotations.*;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What one flow_mod outside a bundle costs the control thread with a table of 100,000 flows (issue 17's flow-mod
 * speed without --bundle), in ns per flow_mod:
 * <ul>
 *   <li>classifierAdd: {@link Classifier#update} of the 100,000-flow classifier with one new /32 (the same base each
 *       time: the cost of the publication's copy, not of a growing table);</li>
 *   <li>datapathAdd: {@link BridgeDatapath#installChanges} of one new flow, as an OpenFlow flow add reaches it: the
 *       classifier update, the flow list, the change log, the publication (the table grows from 100,000 during an
 *       iteration and starts over at the next; the flow's construction is included).</li>
 * </ul>
 * Both call only APIs that predate the paged slot arrays, so the same file measures the code before them.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Thread)
public class FlowModBenchmark {
    @Param({"100000"})
    int flows;

    static final int[] PORTS = {1, 2};
    static final PortVlan[] VLANS = {PortVlan.TRUNK_ALL, PortVlan.TRUNK_ALL};

    Classifier base;
    BridgeDatapath dp;
    List<Flow> published;
    int next;

    /** table=0,priority=100,ip,nw_dst=10.A.B.C,actions=output:2 (bench/flowmod's dst32 shape). */
    static Flow dst32(int i) {
        Match m = new Match().setWord(FlowKey.DL_TYPE, 0x0800, 0xffff).setWord(FlowKey.NW_DST, 0x0a000000L | i, 0xffffffffL);
        return new Flow(0, 100, 0, m, List.of(new Output(2)), 0, 0, "ip,nw_dst=" + i + ",actions=output:2");
    }

    @Setup(Level.Trial)
    public void classifier() {
        List<Flow> all = new ArrayList<>(flows);
        for (int i = 0; i < flows; i++) all.add(dst32(i));
        base = new Classifier(all);
    }

    @Setup(Level.Iteration)
    public void datapath() {
        dp = new BridgeDatapath("fm");
        published = new ArrayList<>(flows + 1_000_000);
        for (int i = 0; i < flows; i++) published.add(dst32(i));
        dp.installChanges(PORTS, VLANS, published, List.copyOf(published), List.of());
        next = flows;
    }

    @Benchmark
    public Classifier classifierAdd() {
        Flow f = dst32(flows + (next++ & 0xfffff));
        return Classifier.update(base, List.of(f), List.of(), () -> { throw new AssertionError("rebuilt whole"); });
    }

    @Benchmark
    public int datapathAdd() {
        Flow f = dst32(next++);
        published.add(f);
        dp.installChanges(PORTS, VLANS, published, List.of(f), List.of());
        return dp.flows().size();
    }
}
