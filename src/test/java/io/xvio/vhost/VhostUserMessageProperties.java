package io.xvio.vhost;

import io.xvio.sys.EventFd;
import io.xvio.sys.Fd;
import io.xvio.sys.UnixSocket;
import io.xvio.util.Quiescence;
import io.xvio.virtio.VirtioFeatures;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The vhost-user device fed sequences of messages a hostile or broken front-end could send: each request with a
 * plausible payload (right sizes, queue indexes in and out of range, memory tables with good and bad regions, rings
 * inside and outside them, kick/call fds or none) or with random bytes, and request codes no one defined, to a new
 * device or to one whose queues a valid start-up set running. Every
 * message is applied or refused with a {@link ProtocolError} that says why (the endpoint logs it and closes the
 * connection), never another exception; and every file descriptor that came with the messages is closed once the
 * device disconnects.
 */
class VhostUserMessageProperties {
    private static final long UVA = 0x7f00_0000_0000L, MEM = 1 << 20;

    /** One message: request, payload and fds (handed over: the device closes or keeps them). */
    private record Sent(int request, int flags, byte[] payload, int[] fds) {}

    private static byte[] le(int bytes, java.util.function.Consumer<ByteBuffer> fill) {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        fill.accept(b);
        return b.array();
    }

    private static int queueIndex(Random r) { return r.nextInt(8) == 0 ? r.nextInt() : r.nextInt(6) - 1; }

    /** A guest address: mostly inside the 1 MiB region at UVA, sometimes past it or anywhere. */
    private static long address(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> r.nextLong();
            case 1 -> UVA + MEM - r.nextInt(64);
            default -> UVA + (r.nextInt((int) MEM) & ~63);
        };
    }

    private static int memfd() {
        return Fd.memfd("fuzz-mem", MEM);
    }

    private static Sent message(Random r) {
        int flags = Message.VERSION | (r.nextInt(4) == 0 ? Message.FLAG_NEED_REPLY : 0);
        if (r.nextInt(6) == 0) {                                 // any code, any bytes
            int code = r.nextBoolean() ? r.nextInt(Request.MAX + 3) : r.nextInt();
            byte[] p = new byte[r.nextInt(72)];
            r.nextBytes(p);
            return new Sent(code, flags, p, new int[0]);
        }
        int[] none = new int[0];
        int code = 1 + r.nextInt(Request.MAX);
        return switch (code) {
            case Request.SET_FEATURES -> new Sent(code, flags, Message.u64(r.nextBoolean()
                    ? VhostUserDevice.OFFERED_FEATURES & r.nextLong() | (r.nextInt(3) == 0 ? 1L << ProtocolFeatures.F_LOG_ALL : 0)
                    : r.nextLong()), none);
            case Request.SET_PROTOCOL_FEATURES -> new Sent(code, flags, Message.u64(r.nextBoolean()
                    ? VhostUserDevice.OFFERED_PROTOCOL & r.nextLong() : r.nextLong()), none);
            case Request.SET_MEM_TABLE -> {
                int n = r.nextInt(10) == 0 ? r.nextInt(12) : 1 + r.nextInt(2);
                int regions = Math.max(0, Math.min(n, 9));
                byte[] p = le(8 + 32 * regions, b -> {
                    b.putInt(n).putInt(0);
                    for (int i = 0; i < regions; i++) {
                        boolean good = r.nextInt(3) > 0;
                        b.putLong(good ? i * 2 * MEM : r.nextLong())                      // guest physical
                                .putLong(good ? MEM : r.nextInt(3) == 0 ? r.nextLong() : r.nextInt((int) (2 * MEM)))
                                .putLong(good ? UVA + i * 2 * MEM : r.nextLong())          // front-end's address
                                .putLong(good ? 0 : r.nextBoolean() ? r.nextInt(8192) : r.nextLong());
                    }
                });
                if (r.nextInt(8) == 0) p = java.util.Arrays.copyOf(p, r.nextInt(p.length + 1));   // cut short
                int fds = r.nextInt(8) == 0 ? r.nextInt(4) : regions;
                int[] f = new int[fds];
                for (int i = 0; i < fds; i++) f[i] = memfd();
                yield new Sent(code, flags, p, f);
            }
            case Request.SET_LOG_BASE -> new Sent(code, flags, le(16, b -> b.putLong(r.nextBoolean() ? 4096 : r.nextLong())
                    .putLong(r.nextBoolean() ? 0 : r.nextLong())), r.nextInt(4) == 0 ? none : new int[] {memfd()});
            case Request.SET_VRING_NUM, Request.SET_VRING_BASE, Request.SET_VRING_ENABLE, Request.GET_VRING_BASE -> {
                int v = switch (r.nextInt(5)) {
                    case 0 -> r.nextInt();
                    case 1 -> 1 << r.nextInt(16);
                    case 2 -> r.nextInt(2);
                    default -> 256;
                };
                yield new Sent(code, flags, r.nextInt(10) == 0 ? new byte[r.nextInt(12)] : Message.state(queueIndex(r), v), none);
            }
            case Request.SET_VRING_ADDR -> new Sent(code, flags, le(r.nextInt(10) == 0 ? 32 : 40, b -> {
                b.putInt(queueIndex(r)).putInt(r.nextInt(4) == 0 ? 1 : 0).putLong(address(r)).putLong(address(r)).putLong(address(r));
                if (b.remaining() >= 8) b.putLong(address(r));
            }), none);
            case Request.SET_VRING_KICK, Request.SET_VRING_CALL, Request.SET_VRING_ERR -> {
                boolean noFd = r.nextInt(5) == 0;
                long v = (r.nextInt(8) == 0 ? r.nextLong() : queueIndex(r) & 0xff) | (noFd ? 0x100 : 0);
                int[] f = noFd && r.nextBoolean() ? none : r.nextInt(8) == 0
                        ? new int[] {EventFd.create().fd(), EventFd.create().fd()} : new int[] {EventFd.create().fd()};
                yield new Sent(code, flags, Message.u64(v), f);
            }
            case Request.SEND_RARP, Request.NET_SET_MTU, Request.SET_STATUS -> new Sent(code, flags,
                    Message.u64(r.nextBoolean() ? r.nextInt(70000) : r.nextLong()), none);
            default -> {
                byte[] p = new byte[r.nextBoolean() ? 0 : r.nextInt(48)];
                r.nextBytes(p);
                yield new Sent(code, flags, p, r.nextInt(10) == 0 ? new int[] {memfd()} : none);
            }
        };
    }

    /**
     * A front-end's start-up (features, one memory region, both queues sized, addressed, kicked and enabled), so the
     * hostile messages after it also meet running queues.
     */
    private static List<Sent> handshake(Random r, boolean mergeable, boolean packed, boolean offloads) {
        int flags = Message.VERSION;
        long f = VhostUserDevice.OFFERED_FEATURES & ~(1L << ProtocolFeatures.F_LOG_ALL);
        if (!mergeable) f &= ~(1L << VirtioFeatures.NET_F_MRG_RXBUF);
        if (!packed || r.nextBoolean()) f &= ~(1L << VirtioFeatures.F_RING_PACKED);
        if (offloads) f |= VirtioFeatures.OFFLOADS;
        List<Sent> out = new ArrayList<>(List.of(
                new Sent(Request.SET_FEATURES, flags, Message.u64(f), new int[0]),
                new Sent(Request.SET_PROTOCOL_FEATURES, flags, Message.u64(VhostUserDevice.OFFERED_PROTOCOL), new int[0]),
                new Sent(Request.SET_MEM_TABLE, flags, le(40, b -> b.putInt(1).putInt(0).putLong(0).putLong(MEM).putLong(UVA).putLong(0)),
                        new int[] {memfd()})));
        for (int q = 0; q < 2; q++) {
            long ring = UVA + q * 0x10000L;
            int qi = q;
            out.add(new Sent(Request.SET_VRING_NUM, flags, Message.state(q, 256), new int[0]));
            out.add(new Sent(Request.SET_VRING_ADDR, flags, le(40, b -> b.putInt(qi).putInt(0).putLong(ring).putLong(ring + 0x2000)
                    .putLong(ring + 0x1000).putLong(0)), new int[0]));
            out.add(new Sent(Request.SET_VRING_BASE, flags, Message.state(q, 0), new int[0]));
            out.add(new Sent(Request.SET_VRING_KICK, flags, Message.u64(q), new int[] {EventFd.create().fd()}));
            out.add(new Sent(Request.SET_VRING_CALL, flags, Message.u64(q), new int[] {EventFd.create().fd()}));
            out.add(new Sent(Request.SET_VRING_ENABLE, flags, Message.state(q, 1), new int[0]));
        }
        return out;
    }

    private static Set<Integer> openFds() throws Exception {
        Set<Integer> s = new HashSet<>();
        try (var d = Files.list(Path.of("/proc/self/fd"))) {
            d.forEach(p -> s.add(Integer.parseInt(p.getFileName().toString())));
        }
        return s;
    }

    @Property(tries = 300)
    void everyMessageIsAppliedOrRefusedWithAProtocolErrorAndNoFdIsLeft(@ForAll long seed, @ForAll @IntRange(min = 1, max = 40) int count,
                                                                        @ForAll boolean packed) throws Exception {
        Random r = new Random(seed);
        UnixSocket[] pair = UnixSocket.pair();
        boolean mergeable = r.nextBoolean(), offloads = r.nextBoolean(), started = r.nextBoolean();
        VhostUserDevice d = new VhostUserDevice("fuzz", 2, mergeable, packed, offloads, Quiescence.NONE, DeviceListener.NONE);
        Set<Integer> given = new HashSet<>();
        List<String> refused = new ArrayList<>();
        try {
            if (started) {
                for (Sent s : handshake(r, mergeable, packed, offloads)) {
                    for (int fd : s.fds()) given.add(fd);
                    d.handle(new Message(s.request(), s.flags(), ByteBuffer.wrap(s.payload()).order(ByteOrder.LITTLE_ENDIAN), s.fds().clone()), pair[0]);
                }
                assertTrue(d.queue(0).ready() && d.queue(1).ready(), "the handshake starts both queues");
            }
            for (int k = 0; k < count; k++) {
                Sent s = message(r);
                for (int fd : s.fds()) given.add(fd);
                Message m = new Message(s.request(), s.flags(), ByteBuffer.wrap(s.payload()).order(ByteOrder.LITTLE_ENDIAN), s.fds().clone());
                try {
                    d.handle(m, pair[0]);
                } catch (ProtocolError e) {
                    assertNotNull(e.getMessage());
                    assertFalse(e.getMessage().isBlank());
                    refused.add(e.getMessage());
                } catch (RuntimeException | InternalError e) {
                    fail("message " + k + " (" + Request.name(s.request()) + ", " + s.payload().length + " bytes, " + s.fds().length
                            + " fds) threw " + e + " instead of a ProtocolError; refused before: " + refused, e);
                }
                if (r.nextInt(16) == 0) drain(pair[1]);
            }
        } finally {
            d.disconnect();
            pair[0].close();
            pair[1].close();
        }
        Set<Integer> open = openFds();
        open.retainAll(given);
        assertTrue(open.isEmpty(), "fds the messages brought still open after disconnect: " + open);
    }

    /** Reads what the device replied, so its socket buffer never fills. */
    private static void drain(UnixSocket s) {
        byte[] buf = new byte[4096];
        while (Fd.pollIn(s.fd(), 0) > 0 && s.read(buf, 0, buf.length) > 0) { }
    }
}
