package io.xvio.control;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Text a user hands xvio (the config, a flows file): UTF-8 only, with an error that says where it is not. */
final class TextFile {
    /** Largest file read (a config or a flows file is far smaller). */
    static final long MAX_BYTES = 64L << 20;

    private TextFile() {}

    static String readUtf8(Path file) throws IOException {
        if (Files.size(file) > MAX_BYTES) throw new IOException("larger than " + (MAX_BYTES >> 20) + " MiB");
        return decodeUtf8(Files.readAllBytes(file));
    }

    /** The text in bytes; an IOException names the first byte that is not UTF-8 text (or is NUL) and its offset. */
    static String decodeUtf8(byte[] bytes) throws IOException {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = d.decode(in, out, true);
        if (r.isError()) {
            int at = in.position();
            throw new IOException(String.format("not UTF-8 text: byte 0x%02x at offset %d (line %d) is not valid UTF-8",
                    bytes[at] & 0xff, at, line(bytes, at)));
        }
        d.flush(out);
        for (int i = 0; i < bytes.length; i++)
            if (bytes[i] == 0) throw new IOException("binary data, not text: a NUL byte at offset " + i + " (line " + line(bytes, i) + ")");
        return out.flip().toString();
    }

    private static int line(byte[] bytes, int upTo) {
        int line = 1;
        for (int i = 0; i < upTo; i++) if (bytes[i] == '\n') line++;
        return line;
    }
}
