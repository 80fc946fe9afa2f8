package io.xvio.openflow;

import io.xvio.datapath.action.Action;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * The state of a translation paused by {@code controller(pause)}: what NXT_PACKET_IN2 carries in its
 * NXPINT_CONTINUATION property and a controller hands back, unchanged, in NXT_RESUME. The layout is OVS's
 * (ofputil_put_packet_in_private): nested NXCPT_* properties with the bridge's id, the register stack (one property
 * per entry, bottom first), the mirrors already output to, whether the packet went through conntrack, then per
 * unrolled flow its table and cookie (when they change) and the rest of its actions, the action set, the datapath
 * in_port.
 *
 * <p>A continuation comes back from the controller, so it is decoded as untrusted input: every length checked, the
 * actions decoded and checked as a flow_mod's are, and the bridge id compared with this process's ids: a continuation
 * from another bridge, an earlier run of xvio or nobody is NXR_STALE, as OVS answers it.
 */
record Continuation(byte[] bridge, List<Long> stack, long mirrors, boolean conntracked, List<Frame> frames,
                    List<Action> actionSet, long odpPort) {
    /** The rest of one unrolled flow's actions: the flow's table and cookie. */
    record Frame(int table, long cookie, List<Action> actions) {}

    static final int NXPINT_USERDATA = 7, NXPINT_CONTINUATION = 8;
    static final int NXCPT_BRIDGE = 0x8000, NXCPT_STACK = 0x8001, NXCPT_MIRRORS = 0x8002, NXCPT_CONNTRACKED = 0x8003,
            NXCPT_TABLE_ID = 0x8004, NXCPT_COOKIE = 0x8005, NXCPT_ACTIONS = 0x8006, NXCPT_ACTION_SET = 0x8007,
            NXCPT_ODP_PORT = 0x8008;
    /** This process's random half of every bridge id (a continuation from an earlier run is stale). */
    private static final long RUN = new SecureRandom().nextLong();
    private static final int MAX_STACK = 1024;

    /** A bridge's 16-byte id in continuations: its datapath id and this run's random number. */
    static byte[] bridgeId(String bridge) {
        return new Wire.Writer().u64(OfEndpoint.datapathId(bridge)).u64(RUN).toBytes();
    }

    /** Writes the NXPINT_CONTINUATION property (nested NXCPT_* properties, each padded to 8). */
    void write(Wire.Writer w, int version) {
        int outer = start(w, NXPINT_CONTINUATION);
        w.zeros(4);                                              // a nested property's body starts 8-aligned
        int at = start(w, NXCPT_BRIDGE);
        w.bytes(bridge);
        end(w, at);
        for (long v : stack) {
            at = start(w, NXCPT_STACK);
            w.u64(v);
            end(w, at);
        }
        if (mirrors != 0) { at = start(w, NXCPT_MIRRORS); w.u32(mirrors); end(w, at); }
        if (conntracked) { at = start(w, NXCPT_CONNTRACKED); end(w, at); }
        int table = 0;
        long cookie = 0;
        for (Frame f : frames) {
            if (f.table() != table) { at = start(w, NXCPT_TABLE_ID); w.u8(f.table()); end(w, at); table = f.table(); }
            if (f.cookie() != cookie) { at = start(w, NXCPT_COOKIE); w.zeros(4).u64(f.cookie()); end(w, at); cookie = f.cookie(); }
            actions(w, NXCPT_ACTIONS, f.actions(), version);
        }
        if (!actionSet.isEmpty()) actions(w, NXCPT_ACTION_SET, actionSet, version);
        at = start(w, NXCPT_ODP_PORT);
        w.u32(odpPort);
        end(w, at);
        w.put16(outer + 2, w.size() - outer);
    }

    private static void actions(Wire.Writer w, int type, List<Action> acts, int version) {
        int at = start(w, type);
        w.zeros(4);                                              // the actions start 8-aligned
        OfActions.encodeActions(acts, version, w);
        end(w, at);
    }

    /** Starts an OpenFlow property (type, length patched by {@link #end}); returns where it starts. */
    static int start(Wire.Writer w, int type) {
        int at = w.size();
        w.u16(type).u16(0);
        return at;
    }

    /** Ends the property started at at: its length, then padding to 8 bytes. */
    static void end(Wire.Writer w, int at) {
        w.put16(at + 2, w.size() - at);
        w.pad8(0);
    }

    /**
     * Decodes the body of an NXPINT_CONTINUATION property (v: after its 4-byte header, so at its 4 padding bytes).
     * Errors as OVS's ofputil_decode_packet_in_private: a property of a bad length is OFPBPC_BAD_LEN, an unknown one
     * OFPBPC_BAD_TYPE, bad actions their own OFPBAC_* error.
     */
    static Continuation decode(Wire.Reader v, int version) {
        v.skip(Math.min(4, v.remaining()));
        byte[] bridge = null;
        List<Long> stack = new ArrayList<>();
        List<Frame> frames = new ArrayList<>();
        List<Action> actionSet = List.of();
        long mirrors = 0, odpPort = -1, cookie = 0;
        boolean conntracked = false;
        int table = 0;
        while (v.remaining() > 0) {
            if (v.remaining() < 4) throw OfError.PROP_BAD_LEN.fail("continuation ends in " + v.remaining() + " stray bytes");
            int type = v.u16(), len = v.u16();
            if (len < 4) throw OfError.PROP_BAD_LEN.fail("continuation property 0x" + Integer.toHexString(type) + " of length " + len);
            Wire.Reader p = v.sub(len - 4, OfError.PROP_BAD_LEN, "continuation property 0x" + Integer.toHexString(type));
            v.skip(Math.min((8 - len % 8) % 8, v.remaining()));
            switch (type) {
                case NXCPT_BRIDGE -> bridge = exactly(p, 16, "NXCPT_BRIDGE").bytes(16);
                case NXCPT_STACK -> {
                    if (p.remaining() == 0 || p.remaining() > 8) throw OfError.PROP_BAD_LEN.fail("NXCPT_STACK of " + p.remaining() + " bytes (xvio's stack holds 64-bit values)");
                    if (stack.size() >= MAX_STACK) throw OfError.PROP_BAD_LEN.fail("more than " + MAX_STACK + " stack entries");
                    stack.add(p.uN(p.remaining()));
                }
                case NXCPT_MIRRORS -> mirrors = exactly(p, 4, "NXCPT_MIRRORS").u32();
                case NXCPT_CONNTRACKED -> {
                    exactly(p, 0, "NXCPT_CONNTRACKED");
                    conntracked = true;
                }
                case NXCPT_TABLE_ID -> {
                    table = exactly(p, 1, "NXCPT_TABLE_ID").u8();
                    if (table >= OfStats.TABLES) throw OfError.BAD_TABLE_ID.fail("continuation table " + table);
                }
                case NXCPT_COOKIE -> {
                    exactly(p, 12, "NXCPT_COOKIE").skip(4);
                    cookie = p.u64();
                }
                case NXCPT_ACTIONS -> frames.add(new Frame(table, cookie, actions(p, version, "NXCPT_ACTIONS")));
                case NXCPT_ACTION_SET -> actionSet = actions(p, version, "NXCPT_ACTION_SET");
                case NXCPT_ODP_PORT -> odpPort = exactly(p, 4, "NXCPT_ODP_PORT").u32();
                default -> throw OfError.PROP_BAD_TYPE.fail("continuation property type 0x" + Integer.toHexString(type));
            }
        }
        if (bridge == null) throw OfError.NXR_STALE.fail("continuation without a bridge id");
        return new Continuation(bridge, List.copyOf(stack), mirrors, conntracked, List.copyOf(frames), actionSet, odpPort);
    }

    private static Wire.Reader exactly(Wire.Reader p, int n, String what) {
        if (p.remaining() != n) throw OfError.PROP_BAD_LEN.fail(what + " of " + p.remaining() + " bytes (" + n + ")");
        return p;
    }

    private static List<Action> actions(Wire.Reader p, int version, String what) {
        if (p.remaining() < 4) throw OfError.PROP_BAD_LEN.fail(what + " without its padding");
        p.skip(4);
        return OfActions.decodeActions(p, version);
    }

    /** Whether this continuation was made by bridge in this run of xvio. */
    boolean from(String bridgeName) { return java.util.Arrays.equals(bridge, bridgeId(bridgeName)); }

    @Override public boolean equals(Object o) {
        return o instanceof Continuation c && java.util.Arrays.equals(c.bridge, bridge) && c.stack.equals(stack) && c.mirrors == mirrors
                && c.conntracked == conntracked && c.frames.equals(frames) && c.actionSet.equals(actionSet) && c.odpPort == odpPort;
    }

    @Override public int hashCode() { return java.util.Arrays.hashCode(bridge) * 31 + frames.hashCode(); }
}
