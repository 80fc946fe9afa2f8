package io.xvio.datapath;

import net.jqwik.api.*;

import static org.junit.jupiter.api.Assertions.*;

/** The flow parser on arbitrary and on generated-valid input: it either parses or names a position, never crashes. */
class FlowParserProperties {
    @Property(tries = 2000)
    void anyStringParsesOrFailsWithAPositionInsideIt(@ForAll String text) {
        try {
            FlowParser.parse(text);
        } catch (FlowSyntaxException e) {
            assertTrue(e.position() >= 0 && e.position() <= text.length(), e.getMessage());
        }
    }

    @Property(tries = 1000)
    void generatedFlowsRoundTripThroughDescribe(@ForAll("flows") String text) {
        Flow f = FlowParser.parse(text);
        Flow again = FlowParser.parse(f.describe());
        assertEquals(f.priority(), again.priority());
        assertEquals(f.inPort(), again.inPort());
        assertEquals(f.actions(), again.actions());
    }

    @Provide
    Arbitrary<String> flows() {
        Arbitrary<String> prio = Arbitraries.integers().between(0, 65535).map(p -> "priority=" + p).injectNull(0.5);
        Arbitrary<String> inPort = Arbitraries.integers().between(1, 0xfeff).map(p -> "in_port=" + p).injectNull(0.3);
        Arbitrary<String> action = Arbitraries.oneOf(
                Arbitraries.integers().between(1, 0xfeff).map(p -> "output:" + p),
                Arbitraries.of("normal", "NORMAL", "flood", "in_port", "all"));
        Arbitrary<String> actions = Arbitraries.oneOf(action.list().ofMinSize(1).ofMaxSize(4).map(l -> String.join(",", l)), Arbitraries.just("drop"));
        return Combinators.combine(prio, inPort, actions, Arbitraries.of(",", " ")).as((p, i, a, sep) -> {
            StringBuilder sb = new StringBuilder();
            if (p != null) sb.append(p).append(sep);
            if (i != null) sb.append(i).append(sep);
            return sb.append("actions=").append(a).toString();
        });
    }
}
