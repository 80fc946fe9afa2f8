package io.xvio.control;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The --format=F request argument: taken out wherever it is, never the command itself, unknown formats named. */
class FormatTest {
    @Test
    void theFormatArgumentIsTakenOut() {
        assertEquals(new Format.Request(Format.JSON, List.of("stats")), Format.split(List.of("stats", "--format=json")));
        assertEquals(new Format.Request(Format.JSON, List.of("dump-flows", "br0", "in_port=1")),
                Format.split(List.of("dump-flows", "br0", "--format=json", "in_port=1")));
        assertEquals(new Format.Request(Format.TEXT, List.of("show")), Format.split(List.of("show", "--format=text")));
        assertEquals(new Format.Request(Format.TEXT, List.of("--format=json")), Format.split(List.of("--format=json")), "a command, not a format");
        assertEquals("--format=json", Format.JSON.argument());
    }

    @Test
    void anUnknownFormatIsAnError() {
        ControlException e = assertThrows(ControlException.class, () -> Format.split(List.of("stats", "--format=xml")));
        assertEquals("unknown format \"xml\" (text or json)", e.getMessage());
    }
}
