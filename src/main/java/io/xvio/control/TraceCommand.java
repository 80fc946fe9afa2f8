package io.xvio.control;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Match;
import io.xvio.datapath.Trace;
import io.xvio.datapath.TracePacket;
import io.xvio.datapath.TraceStep;
import io.xvio.packet.FlowKey;

import java.util.HexFormat;
import java.util.List;

/**
 * {@code trace BRIDGE FLOW [--packet HEX]}: where a packet would go, as {@code ovs-appctl ofproto/trace} shows it.
 * The FLOW gives in_port and, without --packet, the fields of a frame made for the trace (TracePacket); with
 * --packet the frame is HEX and the FLOW's other fields (registers, metadata) are set before the first table.
 * Nothing is forwarded, counted or learnt, unless {@code --generate} (as {@code ofproto/trace -generate}): then the
 * frame is also sent for real, as an OpenFlow packet-out of output:TABLE ({@link PacketOutTask}: a PMD thread runs
 * it through table 0 from in_port, with counters, learning and outputs). Only the frame and in_port go; the FLOW's
 * registers and metadata are for the trace alone.
 */
final class TraceCommand {
    private TraceCommand() {}

    /** The trace, as JSON: the text, and the same as fields (steps: every lookup with its flow and actions). */
    record Model(String bridge, String flow, String packet, String text, List<TraceStep> steps, String finalFlow,
                 String megaflow, String datapathActions, List<String> outputs, List<Trace.Output> outputPorts,
                 List<String> drops, boolean generated) {}

    static Model run(Bridge br, List<String> args) { return run(br, args, null); }

    /** With --generate, pmds runs the packet-out (null: --generate is refused). */
    static Model run(Bridge br, List<String> args, io.xvio.pmd.PmdSet pmds) {
        if (args.size() < 3) throw new ControlException("trace needs a bridge and a flow, e.g. trace br0 in_port=1,tcp,nw_dst=10.0.0.2,tp_dst=80");
        String flow = args.get(2);
        byte[] frame = null;
        boolean generate = false;
        for (int i = 3; i < args.size(); i++) {
            if (args.get(i).equals("--generate")) {
                if (pmds == null) throw new ControlException("trace: --generate is not available here");
                generate = true;
            } else if (args.get(i).equals("--packet") && i + 1 < args.size()) {
                String hex = args.get(++i).replaceAll("[\\s:.]", "");
                try {
                    frame = HexFormat.of().parseHex(hex);
                } catch (IllegalArgumentException e) {
                    throw new ControlException("--packet: not hex bytes (" + e.getMessage() + ")");
                }
            } else {
                throw new ControlException("trace: unexpected argument \"" + args.get(i) + "\" (trace BRIDGE FLOW [--packet HEX] [--generate])");
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
        if (generate) {
            if (frame.length > io.xvio.packet.PacketBatch.MAX_FRAME) throw new ControlException("trace --generate: a frame of " + frame.length + " bytes is too long");
            PacketOutTask task = new PacketOutTask(br.datapath, br.sendArray(), inPort, frame, List.of(io.xvio.datapath.action.Resubmit.outputTable()));
            if (!pmds.submit(task)) throw new ControlException("trace --generate: no PMD thread runs to send the packet");
            String why = task.await(1_000_000_000L);
            if (why != null) throw new ControlException("trace --generate: the packet was not sent: " + why);
        }
        String text = "Flow: " + flow + "\nPacket: " + HexFormat.of().formatHex(frame) + "\n\nbridge(\"" + br.name + "\")\n"
                + "-".repeat(10 + br.name.length()) + "\n" + t.text()
                + (generate ? "\nGenerated: the packet was sent (packet-out to table 0 from in_port " + inPort + ")\n" : "");
        return new Model(br.name, flow, HexFormat.of().formatHex(frame), text, t.steps(), t.finalFlow(), t.megaflow(),
                t.datapathActions().isEmpty() ? "drop" : t.datapathActions(), t.outputs(), t.outputPorts(), t.drops(), generate);
    }
}
