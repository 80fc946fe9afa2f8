package io.xvio.control;

import io.xvio.port.Policer;
import io.xvio.port.Port;

import java.util.Map;

/**
 * A port's policing (OVS's Interface ingress_policing_rate/ingress_policing_burst and the QoS type egress-policer),
 * from the port's keys {@code ingress-policing-rate} (kbps, 0: off), {@code ingress-policing-burst} (kb, 0: OVS's
 * default 8000) and {@code egress-policer: {cir: BYTES_PER_S, cbs: BYTES}} (or, on add-port/set-port's command line,
 * {@code egress-policer=cir:N,cbs:N}; cir 0: off).
 */
public record PolicingConfig(long ingressRateKbps, long ingressBurstKb, long egressCir, long egressCbs) {
    public static final PolicingConfig NONE = new PolicingConfig(0, 0, 0, 0);
    /** Largest rate or burst: OVS's columns are 32-bit (kbps, kb); cir/cbs are bytes, up to the deepest bucket a policer has. */
    public static final long MAX_KBPS = 0xffffffffL, MAX_BYTES = io.xvio.port.Policer.MAX_BURST_BYTES;

    public boolean any() { return ingressRateKbps != 0 || egressCir != 0; }

    /** Reads the three keys out of a port's settings (they are removed from p); where names the port for errors. */
    static PolicingConfig take(Map<String, Object> p, String source, String where) {
        Object rate = p.remove("ingress-policing-rate"), burst = p.remove("ingress-policing-burst"), egress = p.remove("egress-policer");
        long r = rate == null ? 0 : number(rate, source, where + ".ingress-policing-rate", MAX_KBPS);
        long b = burst == null ? 0 : number(burst, source, where + ".ingress-policing-burst", MAX_KBPS);
        long cir = 0, cbs = 0;
        if (egress != null) {
            Map<String, Object> e;
            if (egress instanceof String s) e = keyValues(s, source, where + ".egress-policer");
            else e = Config.map(egress, source, where + ".egress-policer");
            Config.keys(e, source, where + ".egress-policer", "cir", "cbs");
            if (!e.containsKey("cir")) throw new ConfigException(source + ": " + where + ".egress-policer: missing \"cir\" (bytes per second)");
            cir = number(e.get("cir"), source, where + ".egress-policer.cir", MAX_BYTES);
            cbs = e.containsKey("cbs") ? number(e.get("cbs"), source, where + ".egress-policer.cbs", MAX_BYTES) : 0;
            if (cir != 0 && cbs == 0)
                throw new ConfigException(source + ": " + where + ".egress-policer: cbs (bytes) must be at least 1 with a cir (OVS refuses an egress-policer without a bucket)");
        }
        return new PolicingConfig(r, b, cir, cbs);
    }

    /** "cir:N,cbs:N" (or with '='), as add-port passes it. */
    private static Map<String, Object> keyValues(String s, String source, String where) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (String kv : s.split(",")) {
            String[] x = kv.strip().split("[:=]", 2);
            if (x.length != 2 || !x[1].strip().matches("\\d{1,12}"))
                throw new ConfigException(source + ": " + where + ": \"" + Logging.excerpt(s, 60) + "\" is not cir:N,cbs:N");
            if (m.put(x[0].strip(), Long.parseLong(x[1].strip())) != null)
                throw new ConfigException(source + ": " + where + ": " + x[0].strip() + " given twice");
        }
        return m;
    }

    private static long number(Object o, String source, String where, long max) {
        if (!(o instanceof Integer || o instanceof Long)) throw new ConfigException(source + ": " + where + " must be an integer");
        long v = ((Number) o).longValue();
        if (v < 0 || v > max) throw new ConfigException(source + ": " + where + ": " + v + " is outside 0.." + max);
        return v;
    }

    /** Puts these policers on port (replacing what it had; a new policer starts with a full bucket). */
    void applyTo(Port port) {
        long now = System.nanoTime();
        port.counters().policing.ingress = ingressRateKbps == 0 ? null : Policer.ingress(ingressRateKbps, ingressBurstKb, now);
        port.counters().policing.egress = egressCir == 0 ? null : new Policer(egressCir, egressCbs, now);
    }

    /** For logs and show: "ingress 10000 kbps burst 8000 kb, egress 1250000 B/s burst 12500 B". */
    String describe() {
        StringBuilder sb = new StringBuilder();
        if (ingressRateKbps != 0) sb.append("ingress policing ").append(ingressRateKbps).append(" kbps burst ").append(ingressBurstKb == 0 ? 8000 : ingressBurstKb).append(" kb");
        if (egressCir != 0) sb.append(sb.isEmpty() ? "" : ", ").append("egress policer ").append(egressCir).append(" B/s burst ").append(egressCbs).append(" B");
        return sb.isEmpty() ? "no policing" : sb.toString();
    }
}
