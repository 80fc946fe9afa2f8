package io.xvio.bench;

import io.xvio.sys.Netdev;
import io.xvio.sys.XdpSocket;
import io.xvio.testing.NetLab;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * What an AF_XDP copy-mode send costs the sending thread, user and kernel time together (the veth's transmit and
 * its peer's receive run in the sender's system call), by thread CPU time: bursts of 32 64-byte frames into a veth,
 * each burst sent with its own sendto ({@code flush}) against bursts kept back until KICK_AT frames wait
 * ({@code flushOrHold}, Linux 6.17+), the two alternating round by round so that both see the same host. Prints the
 * lowest and the median ns per frame of each. Needs root (it makes a veth pair and deletes it).
 * usage: java -cp ... io.xvio.bench.XskSendCpuTime [ROUNDS]
 */
public final class XskSendCpuTime {
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        try (NetLab lab = new NetLab()) {
            String a = lab.name("xsa"), b = lab.name("xsb");
            lab.veth(a, b);
            Netdev.setUp(a);
            Netdev.setUp(b);
            try (XdpSocket x = XdpSocket.open(a, Netdev.query(a).ifindex(), 0, 2048, 256, 1024)) {
                System.out.println("kernel tx budget: " + x.txBudget() + " frames per sendto");
                MemorySegment buf = Arena.ofAuto().allocate(64 * 32, 64);
                for (int i = 0; i < 64 * 32; i++) buf.set(JAVA_BYTE, i, (byte) (i % 64 < 6 ? 0x02 : i % 64 == 12 ? 0x88 : i % 64 == 13 ? 0xb5 : i));
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                for (int w = 0; w < 3; w++) { send(x, buf, false, 20_000); send(x, buf, true, 20_000); }   // compiled
                double[][] ns = new double[2][rounds];
                for (int r = 0; r < rounds; r++) {
                    for (int mode = 0; mode < 2; mode++) {
                        long t0 = mx.getCurrentThreadCpuTime();
                        long frames = send(x, buf, mode == 1, 10_000);
                        ns[mode][r] = (mx.getCurrentThreadCpuTime() - t0) / (double) frames;
                    }
                }
                String[] names = {"a sendto per burst (flush)", XdpSocket.KICK_AT + " frames per sendto (flushOrHold)"};
                for (int mode = 0; mode < 2; mode++) {
                    java.util.Arrays.sort(ns[mode]);
                    System.out.printf("%-40s min %7.1f  median %7.1f ns/frame (thread CPU time, %d rounds)%n", names[mode], ns[mode][0], ns[mode][rounds / 2], rounds);
                }
            }
        }
    }

    /** Sends bursts of 32 64-byte frames; returns the frames sent (a full ring waits for completions). */
    private static long send(XdpSocket x, MemorySegment buf, boolean hold, int bursts) {
        long sent = 0;
        for (int k = 0; k < bursts; k++) {
            for (int i = 0; i < 32; i++) if (x.queue(buf, 64L * i, 64)) sent++;
            if (hold) x.flushOrHold(); else x.flush();
        }
        x.flush();
        return sent;
    }
}
