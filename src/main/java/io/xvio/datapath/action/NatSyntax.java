package io.xvio.datapath.action;

import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.conntrack.NatAction;

import java.util.ArrayList;
import java.util.List;

/**
 * The nat part of ct() as ovs-actions(7) writes it: {@code nat}, or {@code nat(src=ADDR[-ADDR][:PORT[-PORT]][,flags])}
 * / {@code nat(dst=...)} with the flags persistent, hash and random. IPv6 addresses take brackets when a port
 * follows ({@code [fd00::1]-[fd00::2]:80}). Parsed into the tracker's {@link NatAction}; printed back as OVS does.
 */
public final class NatSyntax {
    private NatSyntax() {}

    /** A parsed nat: the tracker's action and whether "hash" was written (it is the default either way). */
    public record Nat(NatAction action, boolean hash) {}

    /** arg: what is inside nat(...), or null for a plain "nat". */
    static Nat parse(ActionArgs a, String arg, int pos) {
        if (arg == null) return new Nat(NatAction.APPLY, false);
        NatAction.Kind kind = null;
        String range = null;
        int rangePos = pos;
        boolean persistent = false, hash = false, random = false;
        for (String[] kv : KeyValues.split(a, arg, pos)) {
            String key = kv[0], value = kv[1];
            int at = Integer.parseInt(kv[2]);
            switch (key) {
                case "src", "dst" -> {
                    if (kind != null) throw a.error(at, "nat: may only specify one of \"src\" or \"dst\"");
                    kind = key.equals("src") ? NatAction.Kind.SRC : NatAction.Kind.DST;
                    range = value;
                    rangePos = at + key.length() + 1;
                }
                case "persistent" -> persistent = true;
                case "hash" -> hash = true;
                case "random" -> random = true;
                default -> throw a.error(at, "nat: invalid key \"" + key + "\" (src=, dst=, persistent, hash, random)");
            }
            if (value != null && !key.equals("src") && !key.equals("dst"))
                throw a.error(at, "nat: \"" + key + "\" takes no value");
        }
        if (kind == null) {
            if (persistent || hash || random) throw a.error(pos, "nat: flags are allowed only with \"src\" or \"dst\"");
            return new Nat(NatAction.APPLY, false);
        }
        if (hash && random) throw a.error(pos, "nat: both \"hash\" and \"random\" are not allowed");
        if (range == null || range.isEmpty())
            return new Nat(new NatAction(kind, false, 0, 0, 0, 0, 0, 0, random, persistent), hash);   // no range: unused
        return new Nat(range(a, kind, range, rangePos, random, persistent), hash);
    }

    private static NatAction range(ActionArgs a, NatAction.Kind kind, String s, int pos, boolean random, boolean persistent) {
        // addresses: "A", "A-B", "[A]-[B]"; then optional ":P" or ":P-Q"
        boolean v6 = s.startsWith("[") || s.chars().filter(c -> c == ':').count() > 1;
        String addrs = s, ports = null;
        if (v6) {
            if (s.startsWith("[")) {
                int end = s.lastIndexOf(']');
                if (end < 0) throw a.error(pos, "invalid nat range \"" + s + "\"");
                addrs = s.substring(0, end + 1);
                if (end + 1 < s.length()) {
                    if (s.charAt(end + 1) != ':') throw a.error(pos + end + 1, "garbage (" + s.substring(end + 1) + ") after nat range \"" + s + "\"");
                    ports = s.substring(end + 2);
                }
            }
        } else {
            int colon = s.indexOf(':');
            if (colon >= 0) { addrs = s.substring(0, colon); ports = s.substring(colon + 1); }
        }
        int dash = v6 ? addrs.indexOf("]-") + 1 : addrs.indexOf('-');
        if (v6 && !addrs.startsWith("[")) dash = -1;      // bare IPv6: a single address (no port allowed without brackets)
        String lo = dash > 0 ? addrs.substring(0, dash) : addrs, hi = dash > 0 ? addrs.substring(dash + 1) : lo;
        int minPort = 0, maxPort = 0;
        if (ports != null) {
            int pd = ports.indexOf('-');
            int portPos = pos + s.length() - ports.length();
            minPort = a.intIn(pd < 0 ? ports : ports.substring(0, pd), portPos, 1, 65535, "nat port");
            maxPort = pd < 0 ? minPort : a.intIn(ports.substring(pd + 1), portPos + pd + 1, minPort, 65535, "nat port range maximum");
        }
        try {
            if (!v6) {
                long min = a.ipv4(lo, pos, "nat address"), max = a.ipv4(hi, pos, "nat address");
                if (min == 0) throw a.error(pos, "nat: address 0.0.0.0 is not allowed");
                return NatAction.ipv4(kind, min, max, minPort, maxPort, random, persistent);
            }
            long[] min = a.ipv6(strip(lo), pos, "nat address"), max = a.ipv6(strip(hi), pos, "nat address");
            if (min[0] == 0 && min[1] == 0) throw a.error(pos, "nat: address :: is not allowed");
            return new NatAction(kind, true, min[0], min[1], max[0], max[1], minPort, maxPort, random, persistent);
        } catch (IllegalArgumentException e) {
            throw a.error(pos, "invalid nat range \"" + s + "\": " + e.getMessage().replaceFirst("^nat: ", ""));
        }
    }

    private static String strip(String s) {
        return s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
    }

    /** As ovs-ofctl prints it: nat, nat(src), nat(src=10.0.0.1-10.0.0.9:1000-2000,persistent,random). */
    static String format(Nat n) {
        NatAction x = n.action();
        if (x.kind == NatAction.Kind.APPLY) return "nat";
        StringBuilder sb = new StringBuilder("nat(").append(x.kind == NatAction.Kind.SRC ? "src" : "dst");
        boolean hasRange = x.minHi != 0 || x.minLo != 0;
        if (hasRange) {
            sb.append('=');
            boolean bracket = x.v6 && x.minPort != 0;
            sb.append(addr(x.v6, x.minHi, x.minLo, bracket));
            if (x.maxHi != x.minHi || x.maxLo != x.minLo) sb.append('-').append(addr(x.v6, x.maxHi, x.maxLo, bracket));
            if (x.minPort != 0) {
                sb.append(':').append(x.minPort);
                if (x.maxPort != x.minPort) sb.append('-').append(x.maxPort);
            }
            List<String> flags = new ArrayList<>();
            if (x.persistent) flags.add("persistent");
            if (n.hash()) flags.add("hash");
            if (x.random) flags.add("random");
            for (String f : flags) sb.append(',').append(f);
        }
        return sb.append(')').toString();
    }

    private static String addr(boolean v6, long hi, long lo, boolean bracket) {
        if (!v6) return FlowFormat.ipv4(lo);
        String s = FlowFormat.ipv6(hi, lo);
        return bracket ? "[" + s + "]" : s;
    }
}
