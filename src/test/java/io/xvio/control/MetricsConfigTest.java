package io.xvio.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The config's metrics key: optional, HOST:PORT, checked at load with its key named. */
class MetricsConfigTest {
    private static final String BRIDGES = "bridges:\n  br0: {}\n";

    @Test
    void metricsIsOptionalAndTakesHostColonPort() {
        assertNull(Config.parse(BRIDGES, "x.yaml").metrics());
        assertEquals("127.0.0.1:9475", Config.parse("metrics: 127.0.0.1:9475\n" + BRIDGES, "x.yaml").metrics());
        assertEquals("[::1]:9475", Config.parse("metrics: \"[::1]:9475\"\n" + BRIDGES, "x.yaml").metrics());
        assertEquals("127.0.0.1:1234", Config.parse(BRIDGES, "x.yaml").withMetrics("127.0.0.1:1234").metrics());
    }

    @Test
    void badAddressesAreNamed() {
        for (String bad : new String[] {"9475", "127.0.0.1:0", "127.0.0.1:99999", "\"::1:9475\"", "[1, 2]", "\"\""}) {
            ConfigException e = assertThrows(ConfigException.class, () -> Config.parse("metrics: " + bad + "\n" + BRIDGES, "bad.yaml"), bad);
            assertTrue(e.getMessage().startsWith("bad.yaml: metrics"), e.getMessage());
        }
        assertEquals("--metrics: \"x\" is not HOST:PORT (e.g. 127.0.0.1:9475)",
                assertThrows(ConfigException.class, () -> Config.metricsAddress("x", "--metrics")).getMessage());
    }
}
