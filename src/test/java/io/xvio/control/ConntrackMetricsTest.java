package io.xvio.control;

import io.xvio.datapath.BridgeDatapath;
import io.xvio.datapath.conntrack.Conntrack;
import io.xvio.datapath.conntrack.CtResult;
import io.xvio.packet.FlowKey;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static io.xvio.datapath.conntrack.Frames.*;
import static org.junit.jupiter.api.Assertions.*;

/** The tracker's numbers as Prometheus metrics: zeros before the first ct() flow, then connections and reasons. */
class ConntrackMetricsTest {
    @Test
    void connectionsAndInvalidPacketsAreMetrics() {
        Conntrack ct = new Conntrack(64, BridgeDatapath.MAX_THREADS + 2);
        String before = MetricFamilies.text(ConntrackMetrics.render(ct));
        assertTrue(before.contains("xvio_conntrack_connections 0.0\n") && before.contains("xvio_conntrack_capacity 0.0\n"), before);
        var t = ct.ensure();
        FlowKey k = new FlowKey();
        CtResult r = new CtResult();
        for (byte[] f : new byte[][] {v4(ip("10.0.0.1"), ip("10.0.0.2"), 17, udp(1000, 53, 4)),
                v4(ip("10.0.0.1"), ip("10.0.0.2"), 6, tcp(1000, 80, SYN | FIN, 1, 0, 100, 0, new byte[0]))}) {
            MemorySegment s = MemorySegment.ofArray(f);
            k.extract(s, 0, f.length, 1);
            t.track(k, s, 0, f.length, 3, true, false, null, System.nanoTime(), 0, r);
        }
        String m = MetricFamilies.text(ConntrackMetrics.render(ct));
        assertTrue(m.contains("# TYPE xvio_conntrack_connections gauge\nxvio_conntrack_connections 1.0\n"), m);
        assertTrue(m.contains("xvio_conntrack_capacity 64.0\n"), m);
        assertTrue(m.contains("xvio_conntrack_zone_connections{proto=\"udp\",zone=\"3\"} 1.0\n"), m);
        assertTrue(m.contains("xvio_conntrack_created_total 1.0\n"), m);
        assertTrue(m.contains("xvio_conntrack_invalid_packets_total{reason=\"tcp-flags\"} 1.0\n"), m);
    }
}
