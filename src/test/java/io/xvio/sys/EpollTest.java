package io.xvio.sys;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class EpollTest {
    @Test
    void reportsTheReadyFdByItsTagAndTimesOutOtherwise() {
        try (Epoll ep = new Epoll(4); EventFd a = EventFd.create(); EventFd b = EventFd.create()) {
            ep.add(a.fd(), Epoll.IN, 0xA);
            ep.add(b.fd(), Epoll.IN, 0xB);
            assertEquals(0, ep.await(10), "nothing ready yet");
            b.signal();
            assertEquals(1, ep.await(1000));
            assertEquals(0xB, ep.tag(0));
            assertEquals(Epoll.IN, ep.events(0) & Epoll.IN);
            assertEquals(1, b.drain());
            ep.remove(b.fd());
            b.signal();
            assertEquals(0, ep.await(10), "removed fds are not reported");
            SysException e = assertThrows(SysException.class, () -> ep.add(12345, Epoll.IN, 1));
            assertTrue(e.getMessage().contains("epoll_ctl(EPOLL_CTL_ADD, fd 12345)") && e.getMessage().contains("EBADF"), e.getMessage());
        }
    }

    @Test
    void aSecondCloseClosesNothingElse() {
        Epoll ep = new Epoll(1);
        ep.close();
        try (EventFd reuser = EventFd.create()) {         // likely given the epoll's old fd number
            ep.close();
            reuser.signal();
            assertEquals(1, reuser.drain(), "the eventfd is still open");
        }
    }
}
