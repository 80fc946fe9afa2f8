package io.xvio.control;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Untrusted text in the log: one line, control characters escaped, cut with its size. */
class LoggingTest {
    @Test
    void controlCharactersAreEscaped() {
        assertEquals("a\\tb\\nc\\r\\x1b[31m\\x00\\x7f\\x85 é€", Logging.excerpt("a\tb\nc\r\u001b[31m\u0000\u007f\u0085 é€", 200));
    }

    @Test
    void longTextIsCutWithItsSizeInBytes() {
        String s = "é".repeat(300);
        assertEquals("é".repeat(200) + "... (600 bytes)", Logging.excerpt(s, 200));
        assertEquals("x".repeat(200), Logging.excerpt("x".repeat(200), 200));
        assertEquals("null", Logging.excerpt(null, 10));
    }

    @Test
    void theHandlerWritesOneLinePerMessage() throws Exception {
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        var saved = root.getHandlers();
        var savedLevel = root.getLevel();
        java.io.PrintStream err = System.err;
        String message = "forged\n2026-01-01 00:00:00.000 INFO  [control] fake\u001b[2J" + "y".repeat(10_000);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            Logging.setup(java.util.logging.Level.INFO);
            java.util.logging.Logger.getLogger("xvio.test").info(message);
        } finally {
            System.setErr(err);
            for (var h : root.getHandlers()) root.removeHandler(h);
            for (var h : saved) root.addHandler(h);
            root.setLevel(savedLevel);
        }
        String logged = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, logged.lines().count(), logged);
        assertTrue(logged.contains("[test] forged\\n2026-01-01 00:00:00.000 INFO  [control] fake\\x1b[2Jyyy"), logged);
        assertTrue(logged.strip().endsWith("... (" + message.length() + " bytes)"), logged.substring(logged.length() - 40));
    }
}
