package io.xvio.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * `xvio capture PORT`: frames as they enter and/or leave a port, in pcap format, to a file or stdout. The daemon's
 * PMD threads copy frames into a ring ({@link Captures}); this client polls it every 100 ms and writes what it gets.
 * Ends after --count frames, or on Ctrl-C/SIGTERM (the frames already taken are written, then the summary).
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
        String id;
        try {
            id = call("capture-start", port, dir, String.valueOf(snaplen), String.valueOf(count), precision);
        } catch (ControlException e) {
            return fail(e.getMessage());        // no file is made for a capture that did not start
        }
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
