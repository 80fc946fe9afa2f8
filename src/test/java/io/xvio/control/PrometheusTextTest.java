package io.xvio.control;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import static io.xvio.control.PrometheusText.Type.COUNTER;
import static io.xvio.control.PrometheusText.Type.GAUGE;
import static org.junit.jupiter.api.Assertions.*;

/** The Prometheus text format writer: family headers, label escaping, names and types it refuses. */
class PrometheusTextTest {

    @Test
    void aFamilyIsHelpTypeThenItsSamples() {
        String t = new PrometheusText()
                .family("xvio_port_rx_packets_total", COUNTER, "Packets received.")
                .sample(5, "bridge", "br0", "port", "vhA")
                .sample(7, "bridge", "br0", "port", "vhB")
                .family("xvio_bridge_flows", GAUGE, "Flows.")
                .sample(2, "bridge", "br0")
                .text();
        assertEquals("""
                # HELP xvio_port_rx_packets_total Packets received.
                # TYPE xvio_port_rx_packets_total counter
                xvio_port_rx_packets_total{bridge="br0",port="vhA"} 5
                xvio_port_rx_packets_total{bridge="br0",port="vhB"} 7
                # HELP xvio_bridge_flows Flows.
                # TYPE xvio_bridge_flows gauge
                xvio_bridge_flows{bridge="br0"} 2
                """, t);
    }

    @Test
    void labelValuesAndHelpAreEscaped() {
        String t = new PrometheusText().family("m", GAUGE, "a \\ and a\nnewline").sample(1, "reason", "say \"hi\" \\ now\nthen").text();
        assertEquals("""
                # HELP m a \\\\ and a\\nnewline
                # TYPE m gauge
                m{reason="say \\"hi\\" \\\\ now\\nthen"} 1
                """, t);
    }

    @Test
    void doublesUseTheFormatsPrometheusReads() {
        String t = new PrometheusText().family("g", GAUGE, "h").sample(0.25).sample(Double.NaN).sample(Double.POSITIVE_INFINITY)
                .sample(Double.NEGATIVE_INFINITY).sample(1.5e-7).text();
        assertTrue(t.endsWith("g 0.25\ng NaN\ng +Inf\ng -Inf\ng 1.5E-7\n"), t);
    }

    @Test
    void badNamesTypesAndRepeatsAreRefused() {
        PrometheusText x = new PrometheusText();
        assertThrows(IllegalArgumentException.class, () -> x.family("9lives", GAUGE, "h"));
        assertThrows(IllegalArgumentException.class, () -> x.family("has-dash", GAUGE, "h"));
        assertThrows(IllegalArgumentException.class, () -> x.family("xvio_packets", COUNTER, "counters end in _total"));
        assertThrows(IllegalStateException.class, () -> x.sample(1));
        x.family("ok_total", COUNTER, "h");
        assertThrows(IllegalArgumentException.class, () -> x.family("ok_total", COUNTER, "twice"));
        assertThrows(IllegalArgumentException.class, () -> x.sample(1, "bad-label", "v"));
        assertThrows(IllegalArgumentException.class, () -> x.sample(1, "__reserved", "v"));
        assertThrows(IllegalArgumentException.class, () -> x.sample(1, "odd"));
    }

    /** Reads back a label value the way Prometheus's parser does (\\, \" and \n are the only escapes). */
    private static String unescape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') { sb.append(c); continue; }
            char n = s.charAt(++i);
            sb.append(n == 'n' ? '\n' : n);
        }
        return sb.toString();
    }

    @Property(tries = 1000)
    void anyLabelValueStaysOnOneLineAndReadsBackTheSame(@ForAll String value) {
        String t = new PrometheusText().family("m", GAUGE, "h").sample(1, "l", value).text();
        String line = t.split("\n", -1)[2];
        assertEquals(4, t.split("\n", -1).length, "one sample line");
        assertTrue(line.startsWith("m{l=\"") && line.endsWith("\"} 1"), line);
        String quoted = line.substring(5, line.length() - 4);
        // no unescaped quote inside the value
        for (int i = 0; i < quoted.length(); i++) {
            if (quoted.charAt(i) == '\\') i++;
            else assertNotEquals('"', quoted.charAt(i), line);
        }
        assertEquals(value, unescape(quoted));
    }
}
