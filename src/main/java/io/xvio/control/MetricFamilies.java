package io.xvio.control;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot.InfoDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The metric families of one scrape, built as the Prometheus Java client's snapshots (which its HTTP server
 * writes as text): each family named as it appears in the text format (a counter's name ends in {@code _total},
 * an info family's in {@code _info}), then its samples, labels given as name, value pairs. Built afresh at each
 * scrape from numbers already read; nothing here is on the packet path.
 */
final class MetricFamilies {
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    /** COUNTER: only goes up, name ends in _total; GAUGE: a value now; INFO: always 1, name ends in _info, facts in labels. */
    enum Type { COUNTER, GAUGE, INFO }

    private final List<MetricSnapshot> done = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final List<Labels> labels = new ArrayList<>();
    private final List<Double> values = new ArrayList<>();
    private String family, help;
    private Type type;

    /** Starts a family (ending the one before). */
    MetricFamilies family(String name, Type type, String help) {
        if (!METRIC_NAME.matcher(name).matches()) throw new IllegalArgumentException("bad metric name " + name);
        if (type == Type.COUNTER && !name.endsWith("_total")) throw new IllegalArgumentException("counter " + name + " must end in _total");
        if (type == Type.INFO && !name.endsWith("_info")) throw new IllegalArgumentException("info metric " + name + " must end in _info");
        if (!names.add(name)) throw new IllegalArgumentException("metric family " + name + " written twice");
        end();
        family = name;
        this.type = type;
        this.help = help;
        return this;
    }

    /** One sample of the current family; labels are name, value pairs. An info family's value is 1. */
    MetricFamilies sample(double value, String... labelPairs) {
        if (family == null) throw new IllegalStateException("sample before any family");
        if (labelPairs.length % 2 != 0) throw new IllegalArgumentException("labels come in name, value pairs");
        if (type == Type.INFO && value != 1) throw new IllegalArgumentException("info metric " + family + " is always 1, not " + value);
        for (int i = 0; i < labelPairs.length; i += 2)
            if (!LABEL_NAME.matcher(labelPairs[i]).matches() || labelPairs[i].startsWith("__"))
                throw new IllegalArgumentException("bad label name " + labelPairs[i]);
        labels.add(Labels.of(labelPairs));
        values.add(value);
        return this;
    }

    /** The families written so far (the client's writer puts them in name order). */
    MetricSnapshots snapshots() {
        end();
        return new MetricSnapshots(done);
    }

    /** The families in the Prometheus text format (0.0.4), as {@code GET /metrics} serves them to curl or promtool. */
    String text() { return text(snapshots()); }

    static String text(MetricSnapshots snapshots) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, snapshots);
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // not from a byte array
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Every family of several scrapes' parts, as one. */
    static MetricSnapshots concat(MetricSnapshots... parts) {
        MetricSnapshots.Builder b = MetricSnapshots.builder();
        for (MetricSnapshots p : parts) for (MetricSnapshot s : p) b.metricSnapshot(s);
        return b.build();
    }

    private void end() {
        if (family == null) return;
        MetricSnapshot s = switch (type) {
            case COUNTER -> {
                CounterSnapshot.Builder b = CounterSnapshot.builder().name(family.substring(0, family.length() - "_total".length())).help(help);
                for (int i = 0; i < labels.size(); i++) b.dataPoint(CounterDataPointSnapshot.builder().value(values.get(i)).labels(labels.get(i)).build());
                yield b.build();
            }
            case GAUGE -> {
                GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(family).help(help);
                for (int i = 0; i < labels.size(); i++) b.dataPoint(GaugeDataPointSnapshot.builder().value(values.get(i)).labels(labels.get(i)).build());
                yield b.build();
            }
            case INFO -> {
                InfoSnapshot.Builder b = InfoSnapshot.builder().name(family.substring(0, family.length() - "_info".length())).help(help);
                for (Labels l : labels) b.dataPoint(InfoDataPointSnapshot.builder().labels(l).build());
                yield b.build();
            }
        };
        done.add(s);
        family = null;
        labels.clear();
        values.clear();
    }
}
