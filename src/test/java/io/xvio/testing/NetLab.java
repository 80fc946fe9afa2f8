package io.xvio.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A test's own little network world: network namespaces ({@code xvt-<random>}), veth pairs and TAP names that
 * are unique to this instance, created with {@code ip} and all deleted by {@link #close()} (and background
 * processes it started stopped by pid). Traffic stays between interfaces and namespaces made here.
 */
public final class NetLab implements AutoCloseable {
    private final String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()).substring(2);
    private int seq;
    private final List<String> namespaces = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /** Root, {@code ip} and {@code /dev/net/tun}: what these tests need. */
    public static boolean available() {
        if (!Files.exists(Path.of("/dev/net/tun"))) return false;
        try {
            if (!new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip().equals("0")) return false;
            return run("ip", "link", "show", "lo").rc() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    public String id() { return id; }

    /** A fresh interface name, prefix (up to 6 characters) + this lab's id + a sequence number. */
    public String name(String prefix) {
        String n = prefix + id + Integer.toString(seq++, 36);
        if (n.length() > 15) throw new IllegalArgumentException("interface name too long: " + n);
        return n;
    }

    /** Creates a network namespace xvt-ID-N with lo up; deleted by close(). */
    public String netns() {
        String ns = "xvt-" + id + "-" + seq++;
        ok("ip", "netns", "add", ns);
        namespaces.add(ns);
        ok("ip", "-n", ns, "link", "set", "lo", "up");
        return ns;
    }

    /** Creates a veth pair a/b in the root namespace, both without IPv6 (no router solicitations), not up. */
    public void veth(String a, String b) {
        ok("ip", "link", "add", a, "type", "veth", "peer", "name", b);
        links.add(a);
        quietIpv6(null, a);
        quietIpv6(null, b);
    }

    /** Registers an interface made elsewhere (e.g. by xvio) for deletion at close. */
    public void own(String link) { links.add(link); }

    /** Moves link into ns. */
    public void move(String link, String ns) {
        ok("ip", "link", "set", link, "netns", ns);
        quietIpv6(ns, link);
    }

    public void up(String ns, String link) {
        ok(ip(ns, "link", "set", link, "up"));
    }

    public void down(String ns, String link) {
        ok(ip(ns, "link", "set", link, "down"));
    }

    public void delete(String link) {
        ok("ip", "link", "del", link);
    }

    public boolean exists(String ns, String link) {
        return run(ip(ns, "link", "show", link)).rc() == 0;
    }

    /** Adds cidr to link in ns and brings it up. */
    public void address(String ns, String link, String cidr) {
        ok(ip(ns, "addr", "add", cidr, "dev", link));
        up(ns, link);
    }

    /** Turns off IPv6 on an interface (no router solicitations, MLD or DAD traffic in the tests). */
    public void quietIpv6(String ns, String link) {
        run(ns == null ? new String[] {"sysctl", "-qw", "net.ipv6.conf." + link + ".disable_ipv6=1"}
                : new String[] {"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + link + ".disable_ipv6=1"});
    }

    /** Runs a command inside ns (ip netns exec), waiting for it. */
    public Result exec(String ns, String... cmd) {
        return run(inNs(ns, cmd));
    }

    /** Starts a command inside ns in the background; close() stops it by pid. Output goes to out. */
    public Process spawn(String ns, Path out, String... cmd) throws IOException {
        Process p = new ProcessBuilder(inNs(ns, cmd)).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        processes.add(p);
        return p;
    }

    /** Starts a command inside ns in the background with stdin from a file. */
    public Process spawn(String ns, Path in, Path out, String... cmd) throws IOException {
        Process p = new ProcessBuilder(inNs(ns, cmd)).redirectInput(in.toFile()).redirectErrorStream(false)
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        processes.add(p);
        return p;
    }

    private static String[] inNs(String ns, String... cmd) {
        if (ns == null) return cmd;
        String[] full = new String[cmd.length + 4];
        full[0] = "ip";
        full[1] = "netns";
        full[2] = "exec";
        full[3] = ns;
        System.arraycopy(cmd, 0, full, 4, cmd.length);
        return full;
    }

    private static String[] ip(String ns, String... args) {
        List<String> c = new ArrayList<>(List.of("ip"));
        if (ns != null) c.addAll(List.of("-n", ns));
        c.addAll(List.of(args));
        return c.toArray(String[]::new);
    }

    public record Result(int rc, String output) {}

    public static Result run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, String.join(" ", cmd) + ": timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, String.join(" ", cmd) + ": " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    public static String ok(String... cmd) {
        Result r = run(cmd);
        if (r.rc() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.rc() + "): " + r.output());
        return r.output();
    }

    /** Sends data from ns1 to addr:port in ns2 with busybox nc; returns what arrived. */
    public byte[] stream(String ns1, String ns2, String addr, int port, byte[] data, Path dir) throws Exception {
        Path in = dir.resolve("in-" + port), out = dir.resolve("out-" + port);
        Files.write(in, data);
        Process rx = new ProcessBuilder("ip", "netns", "exec", ns2, "busybox", "nc", "-l", "-p", Integer.toString(port))
                .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream keepStdinOpen = rx.getOutputStream()) {   // nc half-closes on stdin EOF
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!exec(ns2, "busybox", "netstat", "-ltn").output().contains(":" + port + " ")) {
                if (System.nanoTime() >= deadline) throw new AssertionError("nothing listens on " + port);
                Thread.sleep(50);
            }
            Process tx = new ProcessBuilder("ip", "netns", "exec", ns1, "busybox", "nc", addr, Integer.toString(port))
                    .redirectInput(in.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            if (!tx.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("sender not finished");
            if (!rx.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("receiver not finished: " + Files.size(out) + " bytes");
        } finally {
            rx.destroyForcibly();
        }
        return Files.readAllBytes(out);
    }

    /** A counter of ns's /proc/net/snmp, e.g. snmp(ns, "Tcp", "InCsumErrors"). */
    public long snmp(String ns, String group, String name) {
        String[] lines = exec(ns, "cat", "/proc/net/snmp").output().split("\n");
        for (int i = 0; i + 1 < lines.length; i++) {
            if (!lines[i].startsWith(group + ":") || !lines[i + 1].startsWith(group + ":")) continue;
            List<String> names = Arrays.asList(lines[i].trim().split("\\s+")), values = Arrays.asList(lines[i + 1].trim().split("\\s+"));
            int k = names.indexOf(name);
            if (k > 0) return Long.parseLong(values.get(k));
        }
        throw new AssertionError("no " + group + " " + name + " in /proc/net/snmp of " + ns);
    }

    @Override
    public void close() {
        for (Process p : processes) {
            if (p.isAlive()) {
                p.destroy();
                try {
                    if (!p.waitFor(3, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
        }
        for (String l : links) run("ip", "link", "del", l);
        for (String ns : namespaces) run("ip", "netns", "del", ns);
    }
}
