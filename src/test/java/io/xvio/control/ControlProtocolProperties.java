package io.xvio.control;

import net.jqwik.api.*;
import net.jqwik.api.constraints.Size;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The control protocol's framing: any list of strings (tabs, newlines, quotes, NULs, lone surrogates) arrives as
 * exactly the list sent; any other bytes are refused with a FrameException (or end-of-stream), nothing else.
 */
class ControlProtocolProperties {

    private static List<String> roundTrip(List<String> args) throws Exception {
        InputStream in = new ByteArrayInputStream(ControlProtocol.encodeRequest(args));
        long length = ControlProtocol.readRequestHeader(in);
        List<String> back = ControlProtocol.readRequestBody(in, length);
        assertEquals(-1, in.read(), "the frame ends where its length says");
        return back;
    }

    @Provide
    Arbitrary<List<String>> argLists() {
        Arbitrary<String> nasty = Arbitraries.strings().withChars("\t\n\r\"\\ \u0000\u001b[]{},:é€\ud83d\ude00\ud800\udc00").ofMaxLength(30);
        Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(60);
        return Arbitraries.oneOf(nasty, any).list().ofMaxSize(12);
    }

    @Property(tries = 2000)
    void anyListOfStringsRoundTrips(@ForAll("argLists") List<String> args) throws Exception {
        assertEquals(args, roundTrip(args));
    }

    @Example
    void aTabOrNewlineStaysInsideItsArgument() throws Exception {
        List<String> args = List.of("add-flow", "br0", "priority=1,actions=drop\tpriority=2,actions=drop\nrest");
        assertEquals(args, roundTrip(args));
        assertEquals(3, roundTrip(args).size());
    }

    @Example
    void aThousandFlowsFitOneRequest() throws Exception {
        List<String> args = new java.util.ArrayList<>(List.of("add-flows", "br0"));
        for (int i = 0; i < 1000; i++) args.add("priority=" + i + ",tcp,nw_src=10.0.0." + (i % 250) + ",tp_dst=" + i + ",actions=output:1");
        assertEquals(args, roundTrip(args));
    }

    private static String refusal(String wire) {
        return refusal(wire.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** The FrameException message for bytes that are not a request (fails if they are one). */
    private static String refusal(byte[] wire) {
        InputStream in = new ByteArrayInputStream(wire);
        try {
            long n = ControlProtocol.readRequestHeader(in);
            ControlProtocol.readRequestBody(in, n);
        } catch (ControlProtocol.FrameException e) {
            return e.getMessage();
        } catch (IOException e) {
            fail(e);
        }
        return fail("accepted: " + new String(wire, StandardCharsets.ISO_8859_1));
    }

    @Example
    void malformedRequestsAreRefusedWithTheReason() {
        assertTrue(refusal("show\tbr0\n").startsWith("malformed request: expected a byte count and a newline, got \"show\\tbr0\""), refusal("show\tbr0\n"));
        assertTrue(refusal("1".repeat(40)).startsWith("malformed request: expected a byte count"));
        assertEquals("request cut short: 2 of 10 bytes", refusal("10\n[\""));
        assertEquals("malformed request: the body is not a JSON array", refusal("7\n\"show\"\n"));
        assertEquals("malformed request: argument 2 is not a string", refusal("12\n[\"show\", 1]"));
        assertEquals("malformed request: argument 1 is not a string", refusal("10\n[[\"show\"]]"));
        assertEquals("malformed request: data after the JSON array", refusal("6\n[] []"));
        assertTrue(refusal("4\n[\"\u00ff\"]").contains("Invalid UTF-8"), refusal("4\n[\"\u00ff\"]"));
        assertTrue(refusal("3\n[\"a").startsWith("malformed request: "), refusal("3\n[\"a"));
    }

    @Example
    void aClosedConnectionBeforeAnyByteIsNotAnError() {
        assertThrows(EOFException.class, () -> ControlProtocol.readRequestHeader(new ByteArrayInputStream(new byte[0])));
    }

    @Property(tries = 2000)
    void arbitraryBytesAreARequestOrRefusedCleanly(@ForAll @Size(max = 64) byte[] body, @ForAll boolean honestLength) throws IOException {
        byte[] head = ((honestLength ? body.length : body.length + 5) + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] wire = new byte[head.length + body.length];
        System.arraycopy(head, 0, wire, 0, head.length);
        System.arraycopy(body, 0, wire, head.length, body.length);
        for (byte[] w : List.of(wire, body)) {
            InputStream in = new ByteArrayInputStream(w);
            try {
                long n = ControlProtocol.readRequestHeader(in);
                ControlProtocol.readRequestBody(in, n);
            } catch (ControlProtocol.FrameException | EOFException expected) {
                assertNotNull(expected.getMessage());
            }
        }
    }

    /** Bytes Jackson takes for a UTF-32 byte order mark it cannot read (found by the property above). */
    @net.jqwik.api.Example
    void aBodyThatLooksLikeOddUtf32IsRefusedCleanly() throws IOException {
        for (byte[] body : List.of(new byte[] {0, 0, (byte) 0xff, (byte) 0xfe}, new byte[] {(byte) 0xfe, (byte) 0xff, 0, 0})) {
            ControlProtocol.FrameException e = assertThrows(ControlProtocol.FrameException.class,
                    () -> ControlProtocol.readRequestBody(new ByteArrayInputStream(body), body.length));
            assertTrue(e.getMessage().startsWith("malformed request"), e.getMessage());
        }
    }

    @Property(tries = 500)
    void repliesRoundTrip(@ForAll boolean ok, @ForAll("replyTexts") String text) throws Exception {
        ControlClient.Reply r = ControlProtocol.readReply(new ByteArrayInputStream(ControlProtocol.encodeReply(ok, text)));
        assertEquals(ok, r.ok());
        assertEquals(text, r.text());
    }

    @Provide
    Arbitrary<String> replyTexts() {
        // what goes over as UTF-8: well-formed text (a lone surrogate has no UTF-8 form)
        return Arbitraries.strings().withCharRange('\u0000', '\ud7ff').ofMaxLength(200);
    }

    @Example
    void aReplyCutShortIsReportedAsSuch() {
        byte[] full = ControlProtocol.encodeReply(true, "0123456789");
        byte[] cut = java.util.Arrays.copyOf(full, full.length - 4);
        var e = assertThrows(ControlProtocol.FrameException.class, () -> ControlProtocol.readReply(new ByteArrayInputStream(cut)));
        assertEquals("the daemon's reply was cut short: 6 of 10 bytes", e.getMessage());
    }
}
