package io.xvio.control;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Match;
import io.xvio.datapath.Trace;
import io.xvio.datapath.TracePacket;
import io.xvio.packet.FlowKey;

import java.util.HexFormat;
import java.util.List;

/**
 * {@code trace BRIDGE FLOW [--packet HEX]}: where a packet would go, as {@code ovs-appctl ofproto/trace} shows it.
 * The FLOW gives in_port and, without --packet, the fields of a frame made for the trace (TracePacket); with
 * --packet the frame is HEX and the FLOW's other fields (registers, metadata) are set before the first table.
 * Nothing is forwarded, counted or learnt.
 */
final class TraceCommand {
    private TraceCommand() {}

    /** The trace, as JSON. */
    record Model(String bridge, String flow, String packet, String text, List<String> outputs, List<String> drops,
                 String megaflow, String datapathActions) {}

    static Model run(Bridge br, List<String> args) {
        if (args.size() < 3) throw new ControlException("trace needs a bridge and a flow, e.g. trace br0 in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80");
        String flow = args.get(2);
        byte[] frame = null;
        for (int i = 3; i < args.size(); i++) {
            if (args.get(i).equals("--packet") && i + 1 < args.size()) {
                String hex = args.get(++i).replaceAll("[\\s:.]", "");
                try {
                    frame = HexFormat.of().parseHex(hex);
                } catch (IllegalArgumentException e) {
                    throw new ControlException("--packet: not hex bytes (" + e.getMessage() + ")");
                }
            } else {
                throw new ControlException("trace: unexpected argument \"" + args.get(i) + "\" (trace BRIDGE FLOW [--packet HEX])");
            }
        }
        Match m;
        try {
            m = FlowParser.parseSpec(flow, false).match();
        } catch (FlowSyntaxException e) {
            throw new ControlException("trace: " + e.getMessage());
        }
        if (m.mask(FlowKey.IN_PORT) == 0) throw new ControlException("trace: the flow needs in_port=N (the port the packet comes in on)");
        int inPort = (int) m.value(FlowKey.IN_PORT);
        if (frame == null) frame = TracePacket.compose(m);
        Trace t;
        try {
            t = br.datapath.trace(inPort, frame, m);
        } catch (IllegalArgumentException e) {
            throw new ControlException("trace: " + e.getMessage());
        }
        String text = "Flow: " + flow + "\nPacket: " + HexFormat.of().formatHex(frame) + "\n\nbridge(\"" + br.name + "\")\n"
                + "-".repeat(10 + br.name.length()) + "\n" + t.text();
        return new Model(br.name, flow, HexFormat.of().formatHex(frame), text, t.outputs(), t.drops(), t.megaflow(), t.datapathActions());
    }
}
