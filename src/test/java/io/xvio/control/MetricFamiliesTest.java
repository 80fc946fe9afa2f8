package io.xvio.control;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import static io.xvio.control.MetricFamilies.Type.COUNTER;
import static io.xvio.control.MetricFamilies.Type.GAUGE;
import static io.xvio.control.MetricFamilies.Type.INFO;
import static org.junit.jupiter.api.Assertions.*;

/** Metric families as the Prometheus client writes them: family headers, label escaping, names and types refused. */
class MetricFamiliesTest {

    @Test
    void aFamilyIsHelpTypeThenItsSamples() {
        String t = new MetricFamilies()
                .family("xvio_port_rx_packets_total", COUNTER, "Packets received.")
                .sample(5, "bridge", "br0", "port", "vhA")
                .sample(7, "bridge", "br0", "port", "vhB")
                .family("xvio_bridge_flows", GAUGE, "Flows.")
                .sample(2, "bridge", "br0")
                .text();
        assertEquals("""
                # HELP xvio_port_rx_packets_total Packets received.
                # TYPE xvio_port_rx_packets_total counter
                xvio_port_rx_packets_total{bridge="br0",port="vhA"} 5.0
                xvio_port_rx_packets_total{bridge="br0",port="vhB"} 7.0
                """, t.substring(t.indexOf("# HELP xvio_port")), "families in name order, labels too");
        assertTrue(t.startsWith("""
                # HELP xvio_bridge_flows Flows.
                # TYPE xvio_bridge_flows gauge
                xvio_bridge_flows{bridge="br0"} 2.0
                """), t);
    }

    @Test
    void labelValuesAndHelpAreEscaped() {
        String t = new MetricFamilies().family("m", GAUGE, "a \\ and a\nnewline").sample(1, "reason", "say \"hi\" \\ now\nthen").text();
        assertEquals("""
                # HELP m a \\\\ and a\\nnewline
                # TYPE m gauge
                m{reason="say \\"hi\\" \\\\ now\\nthen"} 1.0
                """, t);
    }

    @Test
    void doublesUseTheFormatsPrometheusReads() {
        String t = new MetricFamilies().family("g", GAUGE, "h").sample(0.25, "i", "1").sample(Double.NaN, "i", "2")
                .sample(Double.POSITIVE_INFINITY, "i", "3").sample(Double.NEGATIVE_INFINITY, "i", "4").sample(1.5e-7, "i", "5").text();
        assertTrue(t.endsWith("g{i=\"1\"} 0.25\ng{i=\"2\"} NaN\ng{i=\"3\"} +Inf\ng{i=\"4\"} -Inf\ng{i=\"5\"} 1.5E-7\n"), t);
    }

    @Test
    void badNamesTypesAndRepeatsAreRefused() {
        MetricFamilies x = new MetricFamilies();
        assertThrows(IllegalArgumentException.class, () -> x.family("9lives", GAUGE, "h"));
        assertThrows(IllegalArgumentException.class, () -> x.family("has-dash", GAUGE, "h"));
        assertThrows(IllegalArgumentException.class, () -> x.family("xvio_packets", COUNTER, "counters end in _total"));
        assertThrows(IllegalStateException.class, () -> x.sample(1));
        x.family("ok_total", COUNTER, "h");
        assertThrows(IllegalArgumentException.class, () -> x.family("ok_total", COUNTER, "twice"));
        assertThrows(IllegalArgumentException.class, () -> x.sample(1, "bad-label", "v"));
        assertThrows(IllegalArgumentException.class, () -> x.sample(1, "__reserved", "v"));
        assertThrows(IllegalArgumentException.class, () -> x.sample(1, "odd"));
        assertThrows(IllegalArgumentException.class, () -> x.family("xvio_port", INFO, "info families end in _info"));
        x.family("xvio_port_info", INFO, "h");
        assertThrows(IllegalArgumentException.class, () -> x.sample(2, "port", "vm1"), "an info metric is 1");
    }

    @Test
    void infoFamiliesAreGaugesOfOneInTheTextFormat() {
        String t = new MetricFamilies().family("xvio_port_info", INFO, "A port.").sample(1, "port", "vm1", "type", "vhostuser").text();
        assertEquals("""
                # HELP xvio_port_info A port.
                # TYPE xvio_port_info gauge
                xvio_port_info{port="vm1",type="vhostuser"} 1
                """, t);
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
        String t = new MetricFamilies().family("m", GAUGE, "h").sample(1, "l", value).text();
        String line = t.split("\n", -1)[2];
        assertEquals(4, t.split("\n", -1).length, "one sample line");
        assertTrue(line.startsWith("m{l=\"") && line.endsWith("\"} 1.0"), line);
        String quoted = line.substring(5, line.length() - 6);
        // no unescaped quote inside the value
        for (int i = 0; i < quoted.length(); i++) {
            if (quoted.charAt(i) == '\\') i++;
            else assertNotEquals('"', quoted.charAt(i), line);
        }
        assertEquals(value, unescape(quoted));
    }
}
