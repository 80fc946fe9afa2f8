package io.xvio.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * The conntrack micro-benchmarks ({@link ConntrackBenchmark}, {@link DatapathBenchmark#conntrackFlows}) timed by the
 * thread's CPU time instead of the wall clock: on a machine whose CPUs are shared (the bench rig's loaded VM) time
 * spent preempted is not counted, so two builds can be compared there. Prints, per case, the lowest and the median
 * ns per packet over rounds of 20,000 bursts. usage: java -cp ... io.xvio.bench.ConntrackCpuTime [ROUNDS]
 * (bench/jmh-cpu runs it for this checkout and, with --base DIR, for another, alternately).
 */
public final class ConntrackCpuTime {
    interface Burst { int run(); }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        ConntrackBenchmark ct = new ConntrackBenchmark();
        ct.setup();
        DatapathBenchmark dp = new DatapathBenchmark();
        dp.flows = 1000;
        dp.setup();
        report("ConntrackBenchmark.establishedTcp", rounds, 32, ct::establishedTcp);
        report("ConntrackBenchmark.oneConnectionBothWays", rounds, 64, ct::oneConnectionBothWays);
        report("ConntrackBenchmark.newConnections", rounds, 32, ct::newConnections);
        report("DatapathBenchmark.conntrackFlows", rounds, 64, dp::conntrackFlows);
        report("DatapathBenchmark.conntrackOneFlow", rounds, 64, dp::conntrackOneFlow);
    }

    static void report(String name, int rounds, int packets, Burst b) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        int sink = 0;
        for (int i = 0; i < 200_000; i++) sink += b.run();               // warm-up: compiled
        double[] ns = new double[rounds];
        int bursts = 20_000;
        for (int r = 0; r < rounds; r++) {
            long t0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < bursts; i++) sink += b.run();
            ns[r] = (mx.getCurrentThreadCpuTime() - t0) / (double) bursts / packets;
        }
        java.util.Arrays.sort(ns);
        System.out.printf("%-60s min %7.1f  median %7.1f ns/packet (CPU time; %d rounds)%s%n", name, ns[0], ns[rounds / 2], rounds,
                sink == 42 ? " " : "");
    }
}
