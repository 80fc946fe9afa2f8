package io.xvio.control;

import net.jqwik.api.*;

import static org.junit.jupiter.api.Assertions.*;

/** A port's mtu, whatever is written: the port with exactly that MTU when the type takes it and it is in range, else a ConfigException. */
class MtuSettingProperties {
    @Provide
    Arbitrary<String> values() {
        return Arbitraries.oneOf(Arbitraries.longs().between(-5, 70_000).map(String::valueOf),
                Arbitraries.of("67", "68", "65535", "65536", "1e3", "0x640", "\"1600\"", "1600.0", "[1600]", "{a: 1}", "null", "~", "true", "99999999999999999999"),
                Arbitraries.strings().withChars("0123456789-.:x ").ofMaxLength(8));
    }

    @Property(tries = 1500)
    void anMtuIsTakenExactlyWhenTheTypeTakesItAndItIsInRange(@ForAll("values") String v,
                                                             @ForAll("types") String type) {
        String port = switch (type) {
            case "vhostuser" -> "{type: vhostuser, path: /tmp/p.sock, mtu: " + v + "}";
            case "tap" -> "{type: tap, mtu: " + v + "}";
            default -> "{type: afpacket, device: veth0, mtu: " + v + "}";
        };
        boolean number = v.strip().matches("-?(0|[1-9]\\d{0,9})");       // YAML 1.2: "068" is a string
        long n = number ? Long.parseLong(v.strip()) : -1;
        try {
            Config c = Config.parse("bridges:\n  br0:\n    ports:\n      p: " + port + "\n", "x.yaml");
            int mtu = c.bridges().get("br0").ports().get("p").mtu();
            if (v.isBlank() || v.strip().equals("null") || v.strip().equals("~")) assertEquals(0, mtu, "an empty value: no mtu");
            else {
                assertTrue(number && n >= 68 && n <= 65535 && !type.equals("afpacket"), v + " on " + type);
                assertEquals(n, mtu);
            }
        } catch (ConfigException e) {
            assertTrue(e.getMessage().startsWith("x.yaml: "), e.getMessage());
            if (number && n >= 68 && n <= 65535) assertEquals("afpacket", type, e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> types() { return Arbitraries.of("vhostuser", "tap", "afpacket"); }
}
