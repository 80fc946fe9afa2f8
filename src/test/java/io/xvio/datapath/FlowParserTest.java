package io.xvio.datapath;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FlowParserTest {
    @Test
    void parsesTheOfctlForms() {
        Flow f = FlowParser.parse("in_port=1,actions=output:2");
        assertEquals(1, f.inPort());
        assertEquals(Flow.DEFAULT_PRIORITY, f.priority());
        assertEquals(List.of(Action.output(2)), f.actions());

        f = FlowParser.parse("priority=10 in_port=3 actions=NORMAL");
        assertEquals(10, f.priority());
        assertEquals(List.of(Action.of(Action.Kind.NORMAL)), f.actions());

        f = FlowParser.parse("actions=drop");
        assertEquals(-1, f.inPort());
        assertTrue(f.actions().isEmpty());
        assertEquals("actions=drop", f.describe());

        f = FlowParser.parse("table=0,in_port=2,actions=1,output:3,in_port");
        assertEquals(List.of(Action.output(1), Action.output(3), Action.of(Action.Kind.IN_PORT)), f.actions());
    }

    private static FlowSyntaxException bad(String flow) {
        return assertThrows(FlowSyntaxException.class, () -> FlowParser.parse(flow));
    }

    @Test
    void errorsNameTheTokenAndPosition() {
        FlowSyntaxException e = bad("in_port=1,dl_vlan=5,actions=drop");
        assertEquals(10, e.position());
        assertTrue(e.getMessage().contains("unsupported match field \"dl_vlan\""), e.getMessage());

        e = bad("in_port=x,actions=drop");
        assertTrue(e.getMessage().contains("in_port \"x\" is not a number at position 8"), e.getMessage());

        e = bad("in_port=1");
        assertTrue(e.getMessage().contains("missing \"actions=\""));

        e = bad("in_port=1,actions=output:2,explode");
        assertEquals(27, e.position());
        assertTrue(e.getMessage().contains("unsupported action \"explode\""));

        e = bad("in_port=1,actions=");
        assertTrue(e.getMessage().contains("empty action list"));

        e = bad("in_port=1,actions=drop,output:1");
        assertTrue(e.getMessage().contains("\"drop\" must be the only action"));

        e = bad("priority=70000,actions=drop");
        assertTrue(e.getMessage().contains("priority 70000 is outside 0..65535"));
    }
}
