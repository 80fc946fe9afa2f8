package io.xvio.control;

import io.xvio.datapath.conntrack.ConnTracker;
import io.xvio.datapath.conntrack.Conntrack;
import io.xvio.datapath.conntrack.CtEntry;
import io.xvio.datapath.conntrack.CtZoneLimit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * `xvio conntrack dump|flush|stats|limits|set-limits`: the daemon's connection tracker as OVS's dpctl shows it
 * (dump-conntrack, flush-conntrack, ct-stats-show, ct-get-limits, ct-set-limits). Before the first ct() flow there
 * is no tracker: dump and stats show an empty one.
 */
final class ConntrackCommands {
    private final Conntrack conntrack;

    ConntrackCommands(Conntrack conntrack) { this.conntrack = conntrack; }

    /** args: "conntrack", SUBCOMMAND, ... */
    String run(List<String> args) {
        if (args.size() < 2) throw new ControlException("conntrack needs a subcommand: dump, flush, stats, limits or set-limits");
        ConnTracker t = conntrack.get();
        long now = System.nanoTime();
        List<String> rest = args.subList(2, args.size());
        return switch (args.get(1)) {
            case "dump" -> {
                boolean stats = rest.contains("-s") || rest.contains("--statistics");
                int zone = zone(rest);
                if (t == null) yield "";
                StringBuilder sb = new StringBuilder();
                for (CtEntry e : t.dump(zone, now)) sb.append(e.format(stats)).append('\n');
                yield sb.toString();
            }
            case "flush" -> {
                int zone = zone(rest);
                Predicate<CtEntry> which = tuple(rest);
                yield t == null ? "0 connections flushed\n" : t.flush(zone, which, now) + " connections flushed\n";
            }
            case "stats" -> t == null ? "connections: 0 (no ct() flow yet; capacity " + conntrack.capacity() + " is allocated on the first)\n"
                    : t.stats(now).format();
            case "limits" -> {
                if (t == null) yield "default limit=0\n";
                StringBuilder sb = new StringBuilder();
                for (CtZoneLimit l : t.limits()) sb.append(l.format()).append('\n');
                yield sb.toString();
            }
            case "set-limits" -> setLimits(conntrack.ensure(), rest);
            default -> throw new ControlException("unknown conntrack subcommand \"" + args.get(1) + "\" (dump, flush, stats, limits, set-limits)");
        };
    }

    private static int zone(List<String> rest) {
        for (String s : rest) {
            if (!s.startsWith("zone=")) continue;
            try {
                int z = Integer.parseInt(s.substring(5));
                if (z < 0 || z > 65535) throw new NumberFormatException();
                return z;
            } catch (NumberFormatException e) {
                throw new ControlException("\"" + s + "\": a zone is 0..65535");
            }
        }
        return -1;
    }

    /** flush's optional original-direction tuple, as dpctl/flush-conntrack: ct_nw_src=A,ct_nw_dst=B,ct_nw_proto=P,ct_tp_src=S,ct_tp_dst=D. */
    private static Predicate<CtEntry> tuple(List<String> rest) {
        Predicate<CtEntry> p = null;
        for (String s : rest) {
            if (s.startsWith("zone=") || s.startsWith("-")) continue;
            for (String kv : s.split(",")) {
                int eq = kv.indexOf('=');
                if (eq < 0) throw new ControlException("flush: \"" + kv + "\" is not KEY=VALUE (ct_nw_src, ct_nw_dst, ct_nw_proto, ct_tp_src, ct_tp_dst)");
                String k = kv.substring(0, eq), v = kv.substring(eq + 1);
                Predicate<CtEntry> q = switch (k) {
                    case "ct_nw_src" -> { long a = ipv4(v); yield e -> !e.orig().v6() && e.orig().srcLo() == a; }
                    case "ct_nw_dst" -> { long a = ipv4(v); yield e -> !e.orig().v6() && e.orig().dstLo() == a; }
                    case "ct_nw_proto" -> { int n = number(v, 255); yield e -> e.proto() == n; }
                    case "ct_tp_src" -> { int n = number(v, 65535); yield e -> e.orig().sport() == n; }
                    case "ct_tp_dst" -> { int n = number(v, 65535); yield e -> e.orig().dport() == n; }
                    default -> throw new ControlException("flush: unknown tuple field \"" + k + "\" (ct_nw_src, ct_nw_dst, ct_nw_proto, ct_tp_src, ct_tp_dst)");
                };
                p = p == null ? q : p.and(q);
            }
        }
        return p;
    }

    private static long ipv4(String s) {
        String[] p = s.split("\\.");
        if (p.length != 4) throw new ControlException("\"" + s + "\" is not an IPv4 address");
        long a = 0;
        for (String x : p) a = a << 8 | number(x, 255);
        return a;
    }

    private static int number(String s, int max) {
        try {
            int n = Integer.parseInt(s);
            if (n < 0 || n > max) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new ControlException("\"" + s + "\" is not a number in 0.." + max);
        }
    }

    /** set-limits [default=N] [zone=Z,limit=N]...: as dpctl/ct-set-limits (limit 0: unlimited). */
    private static String setLimits(ConnTracker t, List<String> rest) {
        if (rest.isEmpty()) throw new ControlException("set-limits needs default=N and/or zone=Z,limit=N");
        for (String s : rest) {
            if (s.startsWith("default=")) {
                int n = number(s.substring(8), Integer.MAX_VALUE);
                t.setDefaultZoneLimit(n == 0 ? -1 : n);
            } else if (s.startsWith("zone=") && s.contains(",limit=")) {
                int z = number(s.substring(5, s.indexOf(',')), 65535), n = number(s.substring(s.indexOf(",limit=") + 7), Integer.MAX_VALUE);
                t.setZoneLimit(z, n == 0 ? -1 : n);
            } else {
                throw new ControlException("set-limits: \"" + s + "\" is not default=N or zone=Z,limit=N");
            }
        }
        return "";
    }

    // ------------------------------------------------------------------------------------------ command line

    @Command(name = "conntrack", mixinStandardHelpOptions = true,
            description = "The connection tracker (ct() flows): its connections, counters and limits.",
            subcommands = {Dump.class, Flush.class, Stats.class, Limits.class, SetLimits.class})
    static final class Cli implements java.util.concurrent.Callable<Integer> {
        @CommandLine.Spec CommandLine.Model.CommandSpec spec;
        @Override public Integer call() {
            spec.commandLine().usage(System.err);
            return 2;
        }
    }

    @Command(name = "dump", mixinStandardHelpOptions = true, description = "Connections, as ovs-appctl dpctl/dump-conntrack (-s: with timeouts).")
    static final class Dump extends Main.ClientCmd {
        @Parameters(arity = "0..1", paramLabel = "zone=N") String zone;
        @CommandLine.Option(names = {"-s", "--statistics"}, description = "show each connection's remaining timeout") boolean stats;
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("conntrack", "dump"));
            if (zone != null) r.add(zone);
            if (stats) r.add("-s");
            return r;
        }
    }

    @Command(name = "flush", mixinStandardHelpOptions = true,
            description = "Delete connections: all, a zone's, or those whose original tuple matches (ct_nw_src=A,ct_nw_proto=6,ct_tp_dst=80).")
    static final class Flush extends Main.ClientCmd {
        @Parameters(arity = "0..2", paramLabel = "zone=N|TUPLE") List<String> what = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("conntrack", "flush"));
            r.addAll(what);
            return r;
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Connections per zone and protocol, limit hits, invalid packets by reason.")
    static final class Stats extends Main.ClientCmd {
        @Override List<String> request() { return List.of("conntrack", "stats"); }
    }

    @Command(name = "limits", mixinStandardHelpOptions = true, description = "The default and per-zone connection limits with counts, as dpctl/ct-get-limits.")
    static final class Limits extends Main.ClientCmd {
        @Override List<String> request() { return List.of("conntrack", "limits"); }
    }

    @Command(name = "set-limits", mixinStandardHelpOptions = true, description = "Set limits: default=N, zone=Z,limit=N (0: unlimited).")
    static final class SetLimits extends Main.ClientCmd {
        @Parameters(arity = "1..*", paramLabel = "LIMIT") List<String> limits = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("conntrack", "set-limits"));
            r.addAll(limits);
            return r;
        }
    }
}
