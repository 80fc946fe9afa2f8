package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.Match;
import io.xvio.packet.FlowKey;

/**
 * A packet-in: the frame (perhaps cut to the controller's max_len; totalLen is its whole length), why it came
 * (reason, as 1.0-1.3 number it: 0 no match / table miss, 1 action), the table and cookie of the flow that sent it,
 * and the packet's metadata as a match (in_port always; metadata, registers and pkt_mark when not zero). No buffer
 * ids: xvio sends the frame itself (buffer_id 0xffffffff).
 *
 * <p>Encoded as OFPT_PACKET_IN of OpenFlow 1.0 (no table, cookie or match), 1.3 and 1.4/1.5 (the same layout:
 * OXM match), or as Nicira's NXT_PACKET_IN (NXM match) for a 1.0 connection that asked for it with
 * NXT_SET_PACKET_IN_FORMAT.
 */
public record PacketIn(int totalLen, int reason, int table, long cookie, Match match, byte[] data) {
    public static final long NO_BUFFER = 0xffffffffL;
    /** NXT_SET_PACKET_IN_FORMAT values. */
    public static final int FORMAT_STANDARD = 0, FORMAT_NXT = 1, FORMAT_NXT2 = 2;
    static final int NXT_PACKET_IN = 17;

    /** The match of a packet-in for key words k (the first {@link FlowKey#PACKET_WORDS}): what OVS puts in it. */
    public static Match metadata(long[] k) {
        Match m = new Match();
        m.set(Field.IN_PORT, k[FlowKey.IN_PORT], Field.IN_PORT.fullMask());
        if (k[FlowKey.METADATA] != 0) m.set(Field.METADATA, k[FlowKey.METADATA], Field.METADATA.fullMask());
        for (int r = 0; r < 16; r++) {
            Field f = Field.valueOf("REG" + r);
            long v = f.get(k[f.word]);
            if (v != 0) m.set(f, v, f.fullMask());
        }
        if (k[FlowKey.PKT_MARK] != 0) m.set(Field.PKT_MARK, k[FlowKey.PKT_MARK], Field.PKT_MARK.fullMask());
        return m;
    }

    /** The in_port the match holds (16-bit xvio numbering: CONTROLLER is 0xfffd). */
    public int inPort() { return (int) Field.IN_PORT.get(match.value(FlowKey.IN_PORT)); }

    /** The message for a connection of this version and packet-in format. */
    public byte[] encode(int version, int format, int xid) {
        Wire.Writer w;
        if (version == OfVersion.OF10 && format != FORMAT_STANDARD) {
            w = new Wire.Writer(version, OfType.VENDOR, xid);
            w.u32(OfVersion.NX_VENDOR).u32(NXT_PACKET_IN);
            w.u32(NO_BUFFER).u16(totalLen).u8(reason).u8(table).u64(cookie);
            int at = w.size();
            w.u16(0).zeros(6);
            int len = NxMatch.write(match, w);
            w.put16(at, len);
            w.zeros(2);
        } else if (version == OfVersion.OF10) {
            w = new Wire.Writer(version, OfType.PACKET_IN, xid);
            w.u32(NO_BUFFER).u16(totalLen).u16(inPort()).u8(reason).u8(0);
        } else {
            w = new Wire.Writer(version, OfType.PACKET_IN, xid);
            w.u32(NO_BUFFER).u16(totalLen).u8(reason).u8(table).u64(cookie);
            FlowModCodec.writeOxmMatch(match, w);
            w.zeros(2);
        }
        w.bytes(data);
        return w.finish();
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
        if (type == OfType.VENDOR && version == OfVersion.OF10) {
            if (r.u32() != OfVersion.NX_VENDOR) throw OfError.BAD_VENDOR.fail("not a Nicira message");
            if (r.u32() != NXT_PACKET_IN) throw OfError.BAD_SUBTYPE.fail("not NXT_PACKET_IN");
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
                && p.match.equals(match) && java.util.Arrays.equals(p.data, data);
    }

    @Override public int hashCode() { return java.util.Arrays.hashCode(data) * 31 + match.hashCode(); }

    @Override public String toString() {
        return "PacketIn[total_len=" + totalLen + ", reason=" + reason + ", table=" + table + ", cookie=0x" + Long.toHexString(cookie)
                + ", match=" + io.xvio.datapath.FlowFormat.match(match) + ", " + data.length + " bytes]";
    }
}
