package io.xvio.datapath.meter;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads meters in ovs-ofctl's syntax (ovs-ofctl(8) "Meter Syntax", lib/ofp-meter.c), with its messages for the same
 * mistakes: {@code meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000}. As ovs-ofctl: everything
 * from the first "band" on is the band list (after the '=' that follows it); words are separated by '=', ',' and
 * white space; a value is the word after its keyword; numbers are unsigned 32-bit in C's notations (0x10, 010, 8).
 */
public final class MeterParser {
    private MeterParser() {}

    /** Meter id "all" (OFPM13_ALL) for del-meters, dump-meters and meter-stats. */
    public static final long ALL = 0xffffffffL;

    private static final String DELIMS = "=, \t\r\n";

    /** add-meter / mod-meter: id, flags and bands. */
    public static MeterConfig parse(String text) {
        if (text == null) throw new MeterSyntaxException("must specify bands");
        int b = text.indexOf("band");
        if (b < 0) throw new MeterSyntaxException("must specify bands");
        int eq = text.indexOf('=', b + 1);
        if (eq < 0) throw new MeterSyntaxException("must specify bands");
        String head = text.substring(0, b), bandText = text.substring(eq + 1);
        long id = 0;
        boolean kbps = false, pktps = false, burst = false, stats = false;
        List<String> words = words(head, false);
        for (int i = 0; i < words.size(); i++) {
            String name = words.get(i);
            switch (name) {
                case "kbps" -> kbps = true;
                case "pktps" -> pktps = true;
                case "burst" -> burst = true;
                case "stats" -> stats = true;
                default -> {
                    if (++i >= words.size()) throw new MeterSyntaxException("field " + name + " missing value");
                    if (!name.equals("meter")) throw new MeterSyntaxException("unknown keyword " + name);
                    id = meterId(words.get(i), false);
                }
            }
        }
        if (id == 0) throw new MeterSyntaxException("must specify 'meter'");
        if (!kbps && !pktps && !burst && !stats) throw new MeterSyntaxException("meter must specify either 'kbps' or 'pktps'");
        List<MeterConfig.Band> bands = new ArrayList<>();
        MeterConfig.BandType type = null;
        long rate = 0, burstSize = 0;
        int prec = 0;
        List<String> bw = words(bandText, true);
        for (int i = 0; i < bw.size(); i += 2) {
            String name = bw.get(i);
            if (i + 1 >= bw.size()) throw new MeterSyntaxException("field " + name + " missing value");
            String value = bw.get(i + 1);
            if (name.equals("type")) {
                if (type != null) bands.add(new MeterConfig.Band(type, rate, burstSize, prec));
                type = switch (value) {
                    case "drop" -> MeterConfig.BandType.DROP;
                    case "dscp_remark" -> MeterConfig.BandType.DSCP_REMARK;
                    default -> throw new MeterSyntaxException("field " + name + " unknown value " + value);
                };
                rate = burstSize = prec = 0;
            } else if (type == null) {
                throw new MeterSyntaxException("band must start with the 'type' keyword");
            } else {
                switch (name) {
                    case "rate" -> rate = u32(value);
                    case "burst_size" -> burstSize = u32(value);
                    case "prec_level" -> prec = u8(value, name);
                    default -> throw new MeterSyntaxException("unknown keyword " + name);
                }
            }
        }
        if (type != null) bands.add(new MeterConfig.Band(type, rate, burstSize, prec));
        if (bands.isEmpty()) throw new MeterSyntaxException("meter must have bands");
        for (MeterConfig.Band x : bands) {
            if (x.type() == MeterConfig.BandType.DSCP_REMARK) {
                if (x.precLevel() == 0) throw new MeterSyntaxException("'dscp_remark' band must have 'prec_level'");
            } else if (x.precLevel() != 0) {
                throw new MeterSyntaxException("Only 'dscp_remark' band may have 'prec_level'");
            }
            if (x.rate() == 0) throw new MeterSyntaxException("band must have 'rate'");
            if (burst && x.burstSize() == 0) throw new MeterSyntaxException("band must have 'burst_size' when 'burst' flag is set");
            if (!burst && x.burstSize() != 0) throw new MeterSyntaxException("band may have 'burst_size' only when 'burst' flag is set");
        }
        return new MeterConfig(id, kbps, pktps, burst, stats, bands);
    }

    /**
     * The meter a del-meters, dump-meters or meter-stats names: "meter=N", "meter=all" or a bare N; {@link #ALL}
     * for all (also for null or an empty string).
     */
    public static long selector(String text) {
        if (text == null || text.isBlank()) return ALL;
        List<String> words = words(text, false);
        if (words.size() == 1 && !words.getFirst().equals("meter")) return meterId(words.getFirst(), true);
        long id = 0;
        for (int i = 0; i < words.size(); i++) {
            String name = words.get(i);
            if (++i >= words.size()) throw new MeterSyntaxException("field " + name + " missing value");
            if (!name.equals("meter")) throw new MeterSyntaxException("unknown keyword " + name);
            id = meterId(words.get(i), true);
        }
        if (id == 0) throw new MeterSyntaxException("must specify 'meter'");
        return id;
    }

    private static long meterId(String v, boolean allowAll) {
        switch (v) {
            case "all" -> {
                if (allowAll) return ALL;
                throw new MeterSyntaxException("meter=all names every meter; add-meter and mod-meter need a number (OFPMMFC_INVALID_METER)");
            }
            case "controller", "slowpath" -> throw new MeterSyntaxException("meter=" + v + " (OVS's meter for packets to the controller or the slow path) is not supported by xvio");
            default -> {
                long id = u32(v);
                if (id == 0 || id > MeterConfig.MAX_ID) throw new MeterSyntaxException("invalid value for meter");
                return id;
            }
        }
    }

    /** An unsigned 32-bit number as C's strtoull with base 0 reads it (0x hex, leading 0 octal). */
    static long u32(String s) {
        if (s.isEmpty()) throw new MeterSyntaxException("missing required numeric argument");
        int radix = 10, at = 0;
        if (s.length() > 1 && s.charAt(0) == '0' && (s.charAt(1) == 'x' || s.charAt(1) == 'X')) { radix = 16; at = 2; }
        else if (s.length() > 1 && s.charAt(0) == '0') { radix = 8; at = 1; }
        if (at >= s.length()) throw new MeterSyntaxException("invalid numeric format " + s);
        long v = 0;
        for (int i = at; i < s.length(); i++) {
            int d = Character.digit(s.charAt(i), radix);
            if (d < 0) throw new MeterSyntaxException("invalid numeric format " + s);
            v = v * radix + d;
            if (v > 0xffffffffL) throw new MeterSyntaxException("invalid numeric format " + s);
        }
        return v;
    }

    private static int u8(String s, String name) {
        long v;
        try {
            v = u32(s);
        } catch (MeterSyntaxException e) {
            throw new MeterSyntaxException("invalid " + name + " \"" + s + "\"");
        }
        if (v > 255) throw new MeterSyntaxException("invalid " + name + " \"" + s + "\"");
        return (int) v;
    }

    /**
     * The words of s as strtok_r splits them. A keyword's value is the next word split on ", \t\r\n" only (so a value
     * may hold '='), as ovs-ofctl reads it; pairs: the string is a list of name, value pairs (the band list).
     */
    private static List<String> words(String s, boolean pairs) {
        List<String> out = new ArrayList<>();
        int i = 0, n = s.length();
        boolean valueNext = false;
        while (i < n) {
            String delims = valueNext ? ", \t\r\n" : DELIMS;
            while (i < n && delims.indexOf(s.charAt(i)) >= 0) i++;
            if (i >= n) break;
            int j = i;
            while (j < n && delims.indexOf(s.charAt(j)) < 0) j++;
            String w = s.substring(i, j);
            out.add(w);
            i = j < n ? j + 1 : j;                  // strtok consumes one delimiter after the word
            if (valueNext) valueNext = false;
            else valueNext = pairs || !(w.equals("kbps") || w.equals("pktps") || w.equals("burst") || w.equals("stats"));
        }
        return out;
    }
}
