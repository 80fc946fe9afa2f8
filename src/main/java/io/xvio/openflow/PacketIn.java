package io.xvio.openflow;

import io.xvio.datapath.PacketIns;

import io.xvio.datapath.Field;
import io.xvio.datapath.Match;
import io.xvio.datapath.tunnel.TunnelMetadata;
import io.xvio.packet.FlowKey;

/**
 * A packet-in: the frame (perhaps cut to the controller's max_len; totalLen is its whole length), why it came
 * (reason: OFPR_*, 0 no match / table miss, 1 action, 2 invalid_ttl, 3 action_set, 4 group, 5 packet_out; the last
 * three go to connections before OpenFlow 1.4 as action), the table and cookie of the flow that sent it,
 * and the packet's metadata as a match (in_port always; metadata, registers and pkt_mark when not zero). No buffer
 * ids: xvio sends the frame itself (buffer_id 0xffffffff).
 *
 * <p>Encoded as OFPT_PACKET_IN of OpenFlow 1.0 (no table, cookie or match), 1.3 and 1.4/1.5 (the same layout:
 * OXM match), or as Nicira's NXT_PACKET_IN (NXM match) or NXT_PACKET_IN2 (properties) for a connection that asked
 * for one with NXT_SET_PACKET_IN_FORMAT. userdata: the controller action's (only NXT_PACKET_IN2 carries it), or null.
 */
public record PacketIn(int totalLen, int reason, int table, long cookie, Match match, byte[] data, byte[] userdata) {
    public PacketIn(int totalLen, int reason, int table, long cookie, Match match, byte[] data) {
        this(totalLen, reason, table, cookie, match, data, null);
    }

    public static final long NO_BUFFER = 0xffffffffL;
    /** NXT_SET_PACKET_IN_FORMAT values. */
    public static final int FORMAT_STANDARD = 0, FORMAT_NXT = 1, FORMAT_NXT2 = 2;
    static final int NXT_PACKET_IN = 17, NXT_PACKET_IN2 = 30;
    /** NXT_PACKET_IN2 property types (nicira-ext.h's nx_packet_in2_prop_type). */
    static final int NXPINT_PACKET = 0, NXPINT_FULL_LEN = 1, NXPINT_BUFFER_ID = 2, NXPINT_TABLE_ID = 3, NXPINT_COOKIE = 4,
            NXPINT_REASON = 5, NXPINT_METADATA = 6;

    /** Conntrack fields a packet-in carries when not zero, as OVS's flow metadata. */
    private static final Field[] CT = {Field.CT_STATE, Field.CT_ZONE, Field.CT_MARK, Field.CT_NW_PROTO, Field.CT_NW_SRC, Field.CT_NW_DST,
            Field.CT_TP_SRC, Field.CT_TP_DST};

    /**
     * The match of a packet-in for key words k: what OVS puts in it (flow_get_metadata: the tunnel fields, metadata,
     * registers, pkt_mark and the conntrack fields when not zero; in_port). k holds at least
     * {@link FlowKey#PACKET_WORDS} words.
     */
    public static Match metadata(long[] k) {
        Match m = new Match();
        if (k.length >= FlowKey.WORDS) tunnel(k, m);
        m.set(Field.IN_PORT, k[FlowKey.IN_PORT], Field.IN_PORT.fullMask());
        if (k[FlowKey.METADATA] != 0) m.set(Field.METADATA, k[FlowKey.METADATA], Field.METADATA.fullMask());
        for (int r = 0; r < 16; r++) {
            Field f = Field.valueOf("REG" + r);
            if (f.get(k[f.word]) != 0) m.set(f, k[f.word], f.fullMask());          // word-positioned value and mask
        }
        if (k[FlowKey.PKT_MARK] != 0) m.set(Field.PKT_MARK, k[FlowKey.PKT_MARK], Field.PKT_MARK.fullMask());
        if (k.length < FlowKey.WORDS) return m;
        for (Field f : CT) if (f.get(k[f.word]) != 0) m.set(f, k[f.word], f.fullMask());
        if (k[FlowKey.CT_LABEL_HI] != 0 || k[FlowKey.CT_LABEL_LO] != 0)
            m.setWord(FlowKey.CT_LABEL_HI, k[FlowKey.CT_LABEL_HI], -1L).setWord(FlowKey.CT_LABEL_LO, k[FlowKey.CT_LABEL_LO], -1L);
        return m;
    }

    /**
     * A decapsulated packet's tunnel fields, as OVS's flow_get_metadata gives them: tun_id, tun_flags' public bit
     * (oam), tun_src/tun_dst or tun_ipv6_src/tun_ipv6_dst when set, each Geneve option present (a value 0 too).
     */
    private static void tunnel(long[] k, Match m) {
        if (k[FlowKey.TUN_ID] != 0) m.set(Field.TUN_ID, k[FlowKey.TUN_ID], -1L);
        long misc = k[FlowKey.TUN_MISC];
        long oam = TunnelMetadata.F_OAM;                 // tun_flags' one public bit (OVS's FLOW_TNL_PUB_F_MASK)
        if ((Field.TUN_FLAGS.get(misc) & oam) != 0) m.set(Field.TUN_FLAGS, Field.TUN_FLAGS.put(oam), Field.TUN_FLAGS.put(oam));
        for (Field f : new Field[] {Field.TUN_SRC, Field.TUN_DST}) if (f.get(k[f.word]) != 0) m.set(f, k[f.word], f.fullMask());
        for (int hi : new int[] {FlowKey.TUN_IPV6_SRC_HI, FlowKey.TUN_IPV6_DST_HI})
            if ((k[hi] | k[hi + 1]) != 0) m.setWord(hi, k[hi], -1L).setWord(hi + 1, k[hi + 1], -1L);
        for (int n = 0; n < FlowKey.TUN_METADATA_WORDS; n++) {
            Field f = TUN_METADATA[n];
            if ((misc & f.presentBit()) == 0) continue;
            m.set(f, k[f.word], -1L);
            m.setWord(FlowKey.TUN_MISC, f.presentBit(), f.presentBit());
        }
    }

    private static final Field[] TUN_METADATA = new Field[FlowKey.TUN_METADATA_WORDS];
    static {
        for (int n = 0; n < TUN_METADATA.length; n++) TUN_METADATA[n] = Field.valueOf("TUN_METADATA" + n);
    }

    /**
     * reason as a connection of version sees it (OVS's encode_packet_in_reason): action_set, group and packet_out
     * are OpenFlow 1.4's refinements of action, which earlier versions get instead; a table-miss flow's packet-in
     * (explicit miss) is action before 1.3, which has no table-miss flows, and no_match from 1.3 on; a lookup that
     * found nothing (implicit miss) is no_match.
     */
    static int wireReason(int reason, int version) {
        return switch (reason) {
            case PacketIns.EXPLICIT_MISS -> version < OfVersion.OF13 ? PacketIns.ACTION : PacketIns.NO_MATCH;
            case PacketIns.IMPLICIT_MISS -> PacketIns.NO_MATCH;
            default -> reason > io.xvio.datapath.action.Controller.INVALID_TTL && version < OfVersion.OF14 ? PacketIns.ACTION : reason;
        };
    }

    /**
     * The async config bit (OFPR_*) that lets reason through to a connection of version, or -1: none does. As OVS's
     * ofputil_async_cfg (lib/ofp-connection.c), the misses follow no_match's bit; an implicit miss reaches only
     * OpenFlow 1.0-1.2 connections (the connections that asked for it).
     */
    static int asyncReason(int reason, int version) {
        return switch (reason) {
            case PacketIns.EXPLICIT_MISS -> PacketIns.NO_MATCH;
            case PacketIns.IMPLICIT_MISS -> version < OfVersion.OF13 ? PacketIns.NO_MATCH : -1;
            default -> reason;
        };
    }

    /** Whether reason is a table miss: its packet-ins share the miss queue of the rate limiter (OVS's is_miss). */
    static boolean isMiss(int reason) {
        return reason == PacketIns.NO_MATCH || reason == PacketIns.EXPLICIT_MISS || reason == PacketIns.IMPLICIT_MISS;
    }

    /** The in_port the match holds (16-bit xvio numbering: CONTROLLER is 0xfffd). */
    public int inPort() { return (int) Field.IN_PORT.get(match.value(FlowKey.IN_PORT)); }

    /** The message for a connection of this version and packet-in format. */
    public byte[] encode(int version, int format, int xid) { return encode(version, format, xid, null); }

    /**
     * As the other, for a paused translation: NXT_PACKET_IN2 carries continuation c (NXPINT_CONTINUATION) last, as
     * OVS's ofputil_encode_packet_in_private; the other formats have no room for it, so they go without (as OVS).
     */
    byte[] encode(int version, int format, int xid, Continuation c) {
        Wire.Writer w;
        if (format == FORMAT_NXT2) return encode2(version, xid, c);
        if (format == FORMAT_NXT) {
            w = new Wire.Writer(version, OfType.VENDOR, xid);
            w.u32(OfVersion.NX_VENDOR).u32(NXT_PACKET_IN);
            w.u32(NO_BUFFER).u16(totalLen).u8(wireReason(reason, version)).u8(table).u64(cookie);
            int at = w.size();
            w.u16(0).zeros(6);
            int len = NxMatch.write(match, w);
            w.put16(at, len);
            w.zeros(2);
        } else if (version == OfVersion.OF10) {
            w = new Wire.Writer(version, OfType.PACKET_IN, xid);
            w.u32(NO_BUFFER).u16(totalLen).u16(inPort()).u8(wireReason(reason, version)).u8(0);
        } else {
            w = new Wire.Writer(version, OfType.PACKET_IN, xid);
            w.u32(NO_BUFFER).u16(totalLen).u8(wireReason(reason, version)).u8(table).u64(cookie);
            FlowModCodec.writeOxmMatch(match, w);
            w.zeros(2);
        }
        w.bytes(data);
        return w.finish();
    }

    /**
     * NXT_PACKET_IN2: properties (type, length without padding, value, padding to 8) for the frame, its full length
     * when cut, the table, cookie, reason and the metadata as raw NXM (1.0) or OXM entries, as OVS writes them.
     */
    private byte[] encode2(int version, int xid, Continuation c) {
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, xid);
        w.u32(OfVersion.NX_VENDOR).u32(NXT_PACKET_IN2);
        int at = Continuation.start(w, NXPINT_PACKET);
        w.bytes(data);
        Continuation.end(w, at);
        if (data.length != totalLen) { at = Continuation.start(w, NXPINT_FULL_LEN); w.u32(totalLen); Continuation.end(w, at); }
        at = Continuation.start(w, NXPINT_TABLE_ID);
        w.u8(table);
        Continuation.end(w, at);
        if (cookie != -1L) { at = Continuation.start(w, NXPINT_COOKIE); w.zeros(4).u64(cookie); Continuation.end(w, at); }   // a 64-bit value is 8-aligned
        at = Continuation.start(w, NXPINT_REASON);
        w.u8(wireReason(reason, version));
        Continuation.end(w, at);
        at = Continuation.start(w, NXPINT_METADATA);
        Oxm.encode(match, version == OfVersion.OF10, w);
        Continuation.end(w, at);
        if (userdata != null) { at = Continuation.start(w, Continuation.NXPINT_USERDATA); w.bytes(userdata); Continuation.end(w, at); }
        if (c != null) c.write(w, version);
        return w.finish();
    }


    /** The properties of an NXT_PACKET_IN2 (r after its 16-byte header). */
    private static PacketIn decode2(Wire.Reader r) {
        byte[] data = null;
        long buffer = NO_BUFFER, cookie = -1L;
        int total = -1, table = 0, reason = -1;
        Match m = null;
        byte[] userdata = null;
        while (r.remaining() > 0) {
            int type = r.u16(), len = r.u16();
            if (len < 4) throw OfError.BAD_LEN.fail("NXT_PACKET_IN2 property " + type + " of length " + len);
            Wire.Reader v = r.sub(len - 4, OfError.BAD_LEN, "NXT_PACKET_IN2 property", type);
            r.skip(Math.min((8 - len % 8) % 8, r.remaining()));
            switch (type) {
                case NXPINT_PACKET -> data = v.bytes(v.remaining());
                case NXPINT_FULL_LEN -> total = (int) Math.min(v.u32(), Integer.MAX_VALUE);
                case NXPINT_BUFFER_ID -> buffer = v.u32();
                case NXPINT_TABLE_ID -> table = v.u8();
                case NXPINT_COOKIE -> {
                    if (len != 16) throw OfError.BAD_LEN.fail("NXT_PACKET_IN2 cookie property of length " + len + " (4 pad bytes, then 8)");
                    v.skip(4);
                    cookie = v.u64();
                }
                case NXPINT_REASON -> reason = v.u8();
                case NXPINT_METADATA -> m = Oxm.decode(v);
                case Continuation.NXPINT_USERDATA -> userdata = v.bytes(v.remaining());
                case Continuation.NXPINT_CONTINUATION -> v.skip(v.remaining());    // see continuation(byte[])
                default -> throw OfError.BAD_TYPE.fail("NXT_PACKET_IN2 property type " + type + " is not known to xvio");
            }
        }
        if (data == null || reason < 0 || m == null) throw OfError.BAD_LEN.fail("NXT_PACKET_IN2 without its packet, reason or metadata");
        if (buffer != NO_BUFFER) throw OfError.BUFFER_UNKNOWN.fail("buffer_id " + buffer + " (xvio buffers no packets)");
        if (m.mask(FlowKey.IN_PORT) == 0) throw OfError.BAD_MATCH_LEN.fail("packet-in metadata without in_port");
        if (total < 0) total = data.length;
        if (data.length > total) throw OfError.BAD_LEN.fail(data.length + " bytes of data for total_len " + total);
        return new PacketIn(total, reason, table, cookie, m, data, userdata);
    }

    /** The continuation an NXT_PACKET_IN2 carries (null: none; not an NXT_PACKET_IN2: OfError.Failure). */
    static Continuation continuation(byte[] msg) {
        Wire.Reader r = new Wire.Reader(msg);
        int version = r.u8(), type = r.u8();
        r.skip(6);
        if (type != OfType.VENDOR || r.u32() != OfVersion.NX_VENDOR || r.u32() != NXT_PACKET_IN2) throw OfError.BAD_TYPE.fail("not an NXT_PACKET_IN2");
        while (r.remaining() >= 4) {
            int t = r.u16(), len = r.u16();
            if (len < 4) throw OfError.BAD_LEN.fail("NXT_PACKET_IN2 property " + t + " of length " + len);
            Wire.Reader v = r.sub(len - 4, OfError.BAD_LEN, "NXT_PACKET_IN2 property", t);
            r.skip(Math.min((8 - len % 8) % 8, r.remaining()));
            if (t == Continuation.NXPINT_CONTINUATION) return Continuation.decode(v, version);
        }
        return null;
    }

    /** Decodes a whole packet-in message (any of the layouts {@link #encode} writes); OfError.Failure if malformed. */
    public static PacketIn decode(byte[] msg) {
        Wire.Reader r = new Wire.Reader(msg);
        int version = r.u8(), type = r.u8(), len = r.u16();
        r.skip(4);
        if (len != msg.length) throw OfError.BAD_LEN.fail("header length " + len + " for a message of " + msg.length + " bytes");
        if (!OfVersion.supported(version)) throw OfError.BAD_VERSION.fail("version " + version);
        long buffer;
        int total, reason, table = 0;
        long cookie = 0;
        Match m;
        if (type == OfType.VENDOR) {
            if (r.u32() != OfVersion.NX_VENDOR) throw OfError.BAD_VENDOR.fail("not a Nicira message");
            long sub = r.u32();
            if (sub == NXT_PACKET_IN2) return decode2(r);
            if (sub != NXT_PACKET_IN) throw OfError.BAD_SUBTYPE.fail("not NXT_PACKET_IN or NXT_PACKET_IN2");
            buffer = r.u32();
            total = r.u16();
            reason = r.u8();
            table = r.u8();
            cookie = r.u64();
            int matchLen = r.u16();
            r.skip(6);
            NxMatch nm = NxMatch.read(r, matchLen);
            m = nm.match();
            r.skip(2);
        } else if (type == OfType.PACKET_IN && version == OfVersion.OF10) {
            buffer = r.u32();
            total = r.u16();
            int in = r.u16();
            reason = r.u8();
            r.skip(1);
            m = new Match().set(Field.IN_PORT, in, Field.IN_PORT.fullMask());
        } else if (type == OfType.PACKET_IN) {
            buffer = r.u32();
            total = r.u16();
            reason = r.u8();
            table = r.u8();
            cookie = r.u64();
            m = FlowModCodec.readOxmMatch(r);
            r.skip(2);
        } else {
            throw OfError.BAD_TYPE.fail("message type " + type + " is not a packet-in");
        }
        if (buffer != NO_BUFFER) throw OfError.BUFFER_UNKNOWN.fail("buffer_id " + buffer + " (xvio buffers no packets)");
        if (m.mask(FlowKey.IN_PORT) == 0) throw OfError.BAD_MATCH_LEN.fail("packet-in match without in_port");
        byte[] data = r.bytes(r.remaining());
        if (data.length > total) throw OfError.BAD_LEN.fail(data.length + " bytes of data for total_len " + total);
        return new PacketIn(total, reason, table, cookie, m, data);
    }

    @Override public boolean equals(Object o) {
        return o instanceof PacketIn p && p.totalLen == totalLen && p.reason == reason && p.table == table && p.cookie == cookie
                && p.match.equals(match) && java.util.Arrays.equals(p.data, data) && java.util.Arrays.equals(p.userdata, userdata);
    }

    @Override public int hashCode() { return java.util.Arrays.hashCode(data) * 31 + match.hashCode(); }

    @Override public String toString() {
        return "PacketIn[total_len=" + totalLen + ", reason=" + reason + ", table=" + table + ", cookie=0x" + Long.toHexString(cookie)
                + ", match=" + io.xvio.datapath.FlowFormat.match(match) + ", " + data.length + " bytes]";
    }
}
