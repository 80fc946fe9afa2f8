package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Under --ovsdb the YAML file may hold daemon settings only; without it bridges stay required. */
class ConfigWithoutBridgesTest {
    @Test
    void settingsOnlyFileIsFineWhenTheDatabaseNamesTheBridges() {
        Config c = Config.parse("pmd-idle: adaptive\ncontrol-socket: /tmp/x.sock\n", "x.yaml", false);
        assertEquals("adaptive", c.pmdIdle());
        assertEquals("/tmp/x.sock", c.controlSocket());
        assertTrue(c.bridges().isEmpty());
        assertEquals(Config.empty(), Config.parse("", "x.yaml", false));
        assertEquals(List.of(), Config.empty().pmdCpus());
    }

    @Test
    void withoutTheDatabaseBridgesAreStillRequired() {
        assertEquals("x.yaml: missing \"bridges:\"",
                assertThrows(ConfigException.class, () -> Config.parse("pmd-idle: adaptive\n", "x.yaml")).getMessage());
        assertTrue(assertThrows(ConfigException.class, () -> Config.parse("pmd-idle: sideways\n", "x.yaml", false))
                .getMessage().contains("pmd-idle must be"));
    }
}
