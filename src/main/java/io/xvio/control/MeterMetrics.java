package io.xvio.control;

import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.util.List;

import static io.xvio.control.MetricFamilies.Type.COUNTER;
import static io.xvio.control.MetricFamilies.Type.GAUGE;

/**
 * OpenFlow meters as Prometheus metrics, appended to {@link PrometheusRender}'s: meter-stats' numbers labelled
 * {@code bridge} and {@code meter} (bands also {@code band}, their index as meter-stats numbers them). A band's
 * counters are the packets and bytes that exceeded its rate, which the datapath dropped (it runs drop bands only).
 */
final class MeterMetrics {
    private MeterMetrics() {}

    static MetricSnapshots render(List<Status.MeterStat> meters) {
        MetricFamilies x = new MetricFamilies();
        x.family("xvio_meter_flows", GAUGE, "Flows that name the meter.");
        for (Status.MeterStat m : meters) x.sample(m.flows(), labels(m));
        x.family("xvio_meter_packets_total", COUNTER, "Packets that reached the meter.");
        for (Status.MeterStat m : meters) x.sample(m.packetsIn(), labels(m));
        x.family("xvio_meter_bytes_total", COUNTER, "Bytes that reached the meter.");
        for (Status.MeterStat m : meters) x.sample(m.bytesIn(), labels(m));
        x.family("xvio_meter_band_dropped_packets_total", COUNTER, "Packets that exceeded the meter band's rate and were dropped.");
        for (Status.MeterStat m : meters)
            for (int b = 0; b < m.bandPackets().size(); b++) x.sample(m.bandPackets().get(b), band(m, b));
        x.family("xvio_meter_band_dropped_bytes_total", COUNTER, "Bytes of the packets that exceeded the meter band's rate and were dropped.");
        for (Status.MeterStat m : meters)
            for (int b = 0; b < m.bandBytes().size(); b++) x.sample(m.bandBytes().get(b), band(m, b));
        return x.snapshots();
    }

    private static String[] labels(Status.MeterStat m) { return new String[] {"bridge", m.bridge(), "meter", Long.toString(m.id())}; }

    private static String[] band(Status.MeterStat m, int b) {
        return new String[] {"bridge", m.bridge(), "meter", Long.toString(m.id()), "band", Integer.toString(b)};
    }
}
