package io.xvio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.xvio.sys.TPacket.*;
import static java.lang.foreign.ValueLayout.*;

/**
 * Keeps an interface in promiscuous mode for as long as it is open, the way AF_PACKET rings do: a packet socket
 * that receives nothing holds a PACKET_MR_PROMISC membership. The kernel counts such memberships and drops this
 * one when the socket closes (also when xvio dies), unlike setting IFF_PROMISC, which would outlive xvio.
 */
public final class Promiscuity implements AutoCloseable {
    private final int fd;
    private boolean closed;

    private Promiscuity(int fd) { this.fd = fd; }

    public static Promiscuity hold(String device, int ifindex) {
        String what = "promiscuous mode on " + device;
        int fd = TPacket.socket(what);      // protocol 0, never bound: no frame is queued to it
        try (Arena a = Arena.ofConfined()) {
            MemorySegment mreq = a.allocate(MREQ_SIZE, 4);
            mreq.set(JAVA_INT, 0, ifindex);
            mreq.set(JAVA_SHORT, 4, (short) PACKET_MR_PROMISC);
            setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, "PACKET_ADD_MEMBERSHIP (PACKET_MR_PROMISC)", mreq, what);
            return new Promiscuity(fd);
        } catch (RuntimeException e) {
            Fd.closeQuietly(fd);
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(fd);
    }
}
