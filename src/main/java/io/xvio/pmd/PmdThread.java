package io.xvio.pmd;

import io.xvio.datapath.Outputs;
import io.xvio.packet.PacketBatch;
import io.xvio.port.HeldTx;
import io.xvio.port.Port;
import io.xvio.port.SoftwareOffload;
import io.xvio.sys.Affinity;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A poll-mode thread: polls its receive queues in turn, runs each burst through the bridge datapath and
 * transmits the result, then passes a quiescent point (its epoch). Allocates nothing per packet.
 */
public final class PmdThread {
    private static final Logger LOG = Logger.getLogger("xvio.pmd");
    private static final VarHandle EPOCH;
    static {
        try {
            EPOCH = MethodHandles.lookup().findVarHandle(PmdThread.class, "epoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    public static final int MAX_BRIDGE_PORTS = 256;
    /** Packet indices 0..BURST-1: a relay direction sends the whole burst. */
    private static final int[] ALL = java.util.stream.IntStream.range(0, PacketBatch.BURST).toArray();

    private final int id;
    private final int cpu;
    private final IdleStrategy idle;
    private final Thread thread;
    private volatile RxQueue[] queues = new RxQueue[0];
    /** Work from the control plane ({@link #submit}), taken at the top of a loop; polling an empty one allocates nothing. */
    private final java.util.concurrent.ConcurrentLinkedQueue<PmdTask> tasks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean running = true;
    @SuppressWarnings("unused") private volatile long epoch;

    // statistics: single writer, read racily; "clear" moves the baseline instead of writing them
    private long packets, bursts, busyLoops, idleLoops, busyNanos;
    private final long startNanos = System.nanoTime();
    private volatile long[] baseline = new long[6];

    public PmdThread(int id, int cpu, IdleStrategy idle) {
        this.id = id;
        this.cpu = cpu;
        this.idle = idle;
        // a deep stack (reserved, not committed): a translation nests one lookup per resubmit, and resubmits to later
        // tables do not count toward the depth limit (as OVS), so up to 64 x 255 lookups may nest
        this.thread = Thread.ofPlatform().name("pmd" + id + (cpu >= 0 ? "-cpu" + cpu : "")).daemon().stackSize(64L << 20).unstarted(this::run);
    }

    public int id() { return id; }
    public int cpu() { return cpu; }
    public RxQueue[] queues() { return queues; }
    public long packets() { return packets; }
    public long bursts() { return bursts; }
    public long busyLoops() { return busyLoops; }
    public long idleLoops() { return idleLoops; }
    public long busyNanos() { return busyNanos; }
    long epoch() { return (long) EPOCH.getAcquire(this); }

    /** Counters since the last {@link #clearStats}: packets, bursts, busy loops, idle loops, busy ns, wall ns. */
    public long[] stats() {
        long[] b = baseline;
        long[] now = {packets, bursts, busyLoops, idleLoops, busyNanos, System.nanoTime() - startNanos};
        for (int i = 0; i < now.length; i++) now[i] -= b[i];
        return now;
    }

    /** Restarts the counters shown by {@link #stats} (pmd-stats-clear). */
    public void clearStats() {
        baseline = new long[] {packets, bursts, busyLoops, idleLoops, busyNanos, System.nanoTime() - startNanos};
    }
    boolean alive() { return thread.isAlive(); }

    public void assign(RxQueue[] qs) { queues = qs.clone(); }

    /** Queues t for this thread's next loop (see {@link PmdTask}). */
    public void submit(PmdTask t) { tasks.add(t); }

    /** Whether the thread is running loops (a task submitted now will run). */
    public boolean running() { return thread.isAlive() && running; }

    /** A task's frames as one burst for the mirrors (each mirrored once); negative: never a real burst's serial. */
    private long taskSerial;

    private void runTask(PmdTask t, PacketBatch batch, Outputs outputs, PmdTask.Sender sender) {
        taskSerial--;
        try {
            t.run(id, batch, outputs, sender);
        } catch (RuntimeException | InternalError e) {
            LOG.warning("pmd" + id + ": a control-plane task failed: " + e);
        } finally {
            outputs.clear();
            batch.reset();
        }
    }

    public void start() { thread.start(); }

    private void run() {
        if (cpu >= 0) {
            try {
                Affinity.pinCurrentThread(cpu);
            } catch (RuntimeException e) {
                LOG.warning("pmd" + id + ": cannot pin to cpu " + cpu + ": " + e.getMessage() + "; running unpinned");
            }
        }
        LOG.info("pmd" + id + " started" + (cpu >= 0 ? " on cpu " + cpu : ""));
        PacketBatch batch = new PacketBatch(true);
        Outputs outputs = new Outputs(MAX_BRIDGE_PORTS);
        SoftwareOffload offload = new SoftwareOffload();   // segments and checksums for ports without offloads
        io.xvio.port.Policing policing = new io.xvio.port.Policing();   // ingress policing, egress policer
        Tapping tapping = new Tapping(id);   // captures and mirrors: only for ports with a tap on
        PmdTask.Sender sender = (port, b, which, n) -> {
            io.xvio.port.PortTaps.Tap tap = port.counters().taps.tx;
            if (tap == null || tapping.tx(tap, port, b, which, n, taskSerial, 0, offload)) policing.transmit(offload, port, id, b, which, n, System.nanoTime());
        };
        BurstSender burstSender = new BurstSender(id, tapping, policing, offload);
        outputs.setSender(burstSender);
        long epochLocal = 0;
        boolean recheck = true;
        while (running) {
            EPOCH.setRelease(this, ++epochLocal);
            PmdTask task = tasks.poll();
            if (task != null) runTask(task, batch, outputs, sender);
            RxQueue[] qs = queues;
            if (qs != liveOf || recheck) findLive(qs);
            int work = 0;
            // a loop that moved packets counts as busy from its start (receiving included), as OVS counts its iterations
            long t0 = System.nanoTime(), tPrev = t0;
            RxQueue[] lq = live;
            for (int i = 0, nl = liveCount; i < nl; i++) {
                RxQueue rq = lq[i];
                int n = -1;
                Port dst = rq.relayTo();
                boolean relayed;
                try {
                    // a relay direction whose destination takes the frames into its own buffers: sent there already
                    if (dst != null) n = dst.relayFrom(rq.port(), rq.queue(), id);
                    relayed = n >= 0;
                    if (!relayed) n = rq.port().receive(rq.queue(), batch, id);
                } catch (RuntimeException | InternalError e) {   // a PMD thread must survive anything a port does
                    logOnce(rq, e);
                    batch.reset();       // what the port half did (offload state, moved frames) is not the next one's
                    continue;
                }
                if (n == 0) continue;
                work += n;
                bursts++;
                packets += n;
                if (!relayed) try {
                    // captures and mirrors see frames as they came in (before policing, as tcpdump); null when none
                    io.xvio.port.PortTaps.Tap tap = rq.port().counters().taps.rx;
                    if (tap != null && tapping.rx(tap, rq.port(), batch, n, bursts, offload) == 0) continue;   // a mirror output
                    n = policing.ingress(rq.port(), batch, n, id, t0);   // before the bridge's pipeline, as OVS
                    if (dst != null) {
                        tap = dst.counters().taps.tx;
                        // a relay direction: no classifier, every frame goes across
                        if (tap == null || tapping.tx(tap, dst, batch, ALL, n, bursts, 0, offload)) offload.transmit(dst, id, batch, ALL, n);
                    } else {
                        burstSender.start(rq.bridgePorts(), bursts, t0);
                        rq.datapath().process(rq.portIndex(), batch, outputs, id, t0);
                        burstSender.send(batch, outputs, outputs.chunk());     // the burst's last (often only) chunk
                    }
                } catch (RuntimeException | InternalError e) {
                    logOnce(rq, e);
                } finally {
                    outputs.endBurst();
                    batch.reset();    // actions may have moved frames (VLAN push/pop) or made copies
                }
                // one clock read per busy queue: the queue is charged from the previous read (the empty polls
                // before it included, a few ns each), which is what the load balancer weighs
                long t1 = System.nanoTime();
                QueueLoad ql = rq.load();
                if (ql != null) ql.add(t1 - tPrev, n);
                tPrev = t1;
            }
            if (work > 0) {
                busyLoops++;
                busyNanos += tPrev - t0;
                recheck = (busyLoops & 1023) == 0;
            } else {
                recheck = true;
                idleLoops++;
                // frames an uplink left queued for a busy kernel go now, not with the next packet to that port
                for (RxQueue rq : qs) {
                    for (Port p : rq.bridgePorts()) {
                        try {
                            p.flushIdle(id);
                        } catch (RuntimeException | InternalError e) {
                            logOnce(rq, e);
                        }
                    }
                }
            }
            // frames a port kept back to send several bursts with one system call: those that waited long enough
            // go now, and all of them when the thread had nothing to do (it may not poll the port's own queues)
            if (HeldTx.any(id)) HeldTx.flushDue(id, work > 0 ? tPrev : tPrev + HeldTx.maxHoldNanos());
            idle.idle(work);
        }
        LOG.info("pmd" + id + " stopped");
    }

    // the assigned queues that can have frames (Port.rxQueueLive): a port offers up to 16 queue pairs, a guest
    // usually starts one or a few, and polling the rest cost a few ns per packet
    private RxQueue[] liveOf, live = new RxQueue[0];
    private int liveCount;

    private void findLive(RxQueue[] qs) {
        if (live.length < qs.length) live = new RxQueue[qs.length];   // only when the assignment grows
        int n = 0;
        for (RxQueue rq : qs) {
            boolean l;
            try {
                l = rq.port().rxQueueLive(rq.queue());
            } catch (RuntimeException e) {
                l = true;      // receive() will tell what is wrong
            }
            if (l) live[n++] = rq;
        }
        for (int i = n; i < liveCount; i++) live[i] = null;
        liveCount = n;
        liveOf = qs;
    }

    private RxQueue lastFailed;

    private void logOnce(RxQueue rq, Throwable e) {
        if (rq == lastFailed) return;
        lastFailed = rq;
        LOG.log(Level.SEVERE, "pmd" + id + ": error on " + rq + " (further errors on it are not logged)", e);
    }

    public void stop() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
