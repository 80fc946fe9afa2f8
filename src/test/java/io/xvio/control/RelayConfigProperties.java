package io.xvio.control;

import net.jqwik.api.*;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** add-relay's argument parser: whatever a user types, the answer is a relay or a ConfigException, never a crash. */
class RelayConfigProperties {
    @Provide
    Arbitrary<String> words() {
        Arbitrary<String> key = Arbitraries.of("vhost.path", "vhost.mode", "vhost.queues", "vhost.mergeable", "vhost.packed", "vf.device",
                "vf.type", "vf.queue", "cpus.vm-to-vf", "cpus.vf-to-vm", "vhost", "x.y.z", "", ".", "vf.", "cpus.x");
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of("/tmp/a.sock", "server", "client", "afxdp", "afpacket", "eth1", "0", "1", "16",
                        "17", "-1", "true", "false", "99999999999", "", "a:b", "{", "[1]", "\u0000"),
                Arbitraries.strings().ofMaxLength(20));
        return Combinators.combine(key, Arbitraries.of("=", "", "=="), value).as((k, eq, v) -> k + eq + v);
    }

    @Property(tries = 2000)
    void keyValueWordsGiveARelayOrAConfigException(@ForAll("relayWords") List<String> settings) {
        try {
            RelayConfig r = RelayConfig.fromCommand("vm1", settings, List.of(0, 1));
            assertNotNull(r.vhost().path());
            assertTrue(r.vf().type().equals("afxdp") || r.vf().type().equals("afpacket"));
        } catch (ConfigException e) {
            assertFalse(e.getMessage().isBlank());
        }
    }

    @Provide
    Arbitrary<List<String>> relayWords() { return words().list().ofMaxSize(8); }

    @Property(tries = 2000)
    void aMappingArgumentGivesARelayOrAConfigException(@ForAll("mappings") String text) {
        try {
            RelayConfig.fromCommand("vm1", List.of(text), List.of(0));
        } catch (ConfigException e) {
            assertFalse(e.getMessage().isBlank());
        }
    }

    @Provide
    Arbitrary<String> mappings() {
        String good = "{vhost: {path: /tmp/x.sock, queues: 2}, vf: {device: eth1, type: afxdp}, cpus: {vm-to-vf: 0}}";
        Arbitrary<String> cut = Arbitraries.integers().between(0, good.length()).map(n -> good.substring(0, n));
        Arbitrary<String> mutated = Combinators.combine(Arbitraries.integers().between(0, good.length() - 1), Arbitraries.chars())
                .as((i, c) -> good.substring(0, i) + c + good.substring(i + 1));
        Arbitrary<String> random = Arbitraries.strings().ofMaxLength(60).map(s -> "{" + s);
        return Arbitraries.oneOf(cut.map(s -> "{" + s.substring(Math.min(1, s.length()))), mutated, random,
                Arbitraries.of("{a: *x}", "{a: &x [*x]}", "{vhost: !!binary AAAA, vf: 1}", "{vhost: {path: [1,2]}}",
                        "{a: " + "[".repeat(4000), "{vhost: " + "{a: ".repeat(3000) + "1" + "}".repeat(3001)));
    }
}
