package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** A mirror's settings from YAML and from add-mirror, and the errors a user gets for bad ones. */
class MirrorConfigTest {
    private static final Set<String> PORTS = Set.of("vm1", "vm2", "tap0");

    @Test
    void yamlAndCommandGiveTheSameMirror() {
        MirrorConfig y = MirrorConfig.fromConfig(Map.of("m0", Map.of("select-src-port", List.of("vm1"), "select-dst-port", List.of("vm1", "vm2"),
                "select-vlan", List.of(10, 20), "output-port", "tap0")), PORTS, "test", "bridges.br0").getFirst();
        MirrorConfig c = MirrorConfig.fromCommand("m0", List.of("select-src-port=vm1", "select-dst-port=vm1,vm2", "select-vlan=10,20", "output-port=tap0"), PORTS);
        assertEquals(y, c);
        assertEquals(new MirrorConfig("m0", false, List.of("vm1"), List.of("vm1", "vm2"), List.of(10, 20), "tap0"), c);
        assertEquals("select-src-port=vm1 select-dst-port=vm1,vm2 select-vlan=10,20 output-port=tap0", Mirrors.describe(c));
        assertTrue(MirrorConfig.fromCommand("m1", List.of("select-all=true", "output-port=tap0"), PORTS).selectAll());
    }

    private static String error(String... settings) {
        return assertThrows(ConfigException.class, () -> MirrorConfig.fromCommand("m0", List.of(settings), PORTS)).getMessage();
    }

    @Test
    void badSettingsSayWhatIsWrong() {
        assertTrue(error("select-src-port=vm1").contains("missing \"output-port\""));
        assertTrue(error("select-src-port=vm9", "output-port=tap0").contains("the bridge has no port \"vm9\""));
        assertTrue(error("select-src-port=vm1", "output-port=nic9").contains("output-port: the bridge has no port \"nic9\""));
        assertTrue(error("output-port=tap0").contains("selects nothing"));
        assertTrue(error("select-src-port=tap0", "output-port=tap0").contains("cannot also be a selected port"));
        assertTrue(error("select-all=yes", "output-port=tap0").contains("select-all must be true or false"));
        assertTrue(error("select-all=true", "select-vlan=4096", "output-port=tap0").contains("4096 is outside 0..4095"));
        assertTrue(error("select-all=true", "select-vlan=x", "output-port=tap0").contains("must be an integer"));
        assertTrue(error("select-all=true", "color=red", "output-port=tap0").contains("unknown key \"color\""));
        assertTrue(error("select-all", "output-port=tap0").contains("is not KEY=VALUE"));
        assertTrue(error("output-port=tap0", "output-port=vm1").contains("given twice"));
    }
}
