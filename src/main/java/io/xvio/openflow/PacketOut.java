package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.Match;
import io.xvio.datapath.PipelineFields;
import io.xvio.datapath.action.Action;
import io.xvio.packet.FlowKey;

import java.util.List;

/**
 * A packet-out: a frame and the actions to run it through, as if received on inPort (xvio's 16-bit numbering: a
 * port of the bridge, or CONTROLLER 0xfffd, LOCAL or NONE). output:TABLE (run the flow tables from table 0) is
 * decoded as resubmit(,0). Buffered packets do not exist in xvio: a buffer_id other than 0xffffffff is
 * OFPBRC_BUFFER_UNKNOWN, as OVS answers for a buffer it no longer has.
 *
 * <p>Layouts: OpenFlow 1.0 (16-bit in_port), 1.1-1.4 (32-bit in_port, 6 pad bytes), 1.5 (a match that carries
 * in_port instead, and may carry the packet's other pipeline fields: metadata, registers and the tunnel fields, as
 * OVS's mf_is_pipeline_field, which the actions then see; any other field is OFPBRC_PIPELINE_FIELDS_ONLY).
 * metadata: those fields (in_port left out), null when there are none.
 */
public record PacketOut(int inPort, List<Action> actions, byte[] data, Match metadata) {

    public PacketOut(int inPort, List<Action> actions, byte[] data) { this(inPort, actions, data, null); }

    /** Decodes the body after the 8-byte header. */
    public static PacketOut decode(Wire.Reader r, int version) {
        long buffer = r.u32();
        int inPort, actionsLen;
        Match metadata = null;
        if (version == OfVersion.OF10) {
            inPort = r.u16();
            actionsLen = r.u16();
        } else if (version < OfVersion.OF15) {
            long p = r.u32();
            inPort = (int) Ports.from32(p);
            if (inPort < 0) throw OfError.BAD_PORT.fail("packet_out in_port 0x" + Long.toHexString(p));
            actionsLen = r.u16();
            r.skip(6);
        } else {
            actionsLen = r.u16();
            r.skip(2);
            Match m = FlowModCodec.readOxmMatch(r);
            int foreign = PipelineFields.foreignWord(m);
            if (foreign >= 0) {
                Match f = new Match().setWord(foreign, m.value(foreign), m.mask(foreign) & ~PipelineFields.bits(foreign));
                throw OfError.PIPELINE_FIELDS_ONLY.fail("packet_out match: " + FlowFormat.match(f) + " is not a pipeline field (in_port, metadata, registers and tunnel fields are)");
            }
            // as OVS: a 1.5 packet-out names its in_port (CONTROLLER if it came from none)
            if (m.isWild(FlowKey.IN_PORT)) throw OfError.BAD_PORT.fail("packet_out match has no in_port (OpenFlow 1.5 needs one)");
            inPort = (int) Field.IN_PORT.get(m.value(FlowKey.IN_PORT));
            for (int w = 0; w < FlowKey.WORDS; w++) {
                if (w == FlowKey.IN_PORT || m.isWild(w)) continue;
                if (metadata == null) metadata = new Match();
                metadata.setWord(w, m.value(w), m.mask(w));
            }
        }
        if (buffer != PacketIn.NO_BUFFER) throw OfError.BUFFER_UNKNOWN.fail("buffer_id " + buffer + " (xvio buffers no packets)");
        if (inPort >= Ports.MAX && inPort != Ports.CONTROLLER && inPort != Ports.LOCAL && inPort != Ports.NONE)
            throw OfError.BAD_PORT.fail("packet_out in_port 0x" + Integer.toHexString(inPort));
        if (inPort == Ports.NONE) inPort = Ports.CONTROLLER;           // OpenFlow 1.0's "no port" is OVS's CONTROLLER
        Wire.Reader acts = r.sub(actionsLen, OfError.BAD_LEN, "packet_out actions");
        try (ActionPrereqs.Notes notes = ActionPrereqs.open()) {
            List<Action> actions = OfActions.decodePacketOutActions(acts, version);
            byte[] data = r.bytes(r.remaining());
            if (data.length < 14) throw OfError.BAD_LEN.fail("packet_out with " + data.length + " bytes of frame (an Ethernet header needs 14)");
            PacketOut po = new PacketOut(inPort, actions, data, metadata);
            notes.check(PacketOutCheck.frameMatch(po), actions, version);      // as OVS checks them against the frame
            return po;
        }
    }

    /** The message, for a controller's side (tests) or a trace. */
    public byte[] encode(int version, int xid) {
        if (metadata != null && version < OfVersion.OF15)
            throw new IllegalArgumentException("a packet-out's pipeline fields need OpenFlow 1.5 (" + OfVersion.name(version) + " has only in_port)");
        Wire.Writer w = new Wire.Writer(version, OfType.PACKET_OUT, xid);
        w.u32(PacketIn.NO_BUFFER);
        int lenAt;
        if (version == OfVersion.OF10) {
            w.u16(inPort);
            lenAt = w.size();
            w.u16(0);
        } else if (version < OfVersion.OF15) {
            w.u32(Ports.to32(inPort));
            lenAt = w.size();
            w.u16(0).zeros(6);
        } else {
            lenAt = w.size();
            w.u16(0).zeros(2);
            Match m = metadata == null ? new Match() : metadata.copy();
            FlowModCodec.writeOxmMatch(m.set(Field.IN_PORT, inPort, Field.IN_PORT.fullMask()), w);
        }
        int start = w.size();
        OfActions.encodeActions(actions, version, w);
        w.put16(lenAt, w.size() - start);
        w.bytes(data);
        return w.finish();
    }

    @Override public boolean equals(Object o) {
        return o instanceof PacketOut p && p.inPort == inPort && p.actions.equals(actions) && java.util.Arrays.equals(p.data, data)
                && java.util.Objects.equals(p.metadata, metadata);
    }

    @Override public int hashCode() { return java.util.Arrays.hashCode(data) * 31 + actions.hashCode(); }

    @Override public String toString() {
        return "PacketOut[in_port=" + inPort + (metadata == null ? "" : ", " + FlowFormat.match(metadata)) + ", actions=" + actions + ", " + data.length + " bytes]";
    }
}
