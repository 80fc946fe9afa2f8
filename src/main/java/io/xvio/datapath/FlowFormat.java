package io.xvio.datapath;

import io.xvio.packet.Ethernet;

import java.util.List;

/** Formats flows, matches and actions the way ovs-ofctl dump-flows does. */
public final class FlowFormat {
    private FlowFormat() {}

    /** " cookie=0x0, duration=1.5s, table=0, n_packets=3, n_bytes=180, idle_age=0, priority=100,in_port=1 actions=output:2" */
    public static String format(Flow f, long now, boolean withStats) {
        StringBuilder sb = new StringBuilder();
        if (withStats) {
            sb.append("cookie=0x").append(Long.toHexString(f.cookie))
                    .append(", duration=").append(String.format("%.3fs", (now - f.createdNanos) / 1e9))
                    .append(", table=").append(f.table)
                    .append(", n_packets=").append(f.packetCount())
                    .append(", n_bytes=").append(f.byteCount());
            if (f.idleTimeout > 0) sb.append(", idle_timeout=").append(f.idleTimeout);
            if (f.hardTimeout > 0) sb.append(", hard_timeout=").append(f.hardTimeout);
            sb.append(", idle_age=").append((now - f.lastHitNanos) / 1_000_000_000L).append(", ");
        } else {
            if (f.table != 0) sb.append("table=").append(f.table).append(',');
            if (f.cookie != 0) sb.append("cookie=0x").append(Long.toHexString(f.cookie)).append(',');
        }
        if (f.priority != Flow.DEFAULT_PRIORITY) sb.append("priority=").append(f.priority).append(',');
        sb.append(match(f.match));
        if (sb.charAt(sb.length() - 1) == ',') sb.setLength(sb.length() - 1);
        if (!sb.isEmpty() && sb.charAt(sb.length() - 1) != ' ') sb.append(' ');
        sb.append("actions=").append(actions(f.actions));
        return sb.toString();
    }

    public static String match(Match m) {
        StringBuilder sb = new StringBuilder();
        for (Field f : Field.values()) {
            if (f == Field.ICMP_TYPE || f == Field.ICMP_CODE || f == Field.ARP_OP || f == Field.ARP_SPA || f == Field.ARP_TPA) continue;
            int w = f.word;
            if (f.words() == 2) {
                if (m.mask[w] == 0 && m.mask[w + 1] == 0) continue;
                sb.append(f.ofName).append('=').append(ipv6(m.value[w], m.value[w + 1]));
                if (m.mask[w] != -1L || m.mask[w + 1] != -1L) sb.append('/').append(ipv6(m.mask[w], m.mask[w + 1]));
                sb.append(',');
                continue;
            }
            if (m.mask[w] == 0) continue;
            sb.append(f.ofName).append('=').append(value(f, m.value[w]));
            if (m.mask[w] != f.fullMask()) sb.append('/').append(value(f, m.mask[w]));
            sb.append(',');
        }
        if (!sb.isEmpty()) sb.setLength(sb.length() - 1);
        return sb.toString();
    }

    static String value(Field f, long v) {
        return switch (f.format) {
            case DEC -> Long.toString(v);
            case HEX -> "0x" + Long.toHexString(v);
            case MAC -> Ethernet.format(v);
            case IPV4 -> ((v >>> 24) & 255) + "." + ((v >>> 16) & 255) + "." + ((v >>> 8) & 255) + "." + (v & 255);
            case IPV6 -> Long.toHexString(v);
        };
    }

    static String ipv6(long hi, long lo) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        try {
            String s = java.net.InetAddress.getByAddress(b).getHostAddress();
            return s.replaceAll("(^|:)0(:0)+(:|$)", "::").replaceFirst(":::", "::");
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String actions(List<Action> actions) {
        if (actions.isEmpty()) return "drop";
        StringBuilder sb = new StringBuilder();
        for (Action a : actions) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(action(a));
        }
        return sb.toString();
    }

    static String action(Action a) {
        return switch (a) {
            case Action.Output o -> "output:" + o.port();
            case Action.InPort i -> "IN_PORT";
            case Action.Normal n -> "NORMAL";
            case Action.Flood f -> f.all() ? "ALL" : "FLOOD";
            case Action.SetField s -> s.field().words() == 2
                    ? "set_field:" + ipv6(s.value(), s.valueLo()) + "->" + s.field().ofName
                    : s.mask() == s.field().fullMask()
                        ? "set_field:" + value(s.field(), s.value()) + "->" + s.field().ofName
                        : "set_field:" + value(s.field(), s.value()) + "/" + value(s.field(), s.mask()) + "->" + s.field().ofName;
            case Action.PushVlan p -> "push_vlan:0x" + Integer.toHexString(p.ethertype());
            case Action.StripVlan s -> "strip_vlan";
            case Action.DecTtl d -> "dec_ttl";
            case Action.Move m -> "move:" + m.src().ofName + "[" + m.srcOfs() + ".." + (m.srcOfs() + m.nBits() - 1) + "]->"
                    + m.dst().ofName + "[" + m.dstOfs() + ".." + (m.dstOfs() + m.nBits() - 1) + "]";
            case Action.Resubmit r -> "resubmit(" + (r.port() < 0 ? "" : Integer.toString(r.port())) + "," + (r.table() < 0 ? "" : Integer.toString(r.table())) + ")";
            case Action.GotoTable g -> "goto_table:" + g.table();
            case Action.WriteMetadata w -> "write_metadata:0x" + Long.toHexString(w.value()) + (w.mask() == -1L ? "" : "/0x" + Long.toHexString(w.mask()));
        };
    }
}
