package io.xvio.openflow;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What a controller sees of a switch's flows: an OpenFlow 1.3 flow stats request and its decoded reply entries. */
final class FlowStatsView {
    /** One ofp_flow_stats entry's fields a test checks. */
    record Entry(int table, int priority, int idleTimeout, int hardTimeout, long cookie, long packets, long bytes, int durationSec) {}

    private FlowStatsView() {}

    /** The flows of every table, as OFPMP_FLOW with out_port and out_group given (0xffffffff: any) replies them. */
    static List<Entry> dump(OfConnection c, long outPort, long outGroup) {
        Wire.Writer w = new Wire.Writer(OfVersion.OF13, OfType.MULTIPART_REQUEST, 5);
        w.u16(OfType.MP_FLOW).u16(0).zeros(4).u8(0xff).zeros(3).u32(outPort).u32(outGroup).zeros(4).u64(0).u64(0).u16(1).u16(4).zeros(4);
        List<Entry> out = new ArrayList<>();
        for (byte[] m : c.handle(w.finish())) {
            assertEquals(OfType.MULTIPART_REPLY, m[1], "a flow stats reply, not an error");
            Wire.Reader r = new Wire.Reader(m);
            r.skip(16);
            while (r.remaining() > 0) {
                int len = r.u16(), table = r.u8();
                r.skip(1);
                int sec = (int) r.u32();
                r.skip(4);
                int prio = r.u16(), idle = r.u16(), hard = r.u16();
                r.skip(2 + 4);
                long cookie = r.u64(), packets = r.u64(), bytes = r.u64();
                r.skip(len - 48);
                out.add(new Entry(table, prio, idle, hard, cookie, packets, bytes, sec));
            }
        }
        return out;
    }

    static List<Entry> dump(OfConnection c) { return dump(c, 0xffffffffL, 0xffffffffL); }
}
