package io.xvio.e2e;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * testpmd as a two-port vhost-user "switch" (LAB.md's C reference device): {@code net_vhost0} on
 * {@code DIR/a.sock} and {@code net_vhost1} on {@code DIR/b.sock}, {@code --forward-mode=io} (port 0
 * and port 1 cross-connected), pinned to CPU 1 by default. Forwarding is started before the
 * constructor returns. testpmd creates the sockets (vhost-user server) unless {@code client} is set,
 * in which case QEMU must be the server ({@code QemuGuest.Builder.qemuServer(true)}).
 */
public final class TestpmdVhostSwitch implements AutoCloseable {

    private final Path socketA;
    private final Path socketB;
    private final Testpmd testpmd;

    /** One queue pair per port, lcores {@code 0@1,1@1}, testpmd as vhost-user server. */
    public TestpmdVhostSwitch(Path dir) {
        this(dir, 1, "0@1,1@1", false);
    }

    public TestpmdVhostSwitch(Path dir, int queues, String lcores, boolean client) {
        this.socketA = dir.resolve("a.sock");
        this.socketB = dir.resolve("b.sock");
        String[] opts = client ? new String[] {"client=1"} : new String[0];
        this.testpmd = Testpmd.builder().lcores(lcores).queues(queues).forwardMode("io")
                .vhost(socketA.toString(), queues, opts).vhost(socketB.toString(), queues, opts)
                .workDir(dir).start();
        try {
            if (!client) {
                awaitSocket(socketA);
                awaitSocket(socketB);
            }
            testpmd.startForwarding();
        } catch (RuntimeException | AssertionError e) {
            testpmd.close();
            throw e;
        }
    }

    private void awaitSocket(Path p) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.exists(p)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("testpmd did not create " + p + "; output:\n" + testpmd.outputTail(4000));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Port 0's socket. */
    public Path socketA() {
        return socketA;
    }

    /** Port 1's socket. */
    public Path socketB() {
        return socketB;
    }

    public Testpmd testpmd() {
        return testpmd;
    }

    public Map<Integer, Testpmd.PortStats> portStats() {
        return testpmd.portStats();
    }

    @Override
    public void close() {
        testpmd.close();
    }
}
