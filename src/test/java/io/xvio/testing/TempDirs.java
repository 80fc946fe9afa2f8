package io.xvio.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A test world's temp directory, deleted at its end unless {@code -Dxvio.keep=true} keeps it for reading the logs. */
public final class TempDirs {
    private TempDirs() {}

    /** Deletes dir and everything in it (null: nothing), unless the xvio.keep property is true. */
    public static void removeUnlessKept(Path dir) throws IOException {
        if (dir == null || "true".equals(System.getProperty("xvio.keep"))) return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
