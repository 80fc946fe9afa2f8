package io.xvio.control;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes the Prometheus text exposition format (version 0.0.4): each metric family once, its HELP and TYPE lines
 * first, then its samples; label values escaped ({@code \ " } and newline), so port names or statuses never break
 * a scrape.
 */
final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    enum Type { COUNTER, GAUGE }

    private final StringBuilder out = new StringBuilder();
    private final Set<String> families = new HashSet<>();
    private String family;

    /** Starts a family; a counter's name ends in _total (the samples use the same name). */
    PrometheusText family(String name, Type type, String help) {
        if (!METRIC_NAME.matcher(name).matches()) throw new IllegalArgumentException("bad metric name " + name);
        if (type == Type.COUNTER && !name.endsWith("_total")) throw new IllegalArgumentException("counter " + name + " must end in _total");
        if (!families.add(name)) throw new IllegalArgumentException("metric family " + name + " written twice");
        family = name;
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type.name().toLowerCase()).append('\n');
        return this;
    }

    /** One sample of the current family; labels are name, value pairs. */
    PrometheusText sample(long value, String... labels) {
        return line(Long.toString(value), labels);
    }

    PrometheusText sample(double value, String... labels) {
        return line(formatDouble(value), labels);
    }

    private PrometheusText line(String value, String... labels) {
        if (family == null) throw new IllegalStateException("sample before any family");
        if (labels.length % 2 != 0) throw new IllegalArgumentException("labels come in name, value pairs");
        out.append(family);
        if (labels.length > 0) {
            out.append('{');
            for (int i = 0; i < labels.length; i += 2) {
                if (!LABEL_NAME.matcher(labels[i]).matches() || labels[i].startsWith("__"))
                    throw new IllegalArgumentException("bad label name " + labels[i]);
                if (i > 0) out.append(',');
                out.append(labels[i]).append("=\"").append(escapeLabel(labels[i + 1])).append('"');
            }
            out.append('}');
        }
        out.append(' ').append(value).append('\n');
        return this;
    }

    String text() { return out.toString(); }

    static String escapeLabel(String v) {
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    static String escapeHelp(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    static String formatDouble(double v) {
        if (Double.isNaN(v)) return "NaN";
        if (Double.isInfinite(v)) return v > 0 ? "+Inf" : "-Inf";
        return Double.toString(v);
    }
}
