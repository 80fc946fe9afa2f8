package io.xvio.control;

import io.xvio.port.CaptureRing;
import io.xvio.sys.Fd;
import io.xvio.sys.FdPassing;
import io.xvio.sys.OutputFd;
import io.xvio.sys.PeerWatch;
import io.xvio.sys.UnixSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A capture written by the daemon into the descriptor its client passed: exactly --count frames, then the summary;
 * the client shutting its side (Ctrl-C) ends it with the frames taken so far written; a reader that closes the
 * output (EPIPE) ends it with an error answer; the ring comes off the port whenever it ends; and the writer thread
 * allocates nothing in steady state.
 */
class CaptureStreamTest {
    @TempDir Path dir;
    private final MemorySegment frame = Arena.ofAuto().allocate(2048);
    private final AtomicInteger detached = new AtomicInteger();
    private final CountDownLatch ended = new CountDownLatch(1);
    private UnixSocket client;
    private CaptureStream stream;

    /** A capture of ring with count, its connection's far end in client (the test is the CLI). */
    private CaptureStream start(CaptureRing ring, long count) {
        UnixSocket[] p = UnixSocket.pair();
        client = p[0];
        int daemonSide = Fd.dup(p[1].fd());
        p[1].close();
        stream = new CaptureStream("capture 1 on port t0", ring, count, true, 1_700_000_000_000_000_000L, 0, daemonSide,
                detached::incrementAndGet, s -> ended.countDown());
        stream.start();
        return stream;
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (client != null) client.close();
        if (stream != null) stream.join(5000);
    }

    private void pass(int fd) {
        FdPassing.send(client.fd(), fd, (byte) 'w');
        Fd.close(fd);
    }

    private void offer(CaptureRing ring, int i, int len) {
        for (int k = 0; k < len; k++) frame.set(ValueLayout.JAVA_BYTE, k, (byte) (i + k));
        assertTrue(ring.offer(0, frame, 0, len, 1_000L * i));
    }

    private ControlClient.Reply summary() throws Exception {
        ControlClient.Reply r = CaptureCli.readReply(client);
        assertTrue(ended.await(5, TimeUnit.SECONDS), "the capture's thread ended");
        assertTrue(detached.get() >= 1, "the ring came off the port");
        return r;
    }

    /** The records of a pcap file: {captured length, original length, first byte}. */
    private static List<int[]> records(Path f) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b23c4d, b.getInt(0));
        b.position(24);
        List<int[]> out = new ArrayList<>();
        while (b.hasRemaining()) {
            b.getInt();
            b.getInt();
            int cap = b.getInt(), orig = b.getInt();
            out.add(new int[] {cap, orig, cap > 0 ? b.get(b.position()) : -1});
            b.position(b.position() + cap);
        }
        return out;
    }

    @Test
    void countEndsItAfterExactlyThatManyFrames() throws Exception {
        CaptureRing ring = new CaptureRing(1 << 20, 100);
        for (int i = 0; i < 10; i++) offer(ring, i, 60 + i * 10);
        start(ring, 5);
        Path f = dir.resolve("five.pcap");
        pass(OutputFd.create(f.toString()));
        ControlClient.Reply r = summary();
        assertTrue(r.ok(), r.text());
        assertEquals("5 captured, 0 dropped by the capture ring", r.text());
        List<int[]> recs = records(f);
        assertEquals(5, recs.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(Math.min(100, 60 + i * 10), recs.get(i)[0], "cut to snaplen 100");
            assertEquals(60 + i * 10, recs.get(i)[1], "the original length");
            assertEquals(i, recs.get(i)[2]);
        }
    }

    @Test
    void framesAreWrittenWhenTheRingIsDrainedAndTheClientClosingItsSideEndsIt() throws Exception {
        CaptureRing ring = new CaptureRing(1 << 20, 262144);
        start(ring, 0);
        Path f = dir.resolve("all.pcap");
        pass(OutputFd.create(f.toString()));
        for (int i = 0; i < 3; i++) offer(ring, i, 64);
        long want = 24 + 3 * (16 + 64);
        for (int i = 0; i < 200 && Files.size(f) < want; i++) Thread.sleep(10);
        assertEquals(want, Files.size(f), "written without waiting for a full buffer");
        offer(ring, 3, 64);
        client.shutdownOutput();                               // what Ctrl-C does
        ControlClient.Reply r = summary();
        assertTrue(r.ok(), r.text());
        assertEquals("4 captured, 0 dropped by the capture ring", r.text());
        assertEquals(4, records(f).size());
    }

    @Test
    void aReaderThatClosesTheOutputEndsItWithAnError() throws Exception {
        CaptureRing ring = new CaptureRing(1 << 20, 262144);
        start(ring, 0);
        UnixSocket[] pipe = UnixSocket.pair();                 // as `xvio capture -w - | head -c 100`, once head exits
        pipe[1].close();
        pass(Fd.dup(pipe[0].fd()));
        pipe[0].close();
        ControlClient.Reply r = summary();
        assertFalse(r.ok());
        assertEquals("capture: the output was closed by its reader\n0 captured, 0 dropped by the capture ring", r.text());
    }

    /** `xvio capture | head -c 10` on an idle port: head exits after the file header, and the capture ends at once. */
    @Test
    void anIdleCaptureEndsWhenItsPipesReaderExits() throws Exception {
        CaptureRing ring = new CaptureRing(1 << 20, 262144);
        start(ring, 0);
        Path fifo = dir.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Process head = new ProcessBuilder("head", "-c", "10", fifo.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        pass(OutputFd.create(fifo.toString()));                  // opens once head has it open for reading
        assertTrue(head.waitFor(10, TimeUnit.SECONDS));
        ControlClient.Reply r = summary();                       // no frame comes: the capture notices by itself
        assertFalse(r.ok());
        assertEquals("capture: the output was closed by its reader\n0 captured, 0 dropped by the capture ring", r.text());
    }

    @Test
    void stopEndsItAndAClientThatPassesNothingEndsItToo() throws Exception {
        CaptureRing ring = new CaptureRing(1 << 20, 262144);
        start(ring, 0);
        pass(OutputFd.create(dir.resolve("s.pcap").toString()));
        offer(ring, 0, 60);
        Thread.sleep(50);
        stream.stop("ended: port removed");
        ControlClient.Reply r = summary();
        assertEquals("1 captured, 0 dropped by the capture ring", r.text());

        CaptureStreamTest other = new CaptureStreamTest();
        other.start(new CaptureRing(1 << 20, 64), 0);
        other.client.close();                                   // killed before it passed its output
        assertTrue(other.ended.await(5, TimeUnit.SECONDS));
        assertEquals(1, other.detached.get());
    }

    /**
     * The writer thread, once warm, takes frames, builds pcap and writes it without allocating. Warm: its write(2)
     * and poll(2) downcalls compiled ({@link PcapWriterTest#warmUp}), as after a daemon's first minutes.
     */
    @Test
    void theWriterThreadAllocatesNothingInSteadyState() throws Exception {
        try (OutputFd o = new OutputFd(OutputFd.create("/dev/null"))) {
            PcapWriterTest.warmUp(new PcapWriter((b, len) -> o.write(b, 0, len), 128, true));
        }
        UnixSocket[] p = UnixSocket.pair();
        try (PeerWatch w = new PeerWatch(Fd.dup(p[1].fd()))) {
            for (int i = 0; i < 30_000; i++) assertFalse(w.left(0));
        } finally {
            p[0].close();
            p[1].close();
        }
        CaptureRing ring = new CaptureRing(1 << 20, 128);
        start(ring, 0);
        pass(OutputFd.create("/dev/null"));
        var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long writer = stream.thread().threadId();
        long[] offered = new long[1];
        Runnable produce = () -> {
            long end = System.nanoTime() + 1_500_000_000L;
            int i = 0;
            while (System.nanoTime() < end) {
                for (int k = 0; k < 64; k++) if (ring.offer(0, frame, 0, 60 + (i++ & 511), System.nanoTime())) offered[0]++;
                Thread.onSpinWait();
            }
        };
        produce.run();                                          // warm-up: the writer's loop compiled
        produce.run();
        long before = offered[0];
        long a0 = mx.getThreadAllocatedBytes(writer);
        produce.run();
        long allocated = mx.getThreadAllocatedBytes(writer) - a0;
        long window = offered[0] - before;
        client.shutdownOutput();
        ControlClient.Reply r = summary();
        Matcher m = Pattern.compile("(\\d+) captured, (\\d+) dropped by the capture ring").matcher(r.text());
        assertTrue(m.matches(), r.text());
        assertEquals(offered[0], Long.parseLong(m.group(1)), "every frame the ring took was written");
        // nothing per frame (an object per frame would be 16 bytes or more each); a few KB in a window remain (JIT)
        assertTrue(allocated < window, allocated + " bytes allocated by the writer thread for " + window + " frames");
        assertTrue(window > 20_000, window + " frames in the measured window (a busy machine has fewer)");
    }
}
