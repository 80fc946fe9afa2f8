package io.xvio.openflow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One connection's open bundles, by id, with OVS's rules (ofproto/bundles.c): open an id that exists (the old
 * bundle goes, OFPBFC_BAD_ID); close (OFPBFC_BAD_ID, OFPBFC_BUNDLE_CLOSED, OFPBFC_BAD_FLAGS, the last two dropping
 * the bundle); add to an id that does not exist (it opens), to a closed bundle or with other flags (the bundle goes,
 * OFPBFC_BUNDLE_CLOSED / OFPBFC_BAD_FLAGS); a bundle idle for {@link #IDLE_NANOS} goes with OFPBFC_TIMEOUT
 * referring to the message that opened it. A commit {@link #take}s the bundle out first, whatever its outcome.
 *
 * <p>Limits OVS does not have, so a hostile or broken controller cannot fill the heap: at most {@link #MAX_BUNDLES}
 * bundles per connection (OFPBFC_OUT_OF_BUNDLES), {@link #MAX_MESSAGES} messages in one bundle, {@link #MAX_BYTES}
 * bytes of stored messages per connection and {@link #MAX_TOTAL_BYTES} for the whole process (OFPBFC_MSG_TOO_MANY:
 * the message is not added, the bundle stays). Messages are kept as the bytes that came (decoded once to check them
 * and again at commit), so the count is exact. These bound what controllers can hold uncommitted; a commit then
 * costs what the flows it makes cost (as the same flows added one by one). Thread-safe: the connection's thread
 * changes it, the expiry runs on another.
 */
final class Bundles {
    static final int MAX_BUNDLES = 64;
    /** Enough for ovs-ofctl add-flows --bundle of a million flows, or OVN's full recompute of a large chassis. */
    static final int MAX_MESSAGES = 1 << 20;
    /** Per connection 256 MiB, for the process 512 MiB, but at most an eighth and a quarter of the heap. */
    static final long MAX_BYTES = Math.min(256L << 20, Runtime.getRuntime().maxMemory() / 8),
            MAX_TOTAL_BYTES = Math.min(512L << 20, Runtime.getRuntime().maxMemory() / 4);
    /** OVS's default bundle idle timeout (other_config:bundle-idle-timeout, 10 s). */
    static final long IDLE_NANOS = 10_000_000_000L;
    /** Bytes a stored message costs beyond its own (array header, list slot). */
    private static final int OVERHEAD = 32;
    /** Stored bundle messages of every connection of the process. */
    private static final AtomicLong TOTAL = new AtomicLong();

    /** One stored message: the whole add message (errors refer to it) and where its inner message is. */
    record Entry(byte[] add, int innerAt, int innerLength) {}

    static final class Bundle {
        final long id;
        final int flags;
        /** The message that opened it (an open request, or the first add): a timeout error refers to it. */
        final byte[] opener;
        final List<Entry> entries = new ArrayList<>();
        boolean closed;
        long used;
        long bytes;

        Bundle(long id, int flags, byte[] opener, long now) {
            this.id = id;
            this.flags = flags;
            this.opener = opener;
            this.used = now;
        }
    }

    private final Map<Long, Bundle> open = new HashMap<>();
    private final int maxBundles, maxMessages;
    private final long maxBytes;
    private long bytes;

    Bundles() { this(MAX_BUNDLES, MAX_MESSAGES, MAX_BYTES); }

    Bundles(int maxBundles, int maxMessages, long maxBytes) {
        this.maxBundles = maxBundles;
        this.maxMessages = maxMessages;
        this.maxBytes = maxBytes;
    }

    synchronized int size() { return open.size(); }

    /** Stored bytes of this connection's bundles. */
    synchronized long bytes() { return bytes; }

    static long totalBytes() { return TOTAL.get(); }

    synchronized void open(long id, int flags, byte[] msg, long now) {
        if (open.containsKey(id)) {
            remove(id);
            throw OfError.BUNDLE_BAD_ID.fail("bundle " + hex(id) + " already exists; it is discarded");
        }
        create(id, flags, msg, now);
    }

    private Bundle create(long id, int flags, byte[] msg, long now) {
        if (open.size() >= maxBundles) throw OfError.OUT_OF_BUNDLES.fail(open.size() + " bundles are open on this connection (the limit)");
        // an error carries at most the first 64 bytes of the message it refers to: no more is kept
        Bundle b = new Bundle(id, flags, java.util.Arrays.copyOf(msg, Math.min(64, msg.length)), now);
        open.put(id, b);
        return b;
    }

    synchronized void close(long id, int flags, long now) {
        Bundle b = open.get(id);
        if (b == null) throw OfError.BUNDLE_BAD_ID.fail("no bundle " + hex(id));
        if (b.closed) {
            remove(id);
            throw OfError.BUNDLE_CLOSED.fail("bundle " + hex(id) + " was closed already; it is discarded");
        }
        if (b.flags != flags) {
            remove(id);
            throw OfError.BUNDLE_BAD_FLAGS.fail("bundle " + hex(id) + " was opened with flags " + b.flags + ", closed with " + flags + "; it is discarded");
        }
        b.used = now;
        b.closed = true;
    }

    synchronized void discard(long id) {
        if (open.get(id) == null) throw OfError.BUNDLE_BAD_ID.fail("no bundle " + hex(id));
        remove(id);
    }

    /** Adds a checked message (add: the whole add message) to bundle id, opening it if it does not exist. */
    synchronized void add(long id, int flags, byte[] add, int innerAt, int innerLength, long now) {
        Bundle b = open.get(id);
        if (b != null && b.closed) {
            remove(id);
            throw OfError.BUNDLE_CLOSED.fail("bundle " + hex(id) + " is closed; it is discarded");
        }
        if (b != null && b.flags != flags) {
            remove(id);
            throw OfError.BUNDLE_BAD_FLAGS.fail("bundle " + hex(id) + " has flags " + b.flags + ", the message " + flags + "; it is discarded");
        }
        long cost = add.length + OVERHEAD;
        if (b != null && b.entries.size() >= maxMessages)
            throw OfError.BUNDLE_MSG_TOO_MANY.fail("bundle " + hex(id) + " holds " + maxMessages + " messages (the limit)");
        if (bytes + cost > maxBytes)
            throw OfError.BUNDLE_MSG_TOO_MANY.fail("this connection's bundles hold " + bytes + " bytes (limit " + maxBytes + ")");
        if (TOTAL.addAndGet(cost) > MAX_TOTAL_BYTES) {
            TOTAL.addAndGet(-cost);
            throw OfError.BUNDLE_MSG_TOO_MANY.fail("bundles of all connections hold " + TOTAL.get() + " bytes (limit " + MAX_TOTAL_BYTES + ")");
        }
        try {
            if (b == null) b = create(id, flags, add, now);
        } catch (OfError.Failure f) {
            TOTAL.addAndGet(-cost);
            throw f;
        }
        b.entries.add(new Entry(add, innerAt, innerLength));
        b.bytes += cost;
        bytes += cost;
        b.used = now;
    }

    /** Takes bundle id out to commit it (OFPBFC_BAD_ID if there is none); it is gone whatever the commit does. */
    synchronized Bundle take(long id) {
        if (open.get(id) == null) throw OfError.BUNDLE_BAD_ID.fail("no bundle " + hex(id));
        return remove(id);
    }

    /** Takes out the bundles idle for longer than idleNanos. */
    synchronized List<Bundle> expired(long now, long idleNanos) {
        List<Bundle> out = new ArrayList<>();
        for (Bundle b : List.copyOf(open.values())) if (now - b.used >= idleNanos) out.add(remove(b.id));
        return out;
    }

    /** Discards every bundle (the connection closed). */
    synchronized void clear() {
        for (Long id : List.copyOf(open.keySet())) remove(id);
    }

    private Bundle remove(long id) {
        Bundle b = open.remove(id);
        if (b != null) {
            bytes -= b.bytes;
            TOTAL.addAndGet(-b.bytes);
        }
        return b;
    }

    static String hex(long id) { return "0x" + Long.toHexString(id); }
}
