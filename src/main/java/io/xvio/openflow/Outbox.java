package io.xvio.openflow;

import java.io.IOException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * One connection's queue of outgoing asynchronous messages (packet-ins, flow_removed, port status, inactivity probes
 * ...), written by the connection's own writer thread, so that whoever queues (the bridge's OpenFlow thread) never
 * waits on a slow or stuck peer. As OVS's rconn with its packet-in counter: at most {@link #MAX_PACKET_INS}
 * packet-ins wait per connection; one more is dropped and counted. Other asynchronous messages are not limited (OVS
 * does not limit them either; they are rare). A connection whose socket is full keeps its backlog: the writer blocks
 * in its own write (a thread of its own, blocked until the socket is writable) and nobody else does.
 *
 * <p>The queue is a growable ring of messages with a flag per slot (packet-in or not): nothing is allocated per
 * message once it has grown to its working size.
 */
final class Outbox implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    /** OVS's limit of queued packet-ins per controller connection (connmgr's OFCONN_REPLY_MAX / rconn limit). */
    static final int MAX_PACKET_INS = 100;

    /** Writes one message whole (blocking); the connection's send. */
    interface Sender {
        void send(byte[] m) throws IOException;
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private byte[][] msgs = new byte[16][];
    private boolean[] packetIn = new boolean[16];
    private int head, size;
    private volatile int packetIns;           // written under the lock; read without it by hasRoom
    private boolean closed;
    private final int maxPacketIns;
    private volatile long sent, droppedFull;
    private final Sender sender;
    private final Runnable onFailure;
    private final String peer;
    private Thread writer;

    /** sender: writes a message; onFailure: the connection failed while writing (it is closed by the caller). */
    Outbox(String peer, Sender sender, Runnable onFailure) {
        this(peer, sender, onFailure, MAX_PACKET_INS);
    }

    Outbox(String peer, Sender sender, Runnable onFailure, int maxPacketIns) {
        this.peer = peer;
        this.sender = sender;
        this.onFailure = onFailure;
        this.maxPacketIns = maxPacketIns;
    }

    /** Starts the writer thread (once). */
    void start() {
        lock.lock();
        try {
            if (writer == null && !closed) writer = Thread.ofPlatform().daemon().name("openflow-writer").start(this::write);
        } finally {
            lock.unlock();
        }
    }

    /** Queues a packet-in; false if {@link #MAX_PACKET_INS} already wait (dropped, counted) or the outbox is closed. */
    boolean offerPacketIn(byte[] m) { return offer(m, true); }

    /**
     * Whether a packet-in would be dropped now ({@link #MAX_PACKET_INS} wait): then it is counted as dropped, and the
     * caller need not even encode it (a slow controller must not cost the bridge's OpenFlow thread a packet-in
     * encoding per frame it cannot take).
     */
    boolean dropIfFull() {
        lock.lock();
        try {
            if (closed || packetIns < maxPacketIns) return false;
            droppedFull++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether a packet-in would be queued now (fewer than {@link #MAX_PACKET_INS} wait; a racy read). */
    boolean hasRoom() { return packetIns < maxPacketIns; }

    /** Queues another asynchronous message; false if the outbox is closed. */
    boolean offer(byte[] m) { return offer(m, false); }

    private boolean offer(byte[] m, boolean pin) {
        lock.lock();
        try {
            if (closed) return false;
            if (pin && packetIns >= maxPacketIns) {
                droppedFull++;
                return false;
            }
            if (size == msgs.length) grow();
            int t = (head + size) % msgs.length;
            msgs[t] = m;
            packetIn[t] = pin;
            size++;
            if (pin) packetIns++;
            ready.signal();
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void grow() {
        byte[][] nm = new byte[msgs.length * 2][];
        boolean[] np = new boolean[msgs.length * 2];
        for (int k = 0; k < size; k++) {
            nm[k] = msgs[(head + k) % msgs.length];
            np[k] = packetIn[(head + k) % msgs.length];
        }
        msgs = nm;
        packetIn = np;
        head = 0;
    }

    /** What one write takes at most when several messages wait (they go as one buffer: one system call). */
    static final int GATHER_BYTES = 64 * 1024;

    private void write() {
        while (true) {
            byte[] m;
            int pins = 0;
            lock.lock();
            try {
                while (size == 0 && !closed) ready.awaitUninterruptibly();
                if (closed) return;
                int n = 0, bytes = 0;
                while (n < size && (n == 0 || bytes + msgs[(head + n) % msgs.length].length <= GATHER_BYTES))
                    bytes += msgs[(head + n++) % msgs.length].length;
                m = n == 1 ? msgs[head] : new byte[bytes];
                for (int k = 0, at = 0; k < n; k++) {
                    byte[] one = msgs[head];
                    if (n > 1) System.arraycopy(one, 0, m, at, one.length);
                    at += one.length;
                    if (packetIn[head]) pins++;
                    msgs[head] = null;
                    head = (head + 1) % msgs.length;
                }
                size -= n;
            } finally {
                lock.unlock();
            }
            try {
                sender.send(m);
            } catch (IOException | RuntimeException e) {
                LOG.fine(peer + ": " + e.getMessage());
                close();
                onFailure.run();
                return;
            } finally {
                if (pins > 0) {
                    lock.lock();
                    try { packetIns -= pins; } finally { lock.unlock(); }
                }
            }
            sent += pins;                             // only this thread writes it
        }
    }

    /** Packet-ins written to the socket. */
    long sent() { return sent; }

    /** Packet-ins dropped because {@link #MAX_PACKET_INS} were waiting. */
    long droppedQueueFull() { return droppedFull; }

    /** Messages waiting now (packet-ins among them: {@link #queuedPacketIns}). */
    int queued() {
        lock.lock();
        try { return size; } finally { lock.unlock(); }
    }

    int queuedPacketIns() {
        lock.lock();
        try { return packetIns; } finally { lock.unlock(); }
    }

    /** Drops what waits and ends the writer (the connection closed). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            java.util.Arrays.fill(msgs, null);
            size = 0;
            ready.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
