package io.xvio.openflow;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Field;
import io.xvio.packet.FlowKey;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * OpenFlow actions and instructions to and from xvio's {@link Action}s (ofp-actions.c's wire formats). Standard
 * actions of 1.0 and 1.1+, the Nicira ones OVS's tools send (reg_load, reg_load2, reg_move, resubmit,
 * resubmit_table, dec_ttl, write_metadata), and the 1.1+ instructions apply_actions, goto_table and
 * write_metadata. An action or instruction xvio does not execute is an error (the code OVS uses for one it does
 * not know), never dropped.
 */
public final class OfActions {
    private OfActions() {}

    static final int OUTPUT = 0, SET_VLAN_VID10 = 1, SET_VLAN_PCP10 = 2, STRIP_VLAN10 = 3, SET_DL_SRC10 = 4, SET_DL_DST10 = 5,
            SET_NW_SRC10 = 6, SET_NW_DST10 = 7, SET_NW_TOS10 = 8, SET_TP_SRC10 = 9, SET_TP_DST10 = 10;
    static final int COPY_FIELD15 = 28, PUSH_VLAN = 17, POP_VLAN = 18, SET_NW_TTL = 23, DEC_NW_TTL = 24, SET_FIELD = 25, VENDOR = 0xffff;
    static final int NX_RESUBMIT = 1, NX_REG_MOVE = 6, NX_REG_LOAD = 7, NX_RESUBMIT_TABLE = 14, NX_DEC_TTL = 18,
            NX_WRITE_METADATA = 22, NX_REG_LOAD2 = 33, NX_NOTE = 8, NX_OUTPUT_REG = 15, NX_STACK_PUSH = 27, NX_STACK_POP = 28,
            NX_CONJUNCTION = 34, NX_DEC_TTL_CNT_IDS = 21, NX_CLONE = 42, NX_CT_CLEAR = 43, NX_CHECK_PKT_LARGER = 49, NX_CONTROLLER2 = 37,
            NX_CONTROLLER = 20;
    /** OpenFlow 1.1+ group action (OFPAT_GROUP). */
    static final int GROUP = 22;
    static final int IT_GOTO_TABLE = 1, IT_WRITE_METADATA = 2, IT_WRITE_ACTIONS = 3, IT_APPLY_ACTIONS = 4, IT_CLEAR_ACTIONS = 5;
    /** OpenFlow 1.3's meter instruction and 1.5's meter action (OFPIT13_METER, OFPAT15_METER). */
    static final int IT_METER = 6, METER15 = 29;

    private static Meter meter(long id) {
        if (id == 0 || id > io.xvio.datapath.meter.MeterConfig.MAX_ID) throw OfError.BAD_ACTION_ARGUMENT.fail("meter " + id + " is outside 1..0xffff0000");
        return new Meter(id);
    }

    /** Fields the datapath can rewrite (set_field, load, move destinations), as xvio's flow parser allows them. */
    static final Set<Field> SETTABLE = EnumSet.of(Field.DL_SRC, Field.DL_DST, Field.VLAN_TCI, Field.NW_SRC, Field.NW_DST,
            Field.ARP_OP, Field.ARP_SPA, Field.ARP_TPA, Field.ARP_SHA, Field.ICMP_TYPE, Field.ICMP_CODE, Field.ARP_THA, Field.ND_TARGET, Field.ND_SLL, Field.ND_TLL,
            Field.TP_SRC, Field.TP_DST, Field.NW_TOS, Field.NW_TTL, Field.IPV6_SRC,
            Field.IPV6_DST, Field.METADATA, Field.PKT_MARK);
    static {
        for (Field f : Field.values()) if (f.name().matches("X{0,2}REG\\d+")) SETTABLE.add(f);
        SETTABLE.add(Field.TUN_ID);         // set_field/load to tun_id (an encapsulation with key=flow reads it)
        // and the outer addresses a port with remote_ip=flow (local_ip=flow) reads, and the oam flag
        SETTABLE.addAll(List.of(Field.TUN_SRC, Field.TUN_DST, Field.TUN_IPV6_SRC, Field.TUN_IPV6_DST, Field.TUN_FLAGS));
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) SETTABLE.add(Field.valueOf("TUN_METADATA" + n));   // a Geneve port sends them
        SETTABLE.add(Field.IN_PORT);        // the key's only: OVN's push/load 0/pop of in_port around a loopback output
    }

    // ---------------------------------------------------------------- decoding

    /** Decodes the action list that fills r. */
    public static List<Action> decodeActions(Wire.Reader r, int version) {
        List<Action> out = new ArrayList<>();
        while (r.remaining() > 0) {
            if (r.remaining() < 8) throw OfError.BAD_ACTION_LEN.fail("action list has " + r.remaining() + " stray bytes");
            int type = r.u16(), len = r.u16();
            if (len < 8 || len % 8 != 0) throw OfError.BAD_ACTION_LEN.fail("action type " + type + " has length " + len);
            Wire.Reader a = r.sub(len - 4, OfError.BAD_ACTION_LEN, "action type", type);
            out.add(version == OfVersion.OF10 ? decode10(type, len, a) : decode11(type, len, a, version));
        }
        return out;
    }

    /** Set while a packet-out's actions are decoded: output:TABLE is allowed there (and only there). */
    private static final ThreadLocal<boolean[]> PACKET_OUT = ThreadLocal.withInitial(() -> new boolean[1]);

    /** A packet-out's action list: as {@link #decodeActions}, and output:TABLE is resubmit(,0) (Resubmit.outputTable). */
    public static List<Action> decodePacketOutActions(Wire.Reader r, int version) {
        boolean[] on = PACKET_OUT.get();
        on[0] = true;
        try {
            return decodeActions(r, version);
        } finally {
            on[0] = false;
        }
    }

    private static void expectLen(int type, int len, int want) {
        if (len != want) throw OfError.BAD_ACTION_LEN.fail("action type " + type + " has length " + len + " (expected " + want + ")");
    }

    private static Action output(int port, int maxLen) {
        return switch (port) {
            case Ports.CONTROLLER -> new Controller(maxLen);
            case Ports.TABLE -> {
                if (!PACKET_OUT.get()[0]) throw OfError.BAD_OUT_PORT.fail("output to TABLE is only allowed in a packet_out");
                yield Resubmit.outputTable();
            }
            case Ports.IN_PORT -> new InPort();
            case Ports.NORMAL -> new Normal();
            case Ports.FLOOD -> new Flood(false);
            case Ports.ALL -> new Flood(true);
            default -> {
                if (port == 0 || port >= Ports.MAX) throw OfError.BAD_OUT_PORT.fail("output to port 0x" + Integer.toHexString(port) + " is not supported by xvio");
                yield new Output(port);
            }
        };
    }

    private static Action decode10(int type, int len, Wire.Reader a) {
        switch (type) {
            case OUTPUT -> { expectLen(type, len, 8); int p = a.u16(), maxLen = a.u16(); return output(p, maxLen); }
            case SET_VLAN_VID10 -> {
                expectLen(type, len, 8);
                int vid = a.u16();
                if (vid > 0xfff) throw OfError.BAD_ACTION_ARGUMENT.fail("set_vlan_vid " + vid + " out of range");
                return new SetField(Field.VLAN_TCI, vid | FlowKey.VLAN_PRESENT, 0x0fff | FlowKey.VLAN_PRESENT);
            }
            case SET_VLAN_PCP10 -> {
                expectLen(type, len, 8);
                int pcp = a.u8();
                if (pcp > 7) throw OfError.BAD_ACTION_ARGUMENT.fail("set_vlan_pcp " + pcp + " out of range");
                return new SetField(Field.VLAN_TCI, pcp << 13 | FlowKey.VLAN_PRESENT, 0xe000 | FlowKey.VLAN_PRESENT);
            }
            case STRIP_VLAN10 -> { expectLen(type, len, 8); return new StripVlan(); }
            case SET_DL_SRC10, SET_DL_DST10 -> {
                expectLen(type, len, 16);
                Field f = type == SET_DL_SRC10 ? Field.DL_SRC : Field.DL_DST;
                return new SetField(f, a.uN(6), f.fullMask());
            }
            case SET_NW_SRC10, SET_NW_DST10 -> {
                expectLen(type, len, 8);
                Field f = type == SET_NW_SRC10 ? Field.NW_SRC : Field.NW_DST;
                return new SetField(f, a.u32(), f.fullMask());
            }
            case SET_NW_TOS10 -> {
                expectLen(type, len, 8);
                int tos = a.u8();
                if ((tos & 3) != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("set_nw_tos " + tos + ": ECN bits set");
                return new SetField(Field.NW_TOS, tos, Field.NW_TOS.fullMask());
            }
            case SET_TP_SRC10, SET_TP_DST10 -> {
                expectLen(type, len, 8);
                Field f = type == SET_TP_SRC10 ? Field.TP_SRC : Field.TP_DST;
                return new SetField(f, a.u16(), f.fullMask());
            }
            case VENDOR -> { return vendor(len, a, OfVersion.OF10); }
            default -> throw OfError.BAD_ACTION_TYPE.fail("OpenFlow 1.0 action type " + type + " is not supported by xvio");
        }
    }

    private static Action decode11(int type, int len, Wire.Reader a, int version) {
        switch (type) {
            case OUTPUT -> { expectLen(type, len, 16); int p = Ports.read(a, version), maxLen = a.u16(); a.skip(6); return output(p, maxLen); }
            case GROUP -> {
                expectLen(type, len, 8);
                long id = a.u32();
                if (id > io.xvio.datapath.Group.MAX_ID) throw OfError.BAD_ACTION_ARGUMENT.fail("group " + id + " is outside 0.." + io.xvio.datapath.Group.MAX_ID);
                return new GroupAction(id);
            }
            case PUSH_VLAN -> {
                expectLen(type, len, 8);
                int et = a.u16();
                if (et != 0x8100 && et != 0x88a8) throw OfError.BAD_ACTION_ARGUMENT.fail("push_vlan ethertype 0x" + Integer.toHexString(et));
                return new PushVlan(et);
            }
            case POP_VLAN -> { expectLen(type, len, 8); return new StripVlan(); }
            case DEC_NW_TTL -> { expectLen(type, len, 8); return new DecTtl(); }
            case SET_NW_TTL -> { expectLen(type, len, 8); return new SetField(Field.NW_TTL, a.u8(), Field.NW_TTL.fullMask()); }
            case SET_FIELD -> {
                Oxm.Bits b = Oxm.readEntry(a, OfError.BAD_SET_TYPE);
                if (version < OfVersion.OF15 && b.entry().kind() != Oxm.Kind.VLAN_PCP && b.entry().kind() != Oxm.Kind.DSCP
                        && !fullMask(b)) throw OfError.BAD_SET_ARGUMENT.fail("set_field with a mask needs OpenFlow 1.5");
                return setField(b);
            }
            case COPY_FIELD15 -> {
                if (version < OfVersion.OF15) throw OfError.BAD_ACTION_TYPE.fail("copy_field needs OpenFlow 1.5");
                expectLen(type, len, 24);
                int n = a.u16(), srcOfs = a.u16(), dstOfs = a.u16();
                a.skip(2);
                return move(a.u32(), srcOfs, a.u32(), dstOfs, n);
            }
            case METER15 -> {
                if (version < OfVersion.OF15) throw OfError.BAD_ACTION_TYPE.fail("the meter action needs OpenFlow 1.5 (1.3 and 1.4 have the meter instruction)");
                expectLen(type, len, 8);
                return meter(a.u32());
            }
            case VENDOR -> { return vendor(len, a, version); }
            default -> throw OfError.BAD_ACTION_TYPE.fail("OpenFlow action type " + type + " is not supported by xvio");
        }
    }

    private static boolean fullMask(Oxm.Bits b) {
        Field f = b.entry().target();
        if (f.words() == 2) return b.mask() == -1L && b.maskLo() == -1L;
        if (b.entry().kind() == Oxm.Kind.VLAN_VID) return b.mask() == 0x1fff;
        return b.mask() == f.fullMask();
    }

    /** Set while decoding a ct action's nested actions: only there may ct_mark and ct_label be set. */
    static final ThreadLocal<boolean[]> IN_CT = ThreadLocal.withInitial(() -> new boolean[1]);

    private static boolean settable(Field f) {
        return SETTABLE.contains(f) || (IN_CT.get()[0] && (f == Field.CT_MARK || f == Field.CT_LABEL));
    }

    private static Action setField(Oxm.Bits b) {
        Field f = b.entry().target();
        ActionPrereqs.note(b.entry());
        if ((f == Field.CT_MARK || f == Field.CT_LABEL) && !IN_CT.get()[0])
            throw OfError.BAD_SET_ARGUMENT.fail("cannot set CT fields outside of ct action");
        if (!settable(f)) throw OfError.BAD_SET_TYPE.fail("set_field: " + f.ofName + " cannot be set by xvio");
        if (b.entry().kind() == Oxm.Kind.VLAN_VID) {
            if ((b.value() & FlowKey.VLAN_PRESENT) == 0) throw OfError.BAD_SET_ARGUMENT.fail("set_field vlan_vid needs OFPVID_PRESENT");
            return ActionPrereqs.noteNeedsTag(new SetField(Field.VLAN_TCI, b.value(), b.mask() | FlowKey.VLAN_PRESENT), "vlan_vid");
        }
        SetField sf = new SetField(f, b.value(), b.mask(), b.valueLo(), b.maskLo());
        return b.entry().kind() == Oxm.Kind.VLAN_PCP ? ActionPrereqs.noteNeedsTag(sf, "vlan_pcp") : sf;
    }

    /** Clones nest action lists: deeper than this is refused (OVS's own limit on nesting is the message size). */
    static final int MAX_CLONE_DEPTH = 16;
    private static final ThreadLocal<int[]> CLONE_DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    /** A subfield of at most 64 bits a push, pop or output_reg names. */
    private static Field readSubfield(long header, int ofs, int n, boolean dst, String what) {
        Field f = packetField(header, what);
        if (n < 1 || n > 64 || ofs + n > f.bits || f.words() == 2)
            throw OfError.BAD_SET_LEN.fail(what + ": bits " + ofs + ".." + (ofs + n - 1) + " of " + f.ofName + " are not supported");
        if (dst && !SETTABLE.contains(f)) throw OfError.BAD_SET_TYPE.fail(what + ": " + f.ofName + " cannot be set by xvio");
        return f;
    }

    private static Action vendor(int len, Wire.Reader a, int version) {
        long vendor = a.u32();
        if (vendor != OfVersion.NX_VENDOR) throw OfError.BAD_VENDOR.fail("action vendor 0x" + Long.toHexString(vendor) + " is not supported");
        int sub = a.u16();
        if (version >= OfVersion.OF15 && (sub == NX_REG_LOAD || sub == NX_REG_MOVE || sub == NX_REG_LOAD2))
            throw OfError.BAD_ACTION_VENDOR_TYPE.fail("Nicira action subtype " + sub + " does not exist in OpenFlow 1.5 (set_field and copy_field replace it)");
        switch (sub) {
            case NX_CONTROLLER2 -> { return controller2(a); }
            case NX_CONTROLLER -> { return controller1(len, a); }
            case OfLearn.NX_LEARN, OfLearn.NX_LEARN2 -> { return OfLearn.decode(sub, len, a); }
            case NX_RESUBMIT, NX_RESUBMIT_TABLE -> {
                expectLen(sub, len, 16);
                int port = a.u16(), table = sub == NX_RESUBMIT ? 255 : a.u8();
                return new Resubmit(port == Ports.IN_PORT ? -1 : port, table == 255 ? -1 : table);
            }
            case NX_DEC_TTL -> { expectLen(sub, len, 16); return new DecTtl(); }
            case NX_DEC_TTL_CNT_IDS -> {
                // nx_action_cnt_ids: n_controllers, 4 zero bytes, the ids (u16 each), padded to 8 bytes; ovn-controller's
                // ip.ttl-- has no ids (no packet-in when the TTL runs out)
                int n = a.u16();
                if (len != 16 + (2 * n + 7) / 8 * 8) throw OfError.BAD_ACTION_LEN.fail("dec_ttl with " + n + " controller ids has length " + len);
                a.skip(4);
                List<Integer> ids = new ArrayList<>(n);
                for (int k = 0; k < n; k++) ids.add(a.u16());
                a.skip(len - 16 - 2 * n);
                return new DecTtl(ids, true);
            }
            case NX_CT_CLEAR -> { expectLen(sub, len, 16); a.skip(6); return new CtClear(); }
            case OfConntrack.NX_CT -> {
                return OfConntrack.decode(len, a, version, (h, bits) -> {
                    Field f = packetField(h, "ct zone");
                    if (bits > f.bits) throw OfError.BAD_SET_LEN.fail("ct zone: bits beyond " + f.ofName);
                    return f;
                });
            }
            case NX_CONJUNCTION -> {
                expectLen(sub, len, 16);
                int k = a.u8() + 1, n = a.u8();
                long id = a.u32();
                if (n < 2 || n > 64 || k > n) throw OfError.BAD_ACTION_ARGUMENT.fail("conjunction clause " + k + "/" + n + ": needs 1 <= K <= N, 2 <= N <= 64");
                return new Conjunction(id, k, n);
            }
            case NX_NOTE -> {
                if (len < 16) throw OfError.BAD_ACTION_LEN.fail("note has length " + len);
                StringBuilder hex = new StringBuilder();
                for (int i = 0; i < len - 10; i++) hex.append(i > 0 ? "." : "").append(String.format("%02x", a.u8()));
                return new Note(hex.toString());
            }
            case NX_OUTPUT_REG -> {
                expectLen(sub, len, 24);
                int ofsBits = a.u16();
                int ofs = ofsBits >>> 6, n = (ofsBits & 63) + 1;
                Field f = readSubfield(a.u32(), ofs, n, false, "output_reg");
                if (n > 16) throw OfError.BAD_ACTION_ARGUMENT.fail("output_reg: a port field is at most 16 bits, not " + n);
                a.skip(8);
                return new OutputReg(f, ofs, n);
            }
            case NX_STACK_PUSH, NX_STACK_POP -> {
                expectLen(sub, len, 24);
                int ofs = a.u16();
                long header = a.u32();
                int n = a.u16();
                a.skip(6);
                // a whole 128-bit field, or bits within one half of an xxreg (as that xreg's), as the flow parser takes them
                Field f0 = packetField(header, sub == NX_STACK_PUSH ? "push" : "pop");
                if (n >= 1 && ofs + n <= f0.bits && f0.words() == 2) {
                    Subfield s = new Subfield(f0, f0.ofName, ofs, n).narrowed();
                    if (s.field() != f0 || (ofs == 0 && n == 128)) {
                        if (sub == NX_STACK_POP && !SETTABLE.contains(s.field())) throw OfError.BAD_SET_TYPE.fail("pop: " + f0.ofName + " cannot be set by xvio");
                        return sub == NX_STACK_PUSH ? new StackPush(s.field(), s.ofs(), n) : new StackPop(s.field(), s.ofs(), n);
                    }
                }
                Field f = readSubfield(header, ofs, n, sub == NX_STACK_POP, sub == NX_STACK_PUSH ? "push" : "pop");
                return sub == NX_STACK_PUSH ? new StackPush(f, ofs, n) : new StackPop(f, ofs, n);
            }
            case NX_CLONE -> {
                if (len < 16) throw OfError.BAD_ACTION_LEN.fail("clone has length " + len);
                a.skip(6);
                int[] depth = CLONE_DEPTH.get();
                if (depth[0] >= MAX_CLONE_DEPTH) throw OfError.BAD_ACTION_ARGUMENT.fail("clone nested deeper than " + MAX_CLONE_DEPTH);
                depth[0]++;
                try {
                    List<Action> inner = decodeActions(a, version);
                    for (Action x : inner)
                        if (!Clone.canHold(x))
                            throw OfError.BAD_ACTION_ARGUMENT.fail("clone cannot hold " + x.format());
                    return new Clone(inner);
                } finally {
                    depth[0]--;
                }
            }
            case NX_CHECK_PKT_LARGER -> {
                expectLen(sub, len, 24);
                int pktLen = a.u16(), ofs = a.u16();
                Field dst = subfield(a.u32(), ofs, 1, true);
                a.skip(6);
                return new CheckPktLarger(pktLen, dst, ofs);
            }
            case NX_REG_MOVE -> {
                expectLen(sub, len, 24);
                int n = a.u16(), srcOfs = a.u16(), dstOfs = a.u16();
                return move(a.u32(), srcOfs, a.u32(), dstOfs, n);
            }
            case NX_REG_LOAD -> {
                expectLen(sub, len, 24);
                int ofsBits = a.u16();
                int ofs = ofsBits >>> 6, n = (ofsBits & 63) + 1;
                Field dst = subfield(a.u32(), ofs, n, true);
                long v = a.u64();
                if (n < 64 && (v >>> n) != 0) throw OfError.BAD_ACTION_ARGUMENT.fail("load: value 0x" + Long.toHexString(v) + " does not fit " + n + " bits");
                return load(dst, ofs, n, v);
            }
            case NX_REG_LOAD2 -> {
                Oxm.Bits b = Oxm.readEntry(a, OfError.BAD_SET_TYPE);
                return setField(b);
            }
            case NX_WRITE_METADATA -> {
                expectLen(sub, len, 32);
                a.skip(6);
                long v = a.u64(), m = a.u64();
                return new WriteMetadata(v & m, m);
            }
            default -> throw OfError.BAD_ACTION_VENDOR_TYPE.fail("Nicira action subtype " + sub + " is not supported by xvio");
        }
    }

    /** The field an unmasked NXM/OXM header names (a plain field), for what (the action, in the error). */
    static Field nxmField(long header, String what) { return nxmEntry(header, what).target(); }

    /** As {@link #nxmField}, for a field the action reads or writes in the packet: its prerequisite is noted ({@link ActionPrereqs}). */
    private static Field packetField(long header, String what) {
        Oxm.Entry e = nxmEntry(header, what);
        ActionPrereqs.note(e);
        return e.target();
    }

    private static Oxm.Entry nxmEntry(long header, String what) {
        int cls = (int) (header >>> 16), field = (int) (header >>> 9) & 0x7f;
        if (cls == Oxm.NXM1 && field >= Oxm.TUN_METADATA_FIELD && field < Oxm.TUN_METADATA_FIELD + Oxm.TUN_METADATA_FIELDS)
            Oxm.checkMapped(field - Oxm.TUN_METADATA_FIELD);   // any length: tun_metadataN's is variable (OVS ignores it)
        Oxm.Entry e = Oxm.entry(cls, field);
        if (e == null || (header & 0x100) != 0 || (e.kind() != Oxm.Kind.PLAIN && e.kind() != Oxm.Kind.SMALL && e.kind() != Oxm.Kind.WIDE
                && e.kind() != Oxm.Kind.VARIABLE))
            throw OfError.BAD_SET_TYPE.fail(what + ": field header 0x" + Long.toHexString(header) + " is not supported by xvio");
        return e;
    }

    /** The field an NXM header names for move/load, checked to hold bits [ofs, ofs+n). */
    private static Field subfield(long header, int ofs, int n, boolean dst) {
        Field f = packetField(header, "move/load");
        int mapped = f.presentBit() != 0 ? TlvLengths.mapped(f.word - FlowKey.TUN_METADATA0) : 0;
        int bits = mapped > 0 ? 8 * mapped : f.bits;           // tun_metadataN: as wide as its mapped option
        if (n < 1 || ofs + n > bits || f.words() == 2 && n > 64)
            throw OfError.BAD_SET_LEN.fail("move/load: bits " + ofs + ".." + (ofs + n - 1) + " are outside " + f.ofName + " (" + bits + " bits)");
        if (dst && !settable(f)) throw OfError.BAD_SET_TYPE.fail("move/load: " + f.ofName + " cannot be set by xvio");
        if (f.words() == 2 && !dst) throw OfError.BAD_SET_TYPE.fail("move: 128-bit source " + f.ofName + " is not supported by xvio");
        if (f.words() == 2 && ofs < 64 && ofs + n > 64) throw OfError.BAD_SET_LEN.fail("load: a range across the halves of " + f.ofName + " is not supported by xvio");
        return f;
    }

    /**
     * A move between two subfields of at most 64 bits; an xxreg range within one 64-bit half is that xreg's
     * (ovn-controller's {@code move:reg10[12]->xxreg0[111]}), as the flow parser narrows it.
     */
    private static Action move(long srcHeader, int srcOfs, long dstHeader, int dstOfs, int n) {
        if (n == 128 && srcOfs == 0 && dstOfs == 0) {           // all of one 128-bit field into another (OVN: xxreg0 = ip6.dst)
            Field src = packetField(srcHeader, "move"), dst = packetField(dstHeader, "move");
            if (src.words() == 2 && dst.words() == 2 && dst != Field.CT_LABEL) {
                if (!settable(dst)) throw OfError.BAD_SET_TYPE.fail("move: " + dst.ofName + " cannot be set by xvio");
                return new Move(src, 0, dst, 0, 128);
            }
        }
        Subfield s = moveEnd(srcHeader, srcOfs, n, false), d = moveEnd(dstHeader, dstOfs, n, true);
        return new Move(s.field(), s.ofs(), d.field(), d.ofs(), n);
    }

    private static Subfield moveEnd(long header, int ofs, int n, boolean dst) {
        Field f = packetField(header, "move");
        if (n >= 1 && ofs + n <= f.bits) {
            Subfield s = new Subfield(f, f.ofName, ofs, n).narrowed();
            if (s.field() != f) {
                if (dst && !settable(s.field())) throw OfError.BAD_SET_TYPE.fail("move: " + f.ofName + " cannot be set by xvio");
                return s;
            }
        }
        return new Subfield(subfield(header, ofs, n, dst), f.ofName, ofs, n);
    }

    private static Action load(Field f, int ofs, int n, long v) {
        long m = n == 64 ? -1L : (1L << n) - 1;
        if (f.words() == 2) {   // 128-bit field: bits 64..127 are the first word
            return ofs >= 64 ? new SetField(f, v << (ofs - 64), m << (ofs - 64), 0, 0)
                    : new SetField(f, 0, 0, v << ofs, m << ofs);
        }
        return new SetField(f, f.put(v << ofs), f.put(m << ofs));
    }

    /** Decodes OpenFlow 1.1+ instructions (the rest of r) into the action list OVS would show. */
    public static List<Action> decodeInstructions(Wire.Reader r, int version) {
        List<Action> apply = List.of();
        Action meta = null, gotoT = null, meterI = null;
        boolean sawApply = false;
        while (r.remaining() > 0) {
            if (r.remaining() < 4) throw OfError.BAD_INST_LEN.fail("instructions have " + r.remaining() + " stray bytes");
            int type = r.u16(), len = r.u16();
            if (len < 8 || len % 8 != 0) throw OfError.BAD_INST_LEN.fail("instruction type " + type + " has length " + len);
            Wire.Reader in = r.sub(len - 4, OfError.BAD_INST_LEN, "instruction", type);
            switch (type) {
                case IT_APPLY_ACTIONS -> {
                    if (sawApply) throw OfError.UNSUP_INST.fail("apply_actions appears twice");
                    sawApply = true;
                    in.skip(4);
                    apply = decodeActions(in, version);
                }
                case IT_GOTO_TABLE -> {
                    if (len != 8 || gotoT != null) throw OfError.BAD_INST_LEN.fail("goto_table instruction has length " + len);
                    int t = in.u8();
                    if (t >= io.xvio.datapath.Flow.TABLES) throw OfError.BAD_INST_TABLE_ID.fail("goto_table:" + t);
                    gotoT = new GotoTable(t);
                }
                case IT_WRITE_METADATA -> {
                    if (len != 24 || meta != null) throw OfError.BAD_INST_LEN.fail("write_metadata instruction has length " + len);
                    in.skip(4);
                    long v = in.u64(), m = in.u64();
                    meta = new WriteMetadata(v & m, m);
                }
                case IT_METER -> {
                    if (len != 8 || meterI != null) throw OfError.BAD_INST_LEN.fail("meter instruction has length " + len);
                    meterI = meter(in.u32());
                }
                case IT_WRITE_ACTIONS, IT_CLEAR_ACTIONS -> throw OfError.UNSUP_INST.fail("instruction type " + type + " (write_actions, clear_actions) is not supported by xvio");
                default -> throw OfError.UNKNOWN_INST.fail("unknown instruction type " + type);
            }
        }
        if (meterI == null && meta == null && gotoT == null) return apply;
        List<Action> out = new ArrayList<>(apply.size() + 3);
        if (meterI != null) out.add(meterI);                  // the meter instruction runs first (OpenFlow 1.3 5.2)
        out.addAll(apply);
        if (meta != null) out.add(meta);
        if (gotoT != null) out.add(gotoT);
        return out;
    }

    // ---------------------------------------------------------------- encoding

    /** Writes actions for an OpenFlow 1.0 action list (write_metadata as Nicira's; goto_table has no 1.0 form). */
    public static void encodeActions(List<Action> actions, int version, Wire.Writer w) {
        for (Action a : actions) encode(a, version, w);
    }

    /** Writes 1.1+ instructions: apply_actions with the actions, then write_metadata, then goto_table. */
    public static void encodeInstructions(List<Action> actions, int version, Wire.Writer w) {
        List<Action> apply = new ArrayList<>();
        WriteMetadata meta = null;
        GotoTable gotoT = null;
        for (Action a : actions) {
            if (a instanceof Meter m && version < OfVersion.OF15) w.u16(IT_METER).u16(8).u32(m.id());   // 1.3/1.4: an instruction
            else if (a instanceof WriteMetadata m) meta = m;
            else if (a instanceof GotoTable g) gotoT = g;
            else apply.add(a);
        }
        if (!apply.isEmpty()) {
            int start = w.size();
            w.u16(IT_APPLY_ACTIONS).u16(0).zeros(4);
            for (Action a : apply) encode(a, version, w);
            w.put16(start + 2, w.size() - start);
        }
        if (meta != null) w.u16(IT_WRITE_METADATA).u16(24).zeros(4).u64(meta.value()).u64(meta.mask());
        if (gotoT != null) w.u16(IT_GOTO_TABLE).u16(8).u8(gotoT.table()).zeros(3);
    }

    private static void output(int port, int version, Wire.Writer w) {
        if (version == OfVersion.OF10) w.u16(OUTPUT).u16(8).u16(port).u16(0);
        else w.u16(OUTPUT).u16(16).u32(Ports.to32(port)).u16(0).zeros(6);
    }

    /**
     * NXAST_CONTROLLER (OVS's decode_NXAST_RAW_CONTROLLER): max_len, controller id and reason in 16 bytes, what OVS
     * sends for a controller(...) with a reason or an id and nothing else.
     */
    private static Action controller1(int len, Wire.Reader a) {
        expectLen(NX_CONTROLLER, len, 16);
        int maxLen = a.u16(), id = a.u16(), reason = a.u8();
        if (a.u8() != 0) throw OfError.MUST_BE_ZERO.fail("NXAST_CONTROLLER's last byte is not zero");
        return controller(maxLen, reason, id, null, false, Controller.NO_METER);
    }

    private static Action controller(int maxLen, int reason, int id, String userdata, boolean pause, long meter) {
        if (reason >= Controller.REASONS.size())
            throw OfError.BAD_ACTION_ARGUMENT.fail("controller reason " + reason + " (xvio knows 0.." + (Controller.REASONS.size() - 1) + ": " + String.join(", ", Controller.REASONS) + ")");
        return new Controller(maxLen, reason, id, userdata, pause, meter);
    }

    /**
     * NXAST_CONTROLLER2 (OVS's decode_NXAST_RAW_CONTROLLER2): properties max_len, controller id, reason, userdata,
     * pause, meter_id. A 16- or 8-bit value may come in a longer property (OVS writes u16 properties 8 bytes long and
     * reads them as forgivingly); meter_id is exactly 4 bytes, pause has none.
     */
    private static Action controller2(Wire.Reader a) {
        for (byte z : a.bytes(6)) if (z != 0) throw OfError.MUST_BE_ZERO.fail("NXAST_CONTROLLER2 pad is not zero");
        int maxLen = 0xffff, id = 0, reason = Controller.ACTION;
        long meter = Controller.NO_METER;
        String userdata = null;
        boolean pause = false;
        while (a.remaining() > 0) {
            if (a.remaining() < 4) throw OfError.PROP_BAD_LEN.fail("NXAST_CONTROLLER2 ends in " + a.remaining() + " stray bytes");
            int type = a.u16(), len = a.u16();
            if (len < 4) throw OfError.PROP_BAD_LEN.fail("NXAST_CONTROLLER2 property " + type + " of length " + len);
            Wire.Reader v = a.sub(len - 4, OfError.PROP_BAD_LEN, "NXAST_CONTROLLER2 property", type);
            a.skip(Math.min((8 - len % 8) % 8, a.remaining()));
            switch (type) {
                case 0 -> maxLen = atLeast(v, 2).u16();
                case 1 -> id = atLeast(v, 2).u16();
                case 2 -> reason = atLeast(v, 1).u8();
                case 3 -> {
                    byte[] u = new byte[v.remaining()];
                    for (int k = 0; k < u.length; k++) u[k] = (byte) v.u8();
                    userdata = Controller.hex(u);
                }
                case 4 -> {
                    exactly(v, 0);
                    pause = true;
                }
                case 5 -> meter = exactly(v, 4).u32();
                default -> throw OfError.PROP_BAD_TYPE.fail("NXAST_CONTROLLER2 property type " + type);
            }
        }
        return controller(maxLen, reason, id, userdata, pause, meter);
    }

    private static Wire.Reader exactly(Wire.Reader v, int n) {
        if (v.remaining() != n) throw OfError.PROP_BAD_LEN.fail("NXAST_CONTROLLER2 property of " + v.remaining() + " bytes (" + n + ")");
        return v;
    }

    private static Wire.Reader atLeast(Wire.Reader v, int n) {
        if (v.remaining() < n) throw OfError.PROP_BAD_LEN.fail("NXAST_CONTROLLER2 property of " + v.remaining() + " bytes (at least " + n + ")");
        return v;
    }

    private static int nx(Wire.Writer w, int len, int sub) {
        int start = w.size();
        w.u16(VENDOR).u16(len).u32(OfVersion.NX_VENDOR).u16(sub);
        return start;
    }

    static void encode(Action a, int version, Wire.Writer w) {
        boolean of10 = version == OfVersion.OF10;
        switch (a) {
            case Output o -> output(o.port(), version, w);
            case InPort i -> output(Ports.IN_PORT, version, w);
            case Normal n -> output(Ports.NORMAL, version, w);
            case Flood f -> output(f.all() ? Ports.ALL : Ports.FLOOD, version, w);
            case StripVlan s -> w.u16(of10 ? STRIP_VLAN10 : POP_VLAN).u16(8).zeros(4);
            case PushVlan p -> { if (!of10) w.u16(PUSH_VLAN).u16(8).u16(p.ethertype()).zeros(2); }   // 1.0: implied by mod_vlan_vid
            case DecTtl d when !d.plain() -> {
                int pad = (2 * d.ids().size() + 7) / 8 * 8;
                nx(w, 16 + pad, NX_DEC_TTL_CNT_IDS);
                w.u16(d.ids().size()).zeros(4);
                for (int id : d.ids()) w.u16(id);
                w.zeros(pad - 2 * d.ids().size());
            }
            case DecTtl d -> {
                if (of10) { nx(w, 16, NX_DEC_TTL); w.zeros(6); } else w.u16(DEC_NW_TTL).u16(8).zeros(4);
            }
            case Resubmit r -> {
                if (r.table() < 0 && r.port() >= 0) { nx(w, 16, NX_RESUBMIT); w.u16(r.port()).zeros(4); }
                else { nx(w, 16, NX_RESUBMIT_TABLE); w.u16(r.port() < 0 ? Ports.IN_PORT : r.port()).u8(r.table() < 0 ? 255 : r.table()).zeros(3); }
            }
            case Move m when version >= OfVersion.OF15 ->
                w.u16(COPY_FIELD15).u16(24).u16(m.nBits()).u16(m.srcOfs()).u16(m.dstOfs()).zeros(2)
                        .u32(header(m.src())).u32(header(m.dst())).zeros(4);
            case Move m -> {
                nx(w, 24, NX_REG_MOVE);
                w.u16(m.nBits()).u16(m.srcOfs()).u16(m.dstOfs()).u32(header(m.src())).u32(header(m.dst()));
            }
            case WriteMetadata m -> {
                if (of10) { nx(w, 32, NX_WRITE_METADATA); w.zeros(6).u64(m.value()).u64(m.mask()); }
            }
            case GotoTable g -> { }   // OpenFlow 1.0 has no goto_table (as OVS, nothing is written)
            case SetField s -> setField(s, version, w);
            case GroupAction g -> { if (!of10) w.u16(GROUP).u16(8).u32(g.id()); }   // 1.0 has no groups
            case Conjunction c -> { nx(w, 16, NX_CONJUNCTION); w.u8(c.clause() - 1).u8(c.nClauses()).u32(c.id()); }
            case Note n -> {
                String[] bytes = n.hex().split("\\.");
                int len = 10 + bytes.length;                        // the note is already padded to 6 + 8k bytes
                nx(w, len, NX_NOTE);
                for (String b : bytes) w.u8(Integer.parseInt(b, 16));
            }
            // OVS's encode_CONTROLLER: NXAST_CONTROLLER2 for userdata, pause or a meter; NXAST_CONTROLLER for a reason
            // or an id; else output:CONTROLLER
            case Controller c when c.userdata() != null || c.pause() || c.meterId() != Controller.NO_METER -> {
                int start = nx(w, 0, NX_CONTROLLER2);
                w.zeros(6);
                if (c.maxLen() != 0xffff) w.u16(0).u16(8).u16(c.maxLen()).zeros(2);
                if (c.id() != 0) w.u16(1).u16(8).u16(c.id()).zeros(2);
                if (c.reason() != Controller.ACTION) w.u16(2).u16(5).u8(c.reason()).zeros(3);
                if (c.userdata() != null) {
                    byte[] u = Controller.bytes(c.userdata());
                    w.u16(3).u16(4 + u.length).bytes(u).pad8(start);
                }
                if (c.pause()) w.u16(4).u16(4).zeros(4);
                if (c.meterId() != Controller.NO_METER) w.u16(5).u16(8).u32(c.meterId());
                w.put16(start + 2, w.size() - start);
            }
            case Controller c when !c.plain() -> {
                nx(w, 16, NX_CONTROLLER);
                w.u16(c.maxLen()).u16(c.id()).u8(c.reason()).u8(0);
            }
            case Controller c -> {
                if (of10) w.u16(OUTPUT).u16(8).u16(Ports.CONTROLLER).u16(c.maxLen());
                else w.u16(OUTPUT).u16(16).u32(Ports.to32(Ports.CONTROLLER)).u16(c.maxLen()).zeros(6);
            }
            case CtClear c -> { nx(w, 16, NX_CT_CLEAR); w.zeros(6); }
            case OutputReg o -> {
                nx(w, 24, NX_OUTPUT_REG);
                w.u16((o.ofs() << 6) | (o.nBits() - 1)).u32(header(o.field())).u16(0xffff).zeros(6);
            }
            case Clone c -> {
                int start = nx(w, 0, NX_CLONE);
                w.zeros(6);
                for (Action x : c.actions()) encode(x, version, w);
                w.put16(start + 2, w.size() - start);
            }
            case StackPush p -> { nx(w, 24, NX_STACK_PUSH); w.u16(p.ofs()).u32(header(p.field())).u16(p.nBits()).zeros(6); }
            case StackPop p -> { nx(w, 24, NX_STACK_POP); w.u16(p.ofs()).u32(header(p.field())).u16(p.nBits()).zeros(6); }
            case Ct c -> OfConntrack.encode(c, version, w, OfActions::header);
            case Meter m -> { if (version >= OfVersion.OF15) w.u16(METER15).u16(8).u32(m.id()); }   // 1.0 has no meters
            case Learn l -> OfLearn.encode(l, w);
            case CheckPktLarger c -> { nx(w, 24, NX_CHECK_PKT_LARGER); w.u16(c.pktLen()).u16(c.ofs()).u32(header(c.field())).zeros(6); }
        }
    }

    static long header(Field f) {
        if (f.presentBit() != 0) return Oxm.variableHeader(f);
        for (Oxm.Entry e : Oxm.ENTRIES)
            if (e.target() == f && (e.kind() == Oxm.Kind.PLAIN || e.kind() == Oxm.Kind.SMALL || e.kind() == Oxm.Kind.WIDE) && e.cls() != Oxm.BASIC) return e.header(false) & 0xffffffffL;
        for (Oxm.Entry e : Oxm.ENTRIES) if (e.target() == f && e.kind() == Oxm.Kind.PLAIN) return e.header(false) & 0xffffffffL;
        throw new IllegalStateException("no header for " + f);
    }

    private static void setField(SetField s, int version, Wire.Writer w) {
        Field f = s.field();
        boolean of10 = version == OfVersion.OF10;
        long v = f.get(s.value()), k = f.get(s.mask());
        if (f == Field.VLAN_TCI && (s.value() & FlowKey.VLAN_PRESENT) != 0) {
            long m = s.mask() & 0xffff;
            if (m == (0x0fff | FlowKey.VLAN_PRESENT) || m == (0xe000 | FlowKey.VLAN_PRESENT)) {
                boolean vid = m == (0x0fff | FlowKey.VLAN_PRESENT);
                if (of10) {
                    if (vid) w.u16(SET_VLAN_VID10).u16(8).u16((int) (v & 0xfff)).zeros(2);
                    else w.u16(SET_VLAN_PCP10).u16(8).u8((int) (v >>> 13) & 7).zeros(3);
                } else if (vid) {
                    setFieldTlv(w, Oxm.entry(Oxm.BASIC, 6), v & 0x1fff, 0, 0, -1, false);
                } else {
                    setFieldTlv(w, Oxm.entry(Oxm.BASIC, 7), (v >>> 13) & 7, 0, 0, -1, false);
                }
                return;
            }
        }
        if (of10 && f.words() == 1 && k == f.fieldMask()) {
            switch (f) {
                case DL_SRC, DL_DST -> { w.u16(f == Field.DL_SRC ? SET_DL_SRC10 : SET_DL_DST10).u16(16).uN(v, 6).zeros(6); return; }
                case NW_SRC, NW_DST -> { w.u16(f == Field.NW_SRC ? SET_NW_SRC10 : SET_NW_DST10).u16(8).u32(v); return; }
                case TP_SRC, TP_DST -> { w.u16(f == Field.TP_SRC ? SET_TP_SRC10 : SET_TP_DST10).u16(8).u16((int) v).zeros(2); return; }
                case NW_TOS -> { if ((v & 3) == 0) { w.u16(SET_NW_TOS10).u16(8).u8((int) v).zeros(3); return; } }
                default -> { }
            }
        }
        if (f.words() == 1) {
            int ofs = Long.numberOfTrailingZeros(k), n = Long.bitCount(k);
            boolean contiguous = k != 0 && (n == 64 || (k >>> ofs) == (1L << n) - 1);
            boolean whole = k == f.fieldMask() || f == Field.NW_TOS && k == 0xfc;
            if (!whole && contiguous && f != Field.NW_TOS && version < OfVersion.OF15) {          // what ovs-ofctl shows as load:V->FIELD[a..b]
                nx(w, 24, NX_REG_LOAD);
                w.u16(ofs << 6 | (n - 1)).u32(header(f)).u64(v >>> ofs);
                return;
            }
        }
        Oxm.Entry e = pickSetEntry(f);
        long wv = f.words() == 2 ? s.value() : v, wk = f.words() == 2 ? s.mask() : k;
        if (e.kind() == Oxm.Kind.DSCP) { wv >>>= 2; wk >>>= 2; }
        boolean masked = f.words() == 2 ? (s.mask() != -1L || s.maskLo() != -1L)
                : !(wk == (e.kind() == Oxm.Kind.DSCP ? 0x3f : f.fieldMask()));
        if ((masked || of10) && version < OfVersion.OF15) {
            int start = nx(w, 0, NX_REG_LOAD2);
            writeTlv(w, e, wv, wk, s.valueLo(), s.maskLo(), masked);
            w.pad8(start);
            w.put16(start + 2, w.size() - start);
            return;
        }
        setFieldTlv(w, e, wv, wk, s.valueLo(), s.maskLo(), masked);
    }

    private static Oxm.Entry pickSetEntry(Field f) {
        Oxm.Entry nxm = null;
        for (Oxm.Entry e : Oxm.ENTRIES) {
            if (e.target() != f || e.kind() == Oxm.Kind.VLAN_PCP || e.kind() == Oxm.Kind.VLAN_VID || e.kind() == Oxm.Kind.IN_PORT32) continue;
            if (e.cls() == Oxm.BASIC && f != Field.TCP_FLAGS) return e;
            if (nxm == null) nxm = e;
        }
        return nxm;
    }

    private static void setFieldTlv(Wire.Writer w, Oxm.Entry e, long v, long k, long vLo, long kLo, boolean masked) {
        int start = w.size();
        w.u16(SET_FIELD).u16(0);
        writeTlv(w, e, v, k, vLo, kLo, masked);
        w.pad8(start);
        w.put16(start + 2, w.size() - start);
    }

    private static void writeTlv(Wire.Writer w, Oxm.Entry e, long v, long k, long vLo, long kLo, boolean masked) {
        if (e.kind() == Oxm.Kind.VARIABLE) {                    // tun_metadataN: at its mapped length
            Oxm.writeVariable(w, e, v, k);
            return;
        }
        w.u32(e.header(masked) & 0xffffffffL);
        if (e.wire() == 16) {
            w.u64(v).u64(vLo);
            if (masked) w.u64(k).u64(kLo);
        } else {
            w.uN(v, e.wire());
            if (masked) w.uN(k, e.wire());
        }
    }
}
