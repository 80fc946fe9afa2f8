package io.xvio.control;

import java.util.Map;

/**
 * pmd-auto-lb: whether PMD threads' queues are moved by measured load, every interval seconds, when a new plan lowers
 * the load variance by at least improvement-threshold percent (OVS's pmd-auto-lb, pmd-auto-lb-rebal-interval and
 * pmd-auto-lb-improvement-threshold). {@code pmd-auto-lb: false} turns it off (loads are still measured for
 * pmd-rxq-show); {@code pmd-auto-lb: {interval: 10, improvement-threshold: 25}} sets it. On by default.
 */
public record AutoLbConfig(boolean enabled, int intervalSeconds, int improvementThreshold) {
    public static final AutoLbConfig DEFAULT = new AutoLbConfig(true, 10, 25);

    static AutoLbConfig parse(Object raw, String source) {
        if (raw == null) return DEFAULT;
        if (raw instanceof Boolean b) return new AutoLbConfig(b, DEFAULT.intervalSeconds, DEFAULT.improvementThreshold);
        if (!(raw instanceof Map<?, ?>))
            throw new ConfigException(source + ": pmd-auto-lb must be true, false or a mapping like {interval: 10, improvement-threshold: 25}");
        Map<String, Object> m = Config.map(raw, source, "pmd-auto-lb");
        Config.keys(m, source, "pmd-auto-lb", "enabled", "interval", "improvement-threshold");
        Object e = m.getOrDefault("enabled", Boolean.TRUE);
        if (!(e instanceof Boolean enabled)) throw new ConfigException(source + ": pmd-auto-lb.enabled must be true or false");
        int interval = m.containsKey("interval") ? Config.integer(m.get("interval"), source, "pmd-auto-lb.interval (seconds)", 1, 3600) : DEFAULT.intervalSeconds;
        int threshold = m.containsKey("improvement-threshold")
                ? Config.integer(m.get("improvement-threshold"), source, "pmd-auto-lb.improvement-threshold (percent)", 0, 100) : DEFAULT.improvementThreshold;
        return new AutoLbConfig(enabled, interval, threshold);
    }
}
