package io.xvio.testing;

import io.xvio.sys.Errno;
import io.xvio.sys.EventFd;
import io.xvio.sys.Fd;
import io.xvio.sys.Mmap;
import io.xvio.sys.SysException;
import io.xvio.sys.UnixServerSocket;
import io.xvio.sys.UnixSocket;
import io.xvio.vhost.Message;
import io.xvio.vhost.ProtocolFeatures;
import io.xvio.vhost.Request;
import io.xvio.virtio.GuestMemory;
import io.xvio.virtio.MemoryRegion;
import io.xvio.virtio.VirtioFeatures;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static java.lang.foreign.ValueLayout.*;

/**
 * A minimal but real vhost-user front-end (the driver side, what QEMU plus a guest's virtio-net driver are to
 * xvio), built on xvio's own {@code io.xvio.sys} classes so tests can drive xvio over a real Unix socket.
 *
 * <p>It negotiates features (with REPLY_ACK, so every set-up message is acknowledged and a test knows xvio
 * applied it), shares a memfd-backed "guest memory" (one region, gpa 0, uva = where this process mapped it),
 * sets up split rings for N queue pairs and then behaves as a virtio-net driver: posts receive buffers,
 * transmits frames behind a 12-byte virtio-net header and collects received frames from the used rings.
 *
 * <p>For hostile tests everything is also available raw: arbitrary bytes, headers and fds (any number, past
 * {@link UnixSocket#MAX_FDS}), and direct access to guest memory and the rings ({@link #ram()}, {@link #rx},
 * {@link #tx}) so a test can corrupt descriptors and indices under xvio's feet.
 *
 * <p>The pieces that need no socket ({@link GuestRam}, {@link Vring}) are usable on their own, e.g. to drive a
 * {@code SplitVirtqueue} directly in unit tests.
 */
public final class TestFrontend implements AutoCloseable {
    public static final int NET_HDR = 12;
    public static final int DESC_F_NEXT = 1, DESC_F_WRITE = 2, DESC_F_INDIRECT = 4;
    public static final int AVAIL_F_NO_INTERRUPT = 1, USED_F_NO_NOTIFY = 1;
    private static final int REPLY_TIMEOUT_MS = 5000;
    private static final AtomicInteger IDS = new AtomicInteger();

    /** How the front-end sets itself up. Immutable; use the withers. */
    public record Options(int pairs, int queueSize, boolean mergeable, boolean indirect, boolean eventIdx,
                          long memSize, int bufSize, boolean postRx) {
        public static Options defaults() {
            return new Options(1, 256, true, true, false, 16L << 20, 2048, true);
        }
        public Options pairs(int n) { return new Options(n, queueSize, mergeable, indirect, eventIdx, memSize, bufSize, postRx); }
        public Options queueSize(int n) { return new Options(pairs, n, mergeable, indirect, eventIdx, memSize, bufSize, postRx); }
        public Options mergeable(boolean b) { return new Options(pairs, queueSize, b, indirect, eventIdx, memSize, bufSize, postRx); }
        public Options indirect(boolean b) { return new Options(pairs, queueSize, mergeable, b, eventIdx, memSize, bufSize, postRx); }
        public Options eventIdx(boolean b) { return new Options(pairs, queueSize, mergeable, indirect, b, memSize, bufSize, postRx); }
        public Options memSize(long n) { return new Options(pairs, queueSize, mergeable, indirect, eventIdx, n, bufSize, postRx); }
        public Options bufSize(int n) { return new Options(pairs, queueSize, mergeable, indirect, eventIdx, memSize, n, postRx); }
        /** Whether {@link #start()} fills every receive ring with buffers. */
        public Options postRx(boolean b) { return new Options(pairs, queueSize, mergeable, indirect, eventIdx, memSize, bufSize, b); }
    }

    /** xvio closed the connection while this front-end waited for a reply. */
    public static final class BackendClosed extends RuntimeException {
        public BackendClosed(String m) { super(m); }
    }

    /** A received frame: its virtio-net header, the frame after it, and how many buffers it used. */
    public record RxPacket(byte[] header, byte[] frame, int buffers) {
        public int numBuffers() { return (header[10] & 0xff) | (header[11] & 0xff) << 8; }
    }

    private final UnixSocket sock;
    private final Options opt;
    private final GuestRam ram;
    private final Vring[] rings;
    private final EventFd[] kicks, calls;
    private long offered, features, protocolFeatures;
    private boolean replyAck;

    private TestFrontend(UnixSocket sock, Options opt) {
        this.sock = sock;
        this.opt = opt;
        this.ram = new GuestRam("tf-" + ProcessHandle.current().pid() + "-" + IDS.incrementAndGet(), opt.memSize());
        int n = 2 * opt.pairs();
        rings = new Vring[n];
        kicks = new EventFd[n];
        calls = new EventFd[n];
        try {
            for (int i = 0; i < n; i++) rings[i] = Vring.allocate(ram, i, opt.queueSize(), opt.bufSize());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Connects to xvio listening at path (server mode), retrying for up to 5 s while the socket is not there yet. */
    public static TestFrontend connect(String path, Options opt) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                return new TestFrontend(UnixSocket.connect(path), opt);
            } catch (SysException e) {
                boolean retry = e.errno() == Errno.ENOENT || e.errno() == Errno.ECONNREFUSED;
                if (!retry || System.nanoTime() > deadline) throw e;
                sleep(20);
            }
        }
    }

    public static TestFrontend connect(String path) { return connect(path, Options.defaults()); }

    /** Waits for xvio (a port in client mode) to connect to server; null on timeout. */
    public static TestFrontend accept(UnixServerSocket server, int timeoutMs, Options opt) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (System.nanoTime() < deadline) {
            UnixSocket s = server.accept((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000L));
            if (s != null) return new TestFrontend(s, opt);
        }
        return null;
    }

    public Options options() { return opt; }
    public UnixSocket socket() { return sock; }
    public GuestRam ram() { return ram; }
    public Vring ring(int q) { return rings[q]; }
    /** The guest's receive ring of a pair (virtqueue 2*pair): xvio writes into it. */
    public Vring rx(int pair) { return rings[2 * pair]; }
    /** The guest's transmit ring of a pair (virtqueue 2*pair+1): xvio reads from it. */
    public Vring tx(int pair) { return rings[2 * pair + 1]; }
    public EventFd callFd(int q) { return calls[q]; }
    public long offeredFeatures() { return offered; }
    public long features() { return features; }
    public long protocolFeatures() { return protocolFeatures; }

    // ------------------------------------------------------------------------------------------ raw mode

    /** Sends bytes as they are, with fds attached to the first byte (any number of fds, even past 8). */
    public void sendRaw(byte[] bytes, int... fds) {
        if (fds == null || fds.length <= UnixSocket.MAX_FDS) sock.send(bytes, 0, bytes.length, fds);
        else sendManyFds(sock.fd(), bytes, fds);
    }

    /** Sends one message: header (request, flags, payload.length) and payload, fds with the header. */
    public void sendMessage(int request, int flags, byte[] payload, int... fds) {
        sendRaw(Message.encode(request, flags, payload), fds);
    }

    /** Sends just a 12-byte header announcing size bytes of payload (which a test may then send, or not). */
    public void sendHeader(int request, int flags, int size, int... fds) {
        byte[] h = ByteBuffer.allocate(Message.HEADER).order(ByteOrder.LITTLE_ENDIAN).putInt(request).putInt(flags).putInt(size).array();
        sendRaw(h, fds);
    }

    /**
     * Waits until xvio closes the connection: true once a read sees end-of-file or a reset (anything xvio
     * still sends before closing is skipped), false if it is still open after timeoutMs.
     */
    public boolean awaitClosed(int timeoutMs) {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        byte[] one = new byte[1];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) return false;
            if (Fd.pollIn(sock.fd(), (int) left) == 0) return false;
            try {
                if (sock.recvFully(one, 1, null) < 0) return true;
            } catch (SysException e) {
                return true;     // ECONNRESET: xvio closed with our bytes still unread
            } catch (UnixSocket.TooManyFdsException e) {
                // xvio never sends fds; keep waiting
            }
        }
    }

    /** Whether the connection is still open: nothing to read yet and no hang-up. */
    public boolean isOpen() {
        return Fd.pollIn(sock.fd(), 0) == 0;
    }

    // ------------------------------------------------------------------------------------------ protocol

    private int flags(boolean needReply) {
        return Message.VERSION | (needReply && replyAck ? Message.FLAG_NEED_REPLY : 0);
    }

    /** Reads the next message from xvio (a reply). Throws {@link BackendClosed} if it closed instead. */
    public Message readReply() {
        if (Fd.pollIn(sock.fd(), REPLY_TIMEOUT_MS) == 0)
            throw new IllegalStateException("no reply from xvio in " + REPLY_TIMEOUT_MS + " ms");
        Message m;
        try {
            m = Message.read(sock);
        } catch (SysException e) {
            throw new BackendClosed("connection reset by xvio: " + e.getMessage());
        }
        if (m == null) throw new BackendClosed("xvio closed the connection");
        if ((m.flags & Message.FLAG_REPLY) == 0) throw new IllegalStateException("message from xvio without the reply flag: " + Request.name(m.request));
        return m;
    }

    /** A request whose reply carries data (GET_*): returns the reply payload. */
    public ByteBuffer call(int request, byte[] payload) {
        sendMessage(request, Message.VERSION, payload);
        Message m = readReply();
        if (m.request != request) throw new IllegalStateException("reply to " + Request.name(m.request) + " for " + Request.name(request));
        return m.payload;
    }

    /** A set-up request; with REPLY_ACK negotiated waits for xvio's ack and fails unless it is 0. */
    public void request(int request, byte[] payload, int... fds) {
        sendMessage(request, flags(true), payload, fds);
        if (!replyAck) return;
        Message m = readReply();
        if (m.request != request) throw new IllegalStateException("ack for " + Request.name(m.request) + " while waiting for " + Request.name(request));
        long status = m.payload.getLong(0);
        if (status != 0) throw new IllegalStateException("xvio answered " + Request.name(request) + " with status " + status);
    }

    public long getFeatures() {
        offered = call(Request.GET_FEATURES, new byte[0]).getLong(0);
        return offered;
    }

    public void setFeatures(long f) {
        request(Request.SET_FEATURES, Message.u64(f));
        features = f;
    }

    public long getProtocolFeatures() { return call(Request.GET_PROTOCOL_FEATURES, new byte[0]).getLong(0); }

    public void setProtocolFeatures(long f) {
        sendMessage(Request.SET_PROTOCOL_FEATURES, Message.VERSION, Message.u64(f));
        protocolFeatures = f;
        replyAck = (f & (1L << ProtocolFeatures.REPLY_ACK)) != 0;
    }

    public void setOwner() { request(Request.SET_OWNER, new byte[0]); }

    private long alsoWanted;

    /** Before {@link #start}: asks for these feature bits too, where xvio offers them (a driver that takes offloads). */
    public TestFrontend alsoWant(long bits) {
        alsoWanted |= bits;
        return this;
    }

    /** The features this front-end wants, given what xvio offers. */
    public long wantedFeatures() {
        long want = bit(VirtioFeatures.F_VERSION_1) | bit(ProtocolFeatures.F_PROTOCOL_FEATURES) | alsoWanted;
        if (opt.mergeable()) want |= bit(VirtioFeatures.NET_F_MRG_RXBUF);
        if (opt.indirect()) want |= bit(VirtioFeatures.RING_F_INDIRECT_DESC);
        if (opt.eventIdx()) want |= bit(VirtioFeatures.RING_F_EVENT_IDX);
        if (opt.pairs() > 1) want |= bit(VirtioFeatures.NET_F_MQ);
        return want & offered;
    }

    /** GET_FEATURES, GET/SET_PROTOCOL_FEATURES (REPLY_ACK, MQ), SET_OWNER, SET_FEATURES. */
    public TestFrontend negotiate() {
        getFeatures();
        if ((offered & bit(ProtocolFeatures.F_PROTOCOL_FEATURES)) == 0) throw new IllegalStateException("xvio does not offer PROTOCOL_FEATURES");
        long pf = getProtocolFeatures();
        setProtocolFeatures(pf & (bit(ProtocolFeatures.REPLY_ACK) | bit(ProtocolFeatures.MQ)));
        setOwner();
        setFeatures(wantedFeatures());
        for (Vring r : rings) r.configure(features);
        return this;
    }

    /** SET_MEM_TABLE payload for the given regions (gpa, size, uva, mmap offset). */
    public static byte[] memTablePayload(long[]... regions) {
        ByteBuffer b = ByteBuffer.allocate(8 + 32 * regions.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(regions.length).putInt(0);
        for (long[] r : regions) b.putLong(r[0]).putLong(r[1]).putLong(r[2]).putLong(r[3]);
        return b.array();
    }

    /** The whole guest memory as one region: gpa 0, uva where it is mapped here. */
    public void setMemTable() {
        request(Request.SET_MEM_TABLE, memTablePayload(new long[] {0, ram.size(), ram.base(), 0}), ram.fd());
    }

    public static byte[] vringAddrPayload(int index, int flags, long desc, long used, long avail, long log) {
        return ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(index).putInt(flags)
                .putLong(desc).putLong(used).putLong(avail).putLong(log).array();
    }

    public void setVringNum(int q, int num) { request(Request.SET_VRING_NUM, Message.state(q, num)); }
    public void setVringBase(int q, int base) { request(Request.SET_VRING_BASE, Message.state(q, base)); }
    public void setVringAddr(int q, long desc, long used, long avail) {
        request(Request.SET_VRING_ADDR, vringAddrPayload(q, 0, desc, used, avail, 0));
    }
    public void setVringKick(int q, EventFd fd) {
        if (fd == null) request(Request.SET_VRING_KICK, Message.u64(q | 0x100));
        else request(Request.SET_VRING_KICK, Message.u64(q), fd.fd());
    }
    public void setVringCall(int q, EventFd fd) {
        if (fd == null) request(Request.SET_VRING_CALL, Message.u64(q | 0x100));
        else request(Request.SET_VRING_CALL, Message.u64(q), fd.fd());
    }
    public void setVringEnable(int q, boolean on) { request(Request.SET_VRING_ENABLE, Message.state(q, on ? 1 : 0)); }

    /** GET_VRING_BASE: stops the ring in xvio and returns where it stopped. */
    public int getVringBase(int q) {
        ByteBuffer p = call(Request.GET_VRING_BASE, Message.state(q, 0));
        return p.getInt(4);
    }

    /** SET_VRING_NUM/BASE/ADDR/KICK/CALL for one virtqueue, as laid out in guest memory. */
    public void setupQueue(int q) {
        Vring r = rings[q];
        setVringNum(q, r.size());
        setVringBase(q, r.availShadow());
        setVringAddr(q, r.descUva(), r.usedUva(), r.availUva());
        if (kicks[q] == null) kicks[q] = EventFd.create();
        if (calls[q] == null) calls[q] = EventFd.create();
        r.setKick(kicks[q]);
        setVringKick(q, kicks[q]);
        setVringCall(q, calls[q]);
    }

    /** Everything, up to running queues with receive buffers posted (unless options say not to). */
    public TestFrontend start() {
        negotiate();
        setMemTable();
        for (int q = 0; q < rings.length; q++) setupQueue(q);
        if (opt.postRx()) for (int p = 0; p < opt.pairs(); p++) rx(p).postRx(rx(p).size());
        for (int q = 0; q < rings.length; q++) setVringEnable(q, true);
        return this;
    }

    /**
     * What a driver does to recover a broken ring: disable it, take its base back from xvio, wipe the ring
     * memory and set it up again from that base.
     */
    public int resetQueue(int q) {
        setVringEnable(q, false);
        int base = getVringBase(q);
        Vring r = rings[q];
        r.reset(base);
        setupQueue(q);
        if (q % 2 == 0 && opt.postRx()) r.postRx(r.size());
        setVringEnable(q, true);
        return base;
    }

    // ------------------------------------------------------------------------------------------ driver

    /** Transmits one frame on a pair's transmit ring (a zero virtio-net header is put before it). */
    public boolean send(int pair, byte[] frame) {
        return tx(pair).send(withHeader(frame));
    }

    public static byte[] withHeader(byte[] frame) {
        byte[] b = new byte[NET_HDR + frame.length];
        System.arraycopy(frame, 0, b, NET_HDR, frame.length);
        return b;
    }

    /** Frames xvio delivered so far on every receive ring (buffers are re-posted). */
    public List<byte[]> receive() {
        List<byte[]> out = new ArrayList<>();
        for (int p = 0; p < opt.pairs(); p++) for (RxPacket pk : rx(p).receive()) out.add(pk.frame());
        return out;
    }

    /** Collects frames until n arrived or the timeout passed; returns what arrived. */
    public List<byte[]> awaitFrames(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<byte[]> got = new ArrayList<>();
        while (got.size() < n && System.nanoTime() < deadline) {
            List<byte[]> r = receive();
            if (r.isEmpty()) sleep(1); else got.addAll(r);
        }
        return got;
    }

    @Override
    public void close() {
        sock.close();
        for (EventFd e : kicks) if (e != null) e.close();
        for (EventFd e : calls) if (e != null) e.close();
        ram.close();
    }

    static long bit(int b) { return 1L << b; }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------------------------------ raw sendmsg

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    @SuppressWarnings("restricted")
    private static final MethodHandle SENDMSG = LINKER.downcallHandle(LINKER.defaultLookup().find("sendmsg").orElseThrow(),
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.captureCallState("errno"));

    @SuppressWarnings("restricted")
    private static final MethodHandle FTRUNCATE = LINKER.downcallHandle(LINKER.defaultLookup().find("ftruncate").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG), Linker.Option.captureCallState("errno"));

    /** One sendmsg with any number of SCM_RIGHTS fds: what {@link UnixSocket#send} refuses to do past 8. */
    public static void sendManyFds(int sockFd, byte[] data, int[] fds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment cap = a.allocate(CAPTURE);
            MemorySegment buf = a.allocate(Math.max(1, data.length));
            MemorySegment.copy(data, 0, buf, JAVA_BYTE, 0, data.length);
            MemorySegment iov = a.allocate(16, 8);
            iov.set(ADDRESS, 0, buf);
            iov.set(JAVA_LONG, 8, data.length);
            long space = 16 + ((4L * fds.length + 7) & ~7L);
            MemorySegment ctl = a.allocate(space, 8);
            ctl.set(JAVA_LONG, 0, 16 + 4L * fds.length);
            ctl.set(JAVA_INT, 8, 1);    // SOL_SOCKET
            ctl.set(JAVA_INT, 12, 1);   // SCM_RIGHTS
            for (int i = 0; i < fds.length; i++) ctl.set(JAVA_INT, 16 + 4L * i, fds[i]);
            MemorySegment msg = a.allocate(56, 8);
            msg.set(ADDRESS, 16, iov);
            msg.set(JAVA_LONG, 24, 1L);
            msg.set(ADDRESS, 32, ctl);
            msg.set(JAVA_LONG, 40, space);
            long n = (long) SENDMSG.invokeExact(cap, sockFd, msg, 0x4000 /* MSG_NOSIGNAL */);
            if (n < 0) throw new SysException("sendmsg(fd " + sockFd + ", " + fds.length + " fds)", (int) ERRNO.get(cap, 0L));
            if (n != data.length) throw new IllegalStateException("short sendmsg: " + n + " of " + data.length);
        } catch (SysException | IllegalStateException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // ================================================================================================ guest RAM

    /**
     * "Guest memory": a memfd of the given size mapped shared here. Guest-physical address = offset in it;
     * the front-end's virtual address of gpa is {@link #base()} + gpa. A bump allocator hands out ring and
     * buffer areas.
     */
    public static final class GuestRam implements AutoCloseable {
        private final String name;
        private final int fd;
        private final long size;
        private final MemorySegment seg;
        private long next;
        private boolean closed;

        public GuestRam(String name, long size) {
            this.name = name;
            this.size = size;
            this.fd = Fd.memfd(name, size);
            try {
                this.seg = Mmap.mapShared(fd, size, 0);
            } catch (RuntimeException e) {
                Fd.closeQuietly(fd);
                throw e;
            }
        }

        /** The memfd's name as /proc shows it: "/memfd:NAME (deleted)". */
        public String name() { return name; }
        public int fd() { return fd; }
        public long size() { return size; }
        public MemorySegment segment() { return seg; }
        /** The front-end virtual address of gpa 0. */
        public long base() { return seg.address(); }
        public long uva(long gpa) { return seg.address() + gpa; }

        /** Reserves len bytes aligned to align; returns their gpa. */
        public long alloc(long len, long align) {
            long at = (next + align - 1) & -align;
            if (at + len > size) throw new IllegalStateException("guest memory of " + size + " bytes is full (wanted " + len + " more)");
            next = at + len;
            return at;
        }

        public void write(long gpa, byte[] data) { MemorySegment.copy(data, 0, seg, JAVA_BYTE, gpa, data.length); }

        public byte[] read(long gpa, int len) {
            byte[] b = new byte[len];
            MemorySegment.copy(seg, JAVA_BYTE, gpa, b, 0, len);
            return b;
        }

        /**
         * Shrinks (or grows) the memfd behind this memory, under the feet of whoever mapped it: pages past the new
         * size fault (SIGBUS) on access, here too, so the test must not touch them afterwards.
         */
        public void truncate(long newSize) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment cap = a.allocate(CAPTURE);
                int rc = (int) FTRUNCATE.invokeExact(cap, fd, newSize);
                if (rc < 0) throw new SysException("ftruncate(memfd " + name + ", " + newSize + ")", (int) ERRNO.get(cap, 0L));
            } catch (SysException e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        /** This memory as xvio's device side would see it after SET_MEM_TABLE (one region, no copy). */
        public GuestMemory asGuestMemory() {
            return new GuestMemory(List.of(new MemoryRegion(0, size, base(), 0, seg, seg)));
        }

        @Override
        public void close() {
            if (closed) return;
            closed = true;
            Mmap.unmap(seg);
            Fd.closeQuietly(fd);
        }
    }

    // ================================================================================================ ring

    /**
     * The driver side of one split virtqueue in guest memory: raw accessors for every field (to corrupt them),
     * plus a small virtio-net driver (free list, posting receive buffers, transmitting, reaping used entries).
     * Descriptor i owns the data buffer at {@link #bufGpa}(i) and an indirect table at {@link #indirectGpa}(i).
     */
    public static final class Vring {
        public static final int MAX_INDIRECT = 16;
        private static final VarHandle U16 = JAVA_SHORT.varHandle();

        private final GuestRam ram;
        private final MemorySegment m;
        private final int index, size;
        private final long desc, avail, used, bufs, indirects;
        private final int bufSize;
        // driver state
        private int availShadow, lastUsed;
        private final ArrayDeque<Integer> free = new ArrayDeque<>();
        private final int[][] chains;
        private boolean mergeable, eventIdx;
        private int hdrLen = NET_HDR;
        private EventFd kick;
        private long kicks;

        private Vring(GuestRam ram, int index, int size, long desc, long avail, long used, long bufs, int bufSize, long indirects) {
            if (Integer.bitCount(size) != 1) throw new IllegalArgumentException("ring size must be a power of two: " + size);
            this.ram = ram;
            this.m = ram.segment();
            this.index = index;
            this.size = size;
            this.desc = desc;
            this.avail = avail;
            this.used = used;
            this.bufs = bufs;
            this.bufSize = bufSize;
            this.indirects = indirects;
            this.chains = new int[size][];
            reset(0);
        }

        /** Lays out a ring of size entries (and a bufSize buffer per descriptor) in ram. */
        public static Vring allocate(GuestRam ram, int index, int size, int bufSize) {
            long d = ram.alloc(16L * size, 4096);
            long a = ram.alloc(6L + 2L * size, 2);
            long u = ram.alloc(6L + 8L * size, 4096);
            long b = ram.alloc((long) bufSize * size, 64);
            long ind = ram.alloc(16L * MAX_INDIRECT * size, 16);
            return new Vring(ram, index, size, d, a, u, b, bufSize, ind);
        }

        /** Driver view of the negotiated features (header length, mergeable receive buffers, event index). */
        public void configure(long features) {
            mergeable = VirtioFeatures.has(features, VirtioFeatures.NET_F_MRG_RXBUF);
            eventIdx = VirtioFeatures.has(features, VirtioFeatures.RING_F_EVENT_IDX);
            hdrLen = VirtioFeatures.netHeaderLength(features);
        }

        void setKick(EventFd k) { kick = k; }

        /** Wipes the ring and restarts the driver's indices at base (after GET_VRING_BASE). */
        public void reset(int base) {
            m.asSlice(desc, 16L * size).fill((byte) 0);
            m.asSlice(avail, 6L + 2L * size).fill((byte) 0);
            m.asSlice(used, 6L + 8L * size).fill((byte) 0);
            availShadow = base & 0xffff;
            lastUsed = base & 0xffff;
            U16.setRelease(m, avail + 2, (short) availShadow);
            m.set(JAVA_SHORT, used + 2, (short) lastUsed);
            free.clear();
            for (int i = 0; i < size; i++) free.add(i);
            Arrays.fill(chains, null);
        }

        public int index() { return index; }
        public int size() { return size; }
        public int bufSize() { return bufSize; }
        public GuestRam ram() { return ram; }
        public long descGpa() { return desc; }
        public long availGpa() { return avail; }
        public long usedGpa() { return used; }
        public long descUva() { return ram.uva(desc); }
        public long availUva() { return ram.uva(avail); }
        public long usedUva() { return ram.uva(used); }
        public long bufGpa(int d) { return bufs + (long) d * bufSize; }
        public long indirectGpa(int d) { return indirects + 16L * MAX_INDIRECT * d; }
        public int availShadow() { return availShadow; }
        public int freeCount() { return free.size(); }
        public long kicks() { return kicks; }

        // ---- raw fields
        public void setDesc(int i, long addr, int len, int flags, int next) { writeDesc(desc + 16L * i, addr, len, flags, next); }
        /** Entry i of an indirect table at gpa table. */
        public void setTableDesc(long table, int i, long addr, int len, int flags, int next) { writeDesc(table + 16L * i, addr, len, flags, next); }
        private void writeDesc(long at, long addr, int len, int flags, int next) {
            m.set(JAVA_LONG, at, addr);
            m.set(JAVA_INT, at + 8, len);
            m.set(JAVA_SHORT, at + 12, (short) flags);
            m.set(JAVA_SHORT, at + 14, (short) next);
        }
        public long descAddr(int i) { return m.get(JAVA_LONG, desc + 16L * i); }
        public int descLen(int i) { return m.get(JAVA_INT, desc + 16L * i + 8); }
        public int descFlags(int i) { return m.get(JAVA_SHORT, desc + 16L * i + 12) & 0xffff; }
        public int descNext(int i) { return m.get(JAVA_SHORT, desc + 16L * i + 14) & 0xffff; }

        public int availFlags() { return m.get(JAVA_SHORT, avail) & 0xffff; }
        public void setAvailFlags(int f) { m.set(JAVA_SHORT, avail, (short) f); }
        public int availIdx() { return (short) U16.getAcquire(m, avail + 2) & 0xffff; }
        /** Publishes avail->idx (release: everything written before is visible first). */
        public void setAvailIdx(int v) { U16.setRelease(m, avail + 2, (short) v); }
        public int availEntry(int slot) { return m.get(JAVA_SHORT, avail + 4 + 2L * (slot & (size - 1))) & 0xffff; }
        public void setAvailEntry(int slot, int head) { m.set(JAVA_SHORT, avail + 4 + 2L * (slot & (size - 1)), (short) head); }
        /** used_event (avail->ring[size]): with EVENT_IDX, interrupt once used->idx passes it. */
        public void setUsedEvent(int v) { U16.setRelease(m, avail + 4 + 2L * size, (short) v); }

        public int usedFlags() { return m.get(JAVA_SHORT, used) & 0xffff; }
        public int usedIdx() { return (short) U16.getAcquire(m, used + 2) & 0xffff; }
        public int usedId(int slot) { return m.get(JAVA_INT, used + 4 + 8L * (slot & (size - 1))); }
        public int usedLen(int slot) { return m.get(JAVA_INT, used + 4 + 8L * (slot & (size - 1)) + 4); }
        /** avail_event (used->ring[size]), written by the device with EVENT_IDX. */
        public int availEvent() { return m.get(JAVA_SHORT, used + 4 + 8L * size) & 0xffff; }

        /** Used entries the device completed that the driver has not reaped yet. */
        public int pendingUsed() { return (usedIdx() - lastUsed) & 0xffff; }
        public int lastUsed() { return lastUsed; }

        /** Makes head available (does not publish the index). */
        public void offer(int head) {
            setAvailEntry(availShadow, head);
            availShadow = (availShadow + 1) & 0xffff;
        }

        /** Publishes every offered head and kicks the device if it asked for kicks. */
        public void publish() {
            int old = availIdx();
            setAvailIdx(availShadow);
            VarHandle.fullFence();
            boolean want;
            if (eventIdx) {
                int ev = availEvent();
                want = ((availShadow - ev - 1) & 0xffff) < ((availShadow - old) & 0xffff);
            } else {
                want = (usedFlags() & USED_F_NO_NOTIFY) == 0;
            }
            if (want && kick != null) { kick.signal(); kicks++; }
        }

        // ---- receive side (device writes)

        /** Posts up to n device-writable buffers of bufSize bytes each; returns how many. */
        public int postRx(int n) {
            int k = 0;
            while (k < n && !free.isEmpty()) {
                int d = free.poll();
                setDesc(d, bufGpa(d), bufSize, DESC_F_WRITE, 0);
                chains[d] = new int[] {d};
                offer(d);
                k++;
            }
            if (k > 0) publish();
            return k;
        }

        /** Posts one receive buffer made of several descriptors of the given lengths (a chain); returns its head. */
        public int postRxChain(int... lens) {
            if (free.size() < lens.length) throw new IllegalStateException("ring full");
            int[] ds = new int[lens.length];
            for (int i = 0; i < lens.length; i++) ds[i] = free.poll();
            for (int i = 0; i < lens.length; i++) {
                if (lens[i] > bufSize) throw new IllegalArgumentException("segment larger than a buffer");
                boolean more = i + 1 < lens.length;
                setDesc(ds[i], bufGpa(ds[i]), lens[i], DESC_F_WRITE | (more ? DESC_F_NEXT : 0), more ? ds[i + 1] : 0);
            }
            chains[ds[0]] = ds;
            offer(ds[0]);
            publish();
            return ds[0];
        }

        /** The bytes the device wrote into the chain at head (len bytes, following the chain). */
        public byte[] readChain(int head, int len) {
            byte[] out = new byte[len];
            int pos = 0, d = head, guard = 0;
            while (pos < len && guard++ <= size) {
                int n = Math.min(len - pos, descLen(d));
                MemorySegment.copy(m, JAVA_BYTE, descAddr(d), out, pos, n);
                pos += n;
                if ((descFlags(d) & DESC_F_NEXT) == 0) break;
                d = descNext(d);
            }
            if (pos < len) throw new IllegalStateException("used length " + len + " is more than chain " + head + " holds");
            return out;
        }

        /**
         * Reaps received packets (mergeable: a packet spans num_buffers used entries) and re-posts their buffers
         * (as single bufSize buffers). A packet whose buffers are not all used yet is left for the next call.
         */
        public List<RxPacket> receive() { return receive(true); }

        public List<RxPacket> receive(boolean repost) {
            List<RxPacket> out = new ArrayList<>();
            int reposted = 0;
            while (pendingUsed() > 0) {
                int id = usedId(lastUsed), len = usedLen(lastUsed);
                checkId(id);
                byte[] first = readChain(id, len);
                if (first.length < hdrLen) throw new IllegalStateException("used length " + len + " is shorter than the virtio-net header");
                int nbuf = 1;
                if (mergeable) nbuf = (first[10] & 0xff) | (first[11] & 0xff) << 8;
                if (nbuf < 1) throw new IllegalStateException("num_buffers " + nbuf + " in a received packet");
                if (pendingUsed() < nbuf) break;
                java.io.ByteArrayOutputStream data = new java.io.ByteArrayOutputStream();
                data.write(first, hdrLen, first.length - hdrLen);
                release(id);
                for (int k = 1; k < nbuf; k++) {
                    int slot = lastUsed + k;
                    int bid = usedId(slot);
                    checkId(bid);
                    data.writeBytes(readChain(bid, usedLen(slot)));
                    release(bid);
                }
                lastUsed = (lastUsed + nbuf) & 0xffff;
                out.add(new RxPacket(Arrays.copyOf(first, hdrLen), data.toByteArray(), nbuf));
                reposted += nbuf;
            }
            if (repost && reposted > 0) postRx(reposted);
            return out;
        }

        private void checkId(int id) {
            if (id < 0 || id >= size || chains[id] == null) throw new IllegalStateException("device returned descriptor " + id + " which is not in flight on ring " + index);
        }

        private void release(int head) {
            for (int d : chains[head]) free.add(d);
            chains[head] = null;
        }

        // ---- transmit side (device reads)

        /** Reaps completed transmit chains; returns how many. */
        public int reclaim() {
            int n = 0;
            while (pendingUsed() > 0) {
                int id = usedId(lastUsed);
                checkId(id);
                release(id);
                lastUsed = (lastUsed + 1) & 0xffff;
                n++;
            }
            return n;
        }

        /** Transmits bytes (virtio-net header included) in one descriptor; false if the ring is full. */
        public boolean send(byte[] hdrAndFrame) { return sendChained(hdrAndFrame); }

        /** Transmits the concatenation of segments as a chain of one descriptor per segment. */
        public boolean sendChained(byte[]... segments) {
            reclaim();
            if (free.size() < segments.length) return false;
            int[] ds = new int[segments.length];
            for (int i = 0; i < segments.length; i++) ds[i] = free.poll();
            for (int i = 0; i < segments.length; i++) {
                if (segments[i].length > bufSize) throw new IllegalArgumentException("segment of " + segments[i].length + " bytes is larger than a buffer (" + bufSize + ")");
                ram.write(bufGpa(ds[i]), segments[i]);
                boolean more = i + 1 < segments.length;
                setDesc(ds[i], bufGpa(ds[i]), segments[i].length, more ? DESC_F_NEXT : 0, more ? ds[i + 1] : 0);
            }
            chains[ds[0]] = ds;
            offer(ds[0]);
            publish();
            return true;
        }

        /** Transmits the concatenation of segments through one INDIRECT descriptor pointing at a table. */
        public boolean sendIndirect(byte[]... segments) {
            reclaim();
            if (free.isEmpty()) return false;
            if (segments.length > MAX_INDIRECT) throw new IllegalArgumentException("at most " + MAX_INDIRECT + " segments");
            int d = free.poll();
            long table = indirectGpa(d), at = bufGpa(d);
            for (int i = 0; i < segments.length; i++) {
                ram.write(at, segments[i]);
                boolean more = i + 1 < segments.length;
                setTableDesc(table, i, at, segments[i].length, more ? DESC_F_NEXT : 0, more ? i + 1 : 0);
                at += segments[i].length;
            }
            if (at > bufGpa(d) + bufSize) throw new IllegalArgumentException("segments larger than a buffer");
            setDesc(d, table, 16 * segments.length, DESC_F_INDIRECT, 0);
            chains[d] = new int[] {d};
            offer(d);
            publish();
            return true;
        }
    }
}
