package io.xvio.port;

import io.xvio.packet.PacketBatch;
import io.xvio.sys.EventFd;
import io.xvio.testing.TestFrontend;
import io.xvio.util.Quiescence;
import io.xvio.vhost.VhostUserEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A receive queue restarted as QEMU restarts one (vhost_virtqueue_start: NUM, BASE, ADDR, KICK, and only then CALL),
 * with EVENT_IDX: a frame delivered between the kick and the call had no call fd to signal, and the driver's
 * used_event lies behind it, so no later completion crosses it either. The new call fd is signalled when it
 * arrives; without that the guest's receive queue would wait for an interrupt forever.
 */
class VhostUserCallFdTest {
    @TempDir Path dir;

    /** Transmits a 60-byte frame to the guest until its receive ring's used index moves past was; returns it. */
    private static int deliver(VhostUserPort p, TestFrontend.Vring rx, int was) throws InterruptedException {
        PacketBatch b = new PacketBatch();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (rx.usedIdx() == was) {
            assertTrue(System.nanoTime() < deadline, "the queue never took a frame: " + p.details());
            b.reset();
            b.len[0] = 60;
            b.count = 1;
            p.transmit(0, b, new int[] {0}, 1);
            Thread.sleep(1);
        }
        return rx.usedIdx();
    }

    @Test
    void aCallFdThatArrivesAfterTheKickIsSignalledOnce() throws Exception {
        String sock = dir.resolve("vh.sock").toString();
        VhostUserPort p = new VhostUserPort("vh", 1, sock, VhostUserEndpoint.Mode.SERVER, 1, true, false, false, 0, Quiescence.NONE, null);
        p.start();
        try (TestFrontend f = TestFrontend.connect(sock, TestFrontend.Options.defaults().eventIdx(true)).start();
             EventFd kick = EventFd.create(); EventFd call = EventFd.create()) {
            TestFrontend.Vring rx = f.rx(0);
            int used = deliver(p, rx, rx.usedIdx());

            int base = f.getVringBase(0);                  // the guest stops the ring (vhost_dev_stop)
            f.setVringNum(0, rx.size());
            f.setVringBase(0, base);
            f.setVringAddr(0, rx.descUva(), rx.usedUva(), rx.availUva());
            rx.setUsedEvent(used);                          // interrupt me when the next buffer is used
            f.setVringKick(0, kick);                        // the ring runs again, with no call fd yet
            used = deliver(p, rx, used);                    // completed unannounced
            f.setVringCall(0, call);
            deliver(p, rx, used);                           // does not cross used_event either

            long deadline = System.nanoTime() + 2_000_000_000L, signals = 0;
            while (signals == 0 && System.nanoTime() < deadline) {
                signals = call.drain();
                Thread.sleep(1);
            }
            assertTrue(signals > 0, "the driver never heard of the buffers used after the kick");
        } finally {
            p.close();
        }
    }
}
