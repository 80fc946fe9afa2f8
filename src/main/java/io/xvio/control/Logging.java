package io.xvio.control;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.*;

/**
 * One-line log records on stderr: "2026-11-26 15:04:05.123 INFO  [vhost] port vhA: ...". A message is one line
 * whatever it quotes: control characters are escaped and a message longer than {@link #MAX_MESSAGE} is cut.
 */
public final class Logging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    /** Longest message a record prints (a backstop; untrusted text is cut much shorter by {@link #excerpt}). */
    static final int MAX_MESSAGE = 4096;

    /** Keeps its handlers through JVM shutdown so the daemon's last lines ("stopped") are not lost. */
    public static final class Manager extends LogManager {
        static volatile Manager instance;
        public Manager() { instance = this; }
        @Override public void reset() { }
        void finalReset() { super.reset(); }
    }

    private Logging() {}

    public static void setup(Level level) {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        PrintStream err = System.err;
        Handler h = new Handler() {
            @Override
            public synchronized void publish(LogRecord r) {
                if (!isLoggable(r)) return;
                String name = r.getLoggerName() == null ? "" : r.getLoggerName().replaceFirst("^xvio\\.", "");
                StringBuilder sb = new StringBuilder();
                sb.append(LocalDateTime.now().format(TIME)).append(' ')
                        .append(String.format("%-5s", r.getLevel() == Level.WARNING ? "WARN" : r.getLevel() == Level.SEVERE ? "ERROR" : r.getLevel().getName()))
                        .append(" [").append(name).append("] ").append(excerpt(r.getMessage(), MAX_MESSAGE));
                if (r.getThrown() != null) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    // a stack trace keeps its lines, each escaped and cut (an exception's message may quote input)
                    sw.toString().lines().limit(200).forEach(l -> sb.append('\n').append(excerpt(l.replace("\t", "    "), MAX_MESSAGE)));
                }
                err.println(sb);
                err.flush();
            }
            @Override public void flush() { err.flush(); }
            @Override public void close() { }
        };
        h.setLevel(level);
        root.addHandler(h);
        root.setLevel(level);
    }

    /**
     * Untrusted text as a log can carry it: control characters escaped (\n, \t, \x1b ...), and if longer than max
     * characters, its first max characters and "... (N bytes)" (N: its length in UTF-8).
     */
    public static String excerpt(String s, int max) {
        if (s == null) return "null";
        StringBuilder sb = new StringBuilder(Math.min(s.length(), max) + 24);
        int i = 0;
        for (; i < s.length() && sb.length() < max; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0x2028 || c == 0x2029) sb.append(String.format("\\x%02x", (int) c));
                    else sb.append(c);
                }
            }
        }
        if (i < s.length()) sb.append("... (").append(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).append(" bytes)");
        return sb.toString();
    }
}
