package io.xvio.control;

import io.xvio.sys.Fd;
import io.xvio.sys.FdPassing;
import io.xvio.sys.OutputFd;
import io.xvio.sys.UnixSocket;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * `xvio capture PORT`: frames as they enter and/or leave a port, in pcap format, to a file or stdout. The daemon's
 * PMD threads copy frames into a ring ({@link Captures}). This client opens the output (the -w file, or its stdout)
 * and passes its descriptor to the daemon over the control connection (SCM_RIGHTS), and the daemon's capture thread
 * writes the pcap into it ({@link CaptureStream}); the client only waits for the summary. A daemon that cannot take
 * the descriptor answers "poll", and then (as with a daemon older than this) the client polls the ring every 100 ms
 * and writes what it gets. Ends after --count frames, or on Ctrl-C/SIGTERM (the frames already taken are written,
 * then the summary).
 */
@Command(name = "capture", mixinStandardHelpOptions = true,
        description = {"Capture the frames a port receives and/or sends, in pcap format (tcpdump -r, tshark and Wireshark read it).",
                "Runs until --count frames are captured or until interrupted (Ctrl-C); then prints to stderr",
                "\"N captured, M dropped by the capture ring\" (a capture that cannot keep up drops, it never slows the switch).",
                "Several captures may run at once, on one port too (each sees every frame).",
                "Example: xvio capture vm1 --count 100 -w vm1.pcap; xvio capture vm1 -w - | tcpdump -nr -"})
final class CaptureCli implements Callable<Integer> {
    @CommandLine.Mixin Main.ControlOption ctl;
    @Parameters(index = "0", paramLabel = "PORT", description = "the port's name (a bridge's or a relay's)") String port;
    @Option(names = "--rx", description = "only frames the port receives") boolean rx;
    @Option(names = "--tx", description = "only frames the port sends") boolean tx;
    @Option(names = "--count", paramLabel = "N", defaultValue = "0", description = "stop after N frames (default: until interrupted)") long count;
    @Option(names = "--snaplen", paramLabel = "BYTES", defaultValue = "262144",
            description = "keep at most this many bytes of each frame (default ${DEFAULT-VALUE}, tcpdump's; large TSO frames are cut to it)") int snaplen;
    @Option(names = {"-w", "--write"}, paramLabel = "FILE", defaultValue = "-", description = "the pcap file, or - for stdout (default)") String file;
    @Option(names = "--time-precision", paramLabel = "micro|nano", defaultValue = "nano",
            description = "time stamps in nanoseconds (default) or microseconds (pcap's original format)") String precision;

    private volatile boolean interrupted;

    @Override
    public Integer call() throws InterruptedException {
        if (rx && tx) rx = tx = false;
        if (count < 0) return fail("--count must be 0 or more");
        if (snaplen < 1 || snaplen > Captures.MAX_SNAPLEN) return fail("--snaplen must be 1 to " + Captures.MAX_SNAPLEN);
        if (!precision.equals("micro") && !precision.equals("nano")) return fail("--time-precision must be micro or nano");
        String dir = rx ? "rx" : tx ? "tx" : "both";
        List<String> start = List.of("capture-start", port, dir, String.valueOf(snaplen), String.valueOf(count), precision);
        UnixSocket sock;
        try {
            sock = UnixSocket.connect(ctl.path());
        } catch (RuntimeException e) {
            return fail("cannot reach the daemon at " + ctl.path() + ": " + e.getMessage());
        }
        try (sock) {
            ControlClient.Reply r;
            try {
                List<String> withFd = new ArrayList<>(start);
                withFd.add("fd");
                sock.send(ControlProtocol.encodeRequest(withFd));
                r = readReply(sock);
            } catch (IOException | ControlProtocol.FrameException | RuntimeException e) {
                return fail("no answer from the daemon at " + ctl.path() + ": " + e.getMessage());
            }
            if (!r.ok()) {
                if (!r.text().startsWith("capture-start needs")) return fail(r.text());   // no file is made for a capture that did not start
                try {
                    return polled(call(start.toArray(String[]::new)));    // a daemon older than fd passing
                } catch (ControlException e) {
                    return fail(e.getMessage());
                }
            }
            String[] answer = r.text().split(" ", 2);
            if (answer.length == 2 && answer[0].equals("poll")) return polled(answer[1]);
            if (answer.length != 2 || !answer[0].equals("fd")) return fail("unexpected answer from the daemon: " + r.text());
            return streamed(sock);
        }
    }

    /**
     * The daemon writes the capture: it gets our output's descriptor, and answers the summary when the capture ends
     * (--count reached, its output closed, or we shut our side: Ctrl-C/SIGTERM).
     */
    private int streamed(UnixSocket sock) throws InterruptedException {
        int out;
        try {
            out = file.equals("-") ? 1 : OutputFd.create(file);
        } catch (RuntimeException e) {
            return fail("cannot write " + file + ": " + e.getMessage());     // closing the connection ends the capture
        }
        try {
            FdPassing.send(sock.fd(), out, (byte) 'w');
        } catch (RuntimeException e) {
            return fail("cannot pass the output to the daemon: " + e.getMessage());
        } finally {
            if (out != 1) Fd.closeQuietly(out);        // the daemon has its own descriptor of the file
        }
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            interrupted = true;
            sock.shutdownOutput();                     // the daemon reads end-of-file: it ends the capture and answers
            try {
                finished.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        int rc;
        try {
            ControlClient.Reply end = readReply(sock);
            if (end.ok()) {
                System.err.println(end.text());
                rc = 0;
            } else {
                System.err.println("xvio: " + end.text());
                rc = 1;
            }
        } catch (IOException | ControlProtocol.FrameException | RuntimeException e) {
            System.err.println("xvio: capture: the daemon ended the connection without a summary: " + e.getMessage());
            rc = 1;
        }
        finished.countDown();
        if (!interrupted) Runtime.getRuntime().removeShutdownHook(hook);
        return rc;
    }

    /** One reply ({@link ControlProtocol}) from sock; EOFException if it closes first. */
    static ControlClient.Reply readReply(UnixSocket sock) throws IOException, ControlProtocol.FrameException {
        byte[] one = new byte[1];
        return ControlProtocol.readReply(new InputStream() {
            @Override
            public int read() {
                return sock.recvFully(one, 1, null) < 0 ? -1 : one[0] & 0xff;
            }
        });
    }

    /** The client drains the capture by polling (base64 over the control socket): the fallback. */
    private int polled(String id) throws InterruptedException {
        OutputStream out;
        try {
            out = file.equals("-") ? System.out : Files.newOutputStream(Path.of(file));
        } catch (IOException | RuntimeException e) {
            try {
                call("capture-stop", id);
            } catch (ControlException ignored) {
            }
            return fail("cannot write " + file + ": " + e.getMessage());
        }
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            interrupted = true;
            try {
                finished.await(3, TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        int rc = 0;
        try {
            while (true) {
                boolean last = interrupted;
                String reply = call("capture-read", id);
                int nl = reply.indexOf('\n');
                out.write(Base64.getDecoder().decode(reply.substring(nl + 1)));
                out.flush();
                if (last || reply.substring(0, nl).endsWith(" done")) break;
                Thread.sleep(100);
            }
        } catch (IOException e) {
            System.err.println("xvio: capture: " + e.getMessage());
            rc = 1;
        } catch (ControlException e) {
            System.err.println("xvio: " + e.getMessage());
            rc = 1;
        }
        try {
            System.err.println(call("capture-stop", id));
        } catch (ControlException e) {
            if (rc == 0) System.err.println("xvio: " + e.getMessage());
        }
        try {
            if (out != System.out) out.close();
        } catch (IOException e) {
            System.err.println("xvio: closing " + file + ": " + e.getMessage());
            rc = 1;
        }
        finished.countDown();
        if (!interrupted) Runtime.getRuntime().removeShutdownHook(hook);
        return rc;
    }

    private String call(String... args) {
        ControlClient.Reply r;
        try {
            r = ControlClient.call(ctl.path(), List.of(args));
        } catch (IOException e) {
            throw new ControlException("cannot reach the daemon at " + ctl.path() + ": " + e.getMessage());
        }
        if (!r.ok()) throw new ControlException(r.text());
        return r.text();
    }

    private static int fail(String why) {
        System.err.println("xvio: " + why);
        return 2;
    }
}
