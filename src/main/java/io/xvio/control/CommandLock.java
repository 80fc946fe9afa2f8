package io.xvio.control;

import java.util.List;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs control commands from concurrent connections: those that change the switch one at a time (as when one
 * thread served the socket), the read-only ones (stats, show, dumps) alongside each other. A command holds the
 * lock only while it runs, never while its connection reads the request or writes the reply.
 */
final class CommandLock implements Function<List<String>, String> {
    private final Function<List<String>, String> handler;
    private final Set<String> readOnly;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock(true);   // fair: a change is not starved by reads

    CommandLock(Function<List<String>, String> handler, Set<String> readOnly) {
        this.handler = handler;
        this.readOnly = readOnly;
    }

    @Override
    public String apply(List<String> args) {
        Lock l = !args.isEmpty() && readOnly.contains(args.getFirst()) ? lock.readLock() : lock.writeLock();
        l.lock();
        try {
            return handler.apply(args);
        } finally {
            l.unlock();
        }
    }

    /** Runs body under the same lock as the commands: alone if it changes the switch, else beside other reads. */
    <T> T run(boolean change, Supplier<T> body) {
        Lock l = change ? lock.writeLock() : lock.readLock();
        l.lock();
        try {
            return body.get();
        } finally {
            l.unlock();
        }
    }
}
