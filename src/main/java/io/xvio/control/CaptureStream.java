package io.xvio.control;

import io.xvio.port.CaptureRing;
import io.xvio.sys.Errno;
import io.xvio.sys.FdPassing;
import io.xvio.sys.OutputFd;
import io.xvio.sys.PeerWatch;
import io.xvio.sys.SysException;

import java.lang.foreign.MemorySegment;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * One capture written by the daemon itself into its client's output (`xvio capture -w FILE|-`): the client
 * passes the descriptor of its file or stdout over its control connection ({@link FdPassing}), and a thread of the
 * capture's own (never a PMD thread) takes frames from the {@link CaptureRing} the PMD threads fill and writes them
 * as pcap ({@link PcapWriter}: one preallocated buffer, one write(2) when it is full or the ring is drained). Nothing
 * is allocated per frame or per round, so a capture running for hours causes no GC.
 *
 * <p>The connection stays open while the capture runs and carries one more reply at its end: "N captured, M dropped
 * by the capture ring" (an ERROR whose first line says why when the output failed, e.g. its reader closed a pipe:
 * EPIPE). It ends after --count frames, when the client closes or shuts down its side (Ctrl-C, SIGTERM, killed),
 * when the output fails, or by {@link #stop} (capture-stop, port removed, daemon stopping). Between drains the
 * thread waits for the client with poll(2): 10 ms when the ring was empty, 1 ms when frames came, not at all when
 * a round ended with frames left.
 */
final class CaptureStream implements CaptureRing.Sink {
    private static final Logger LOG = Logger.getLogger("xvio.capture");
    /** How long the client has to pass its output after capture-start's answer. */
    static final int FD_WAIT_MS = 10_000;
    /** Most frames taken between two looks at the client. */
    static final int ROUND = 4096;
    static final int IDLE_MS = 10;

    private final String name;
    private final CaptureRing ring;
    private final long count;
    private final boolean nano;
    private final long wallBase, monoBase;
    private final PeerWatch client;
    private final Runnable detach;
    private final Thread thread;
    private PcapWriter pcap;
    private long captured;
    private volatile String stop;

    /**
     * name: "capture ID on port P" for the log; clientFd: the client's connection (owned from now on); detach:
     * takes the ring off the port (called once the capture ends, or when count is reached); ended: called last.
     */
    CaptureStream(String name, CaptureRing ring, long count, boolean nano, long wallBase, long monoBase, int clientFd,
                  Runnable detach, Consumer<CaptureStream> ended) {
        this.name = name;
        this.ring = ring;
        this.count = count;
        this.nano = nano;
        this.wallBase = wallBase;
        this.monoBase = monoBase;
        this.client = new PeerWatch(clientFd);
        this.detach = detach;
        this.thread = Thread.ofPlatform().daemon().name(name.replace(" on port ", "-").replace(' ', '-')).unstarted(() -> {
            try {
                run();
            } finally {
                ended.accept(this);
            }
        });
    }

    void start() { thread.start(); }

    /** Ends the capture (its frames taken so far are written); why goes to the log, e.g. "ended: port removed". */
    void stop(String why) { stop = why; }

    /** Waits up to ms for the thread to finish. */
    void join(long ms) throws InterruptedException { thread.join(ms); }

    Thread thread() { return thread; }

    long captured() { return captured; }

    String summary() { return captured + " captured, " + ring.dropped() + " dropped by the capture ring"; }

    private void run() {
        OutputFd out;
        try {
            out = new OutputFd(FdPassing.receive(client.fd(), FD_WAIT_MS));
        } catch (RuntimeException e) {
            detach.run();
            LOG.info(name + " ended: its client passed no output (" + e.getMessage() + ")");
            client.send(ControlProtocol.encodeReply(false, "capture: the daemon got no output descriptor (" + e.getMessage() + ")\n" + summary()), 500);
            client.close();
            return;
        }
        String why, error = null;
        try {
            pcap = new PcapWriter((b, len) -> out.write(b, 0, len), ring.snaplen(), nano);
            client.watchOutput(out.fd());
            why = stream();
            detach.run();
            while (!done() && ring.poll(this)) { }          // what was taken before the end is written
            pcap.flush();
        } catch (SysException e) {
            detach.run();
            why = e.errno() == Errno.EPIPE ? "ended: its output was closed by its reader (EPIPE)" : "ended: writing its output failed: " + e.getMessage();
            error = e.errno() == Errno.EPIPE ? "capture: the output was closed by its reader" : "capture: writing the output failed: " + e.getMessage();
        } catch (RuntimeException e) {
            detach.run();
            why = "ended: " + e;
            error = "capture failed: " + e;
        }
        out.close();
        String summary = summary();
        LOG.info(name + " " + why + ": " + summary + " (" + out.written() + " pcap bytes)");
        if (!client.send(ControlProtocol.encodeReply(error == null, error == null ? summary : error + "\n" + summary), 2000))
            LOG.info(name + ": its client did not take the summary (gone)");
        client.close();
    }

    /** The steady state: drain, write, wait for the client; returns why it ended. */
    private String stream() {
        pcap.flush();                                   // the file header at once: a pipe's reader sees a pcap
        while (true) {
            int n = 0;
            while (n < ROUND && !done() && ring.poll(this)) n++;
            if (done()) return "ended after its " + count + " frames";
            if (n < ROUND) pcap.flush();                // the ring is drained
            String s = stop;
            if (s != null) return s;
            if (client.left(n == 0 ? IDLE_MS : n < ROUND ? 1 : 0)) {
                if (client.outputBroken()) throw new SysException("poll(output fd)", Errno.EPIPE);   // its reader exited, idle or not
                return "stopped by its client";
            }
        }
    }

    private boolean done() { return count > 0 && captured >= count; }

    /** A frame from the ring (valid during the call): into the buffer, with its time moved to the wall clock. */
    @Override
    public void frame(MemorySegment data, long off, int capLen, int origLen, long nanos) {
        pcap.frame(data, off, capLen, origLen, wallBase + (nanos - monoBase));
        captured++;
    }
}
