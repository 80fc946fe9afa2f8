package io.xvio.openflow;

import io.xvio.datapath.Match;
import io.xvio.packet.FlowKey;

/**
 * NXT_RESUME: a controller hands a paused packet back (OVS's ofputil_decode_packet_in_private): the properties of an
 * NXT_PACKET_IN2 (the packet, perhaps changed, its metadata, perhaps changed, table, cookie, reason) and the
 * continuation it got ({@link Continuation}). Decoded as untrusted input: every property's length is checked, a
 * missing packet or an unknown property is an error as OVS sends it (OFPBRC_BAD_LEN, OFPBPC_BAD_TYPE), and the
 * continuation must come from this bridge in this run (else NXR_STALE).
 */
record Resume(byte[] packet, Match metadata, Continuation continuation) {
    static final int NXT_RESUME = 28;

    /** An NXT_RESUME as a controller sends it (OVS's ofputil_encode_resume): the packet, its metadata, the continuation. */
    static byte[] encode(int version, int xid, byte[] packet, Match metadata, Continuation c) {
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, xid);
        w.u32(OfVersion.NX_VENDOR).u32(NXT_RESUME);
        int at = w.size();
        w.u16(PacketIn.NXPINT_PACKET).u16(4 + packet.length).bytes(packet).pad8(0);
        at = w.size();
        w.u16(PacketIn.NXPINT_METADATA).u16(0);
        Oxm.encode(metadata, version == OfVersion.OF10, w);
        w.put16(at + 2, w.size() - at);
        w.pad8(0);
        c.write(w, version);
        return w.finish();
    }

    /** r: after the 16-byte Nicira header. */
    static Resume decode(Wire.Reader r, int version) {
        byte[] packet = null;
        Match m = new Match();
        Continuation c = null;
        long total = -1;
        while (r.remaining() > 0) {
            if (r.remaining() < 4) throw OfError.BAD_LEN.fail("NXT_RESUME ends in " + r.remaining() + " stray bytes");
            int type = r.u16(), len = r.u16();
            if (len < 4) throw OfError.PROP_BAD_LEN.fail("NXT_RESUME property " + type + " of length " + len);
            Wire.Reader v = r.sub(len - 4, OfError.PROP_BAD_LEN, "NXT_RESUME property", type);
            r.skip(Math.min((8 - len % 8) % 8, r.remaining()));
            switch (type) {
                case PacketIn.NXPINT_PACKET -> packet = v.bytes(v.remaining());
                case PacketIn.NXPINT_FULL_LEN -> total = v.u32();
                case PacketIn.NXPINT_BUFFER_ID -> {
                    long b = v.u32();
                    if (b != PacketIn.NO_BUFFER) throw OfError.BUFFER_UNKNOWN.fail("buffer_id " + b + " (xvio buffers no packets)");
                }
                case PacketIn.NXPINT_TABLE_ID, PacketIn.NXPINT_REASON -> v.u8();
                case PacketIn.NXPINT_COOKIE -> v.skip(v.remaining());
                case PacketIn.NXPINT_METADATA -> m = Oxm.decode(v);
                case Continuation.NXPINT_USERDATA -> v.skip(v.remaining());
                case Continuation.NXPINT_CONTINUATION -> {
                    if (c != null) throw OfError.DUP_FIELD.fail("NXT_RESUME with two continuations");
                    c = Continuation.decode(v, version);
                }
                default -> throw OfError.PROP_BAD_TYPE.fail("NXT_RESUME property type " + type);
            }
        }
        if (packet == null || packet.length == 0) throw OfError.BAD_LEN.fail("NXT_RESUME lacks packet");
        if (total >= 0 && total < packet.length) throw OfError.BAD_LEN.fail("NXT_RESUME claimed full_len < len");
        if (c == null) throw OfError.NXR_STALE.fail("NXT_RESUME without a continuation");
        if (m.mask(FlowKey.IN_PORT) == 0) m.set(io.xvio.datapath.Field.IN_PORT, Ports.CONTROLLER, io.xvio.datapath.Field.IN_PORT.fullMask());
        return new Resume(packet, m, c);
    }
}
