package io.xvio.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code ovs-ofctl -O VERSION monitor TARGET 65534}: a controller on a switch's management socket that asks for every
 * packet-in (NXT_PACKET_IN2, as ovs-ofctl does by default) and prints what it receives, the same tool decoding OVS's
 * messages and xvio's. {@link #packetIns()} gives each packet-in as ovs-ofctl printed it, its xid left out.
 */
final class PacketInMonitor implements AutoCloseable {
    private final Process process;
    private final Path out;

    private PacketInMonitor(Process process, Path out) {
        this.process = process;
        this.out = out;
    }

    /** Starts the monitor and waits until it is connected (its first lines are printed). */
    static PacketInMonitor start(String version, String target, Path out) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ovs-ofctl", "-O", version, "monitor", target, "65534").redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        PacketInMonitor m = new PacketInMonitor(p, out);
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end && Files.size(out) == 0) {
            if (!p.isAlive()) throw new IllegalStateException("ovs-ofctl monitor " + target + " exited: " + Files.readString(out));
            Thread.sleep(20);
        }
        Thread.sleep(200);
        return m;
    }

    /** Every packet-in printed so far: its header line (without the xid) and the indented lines that follow. */
    List<String> packetIns() throws IOException {
        List<String> all = new ArrayList<>();
        StringBuilder cur = null;
        for (String line : Files.readAllLines(out)) {
            if (line.contains("(xid=")) {
                if (cur != null) all.add(cur.toString());
                cur = line.contains("PACKET_IN") ? new StringBuilder(line.replaceAll(" ?\\(xid=0x[0-9a-f]+\\)", "")) : null;
            } else if (cur != null) {
                cur.append('\n').append(line);
            }
        }
        if (cur != null) all.add(cur.toString());
        return all;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
