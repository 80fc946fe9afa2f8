package io.xvio.control;

import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.logging.*;

/** One-line log records on stderr: "2026-11-26 15:04:05.123 INFO  [vhost] port vhA: ...". */
public final class Logging {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

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
                        .append(" [").append(name).append("] ").append(r.getMessage());
                if (r.getThrown() != null) {
                    java.io.StringWriter sw = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(sw));
                    sb.append('\n').append(sw);
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
}
