package io.xvio.datapath;

import io.xvio.datapath.action.*;

import java.util.*;

/**
 * Parses groups in the syntax of {@code ovs-ofctl add-group} (ovs-ofctl(8)): {@code group_id=1,type=select,
 * selection_method=hash,fields(ip_src,tcp_dst),bucket=bucket_id:0,weight:100,watch_port:1,actions=output:1,bucket=...}.
 * A bucket may also list its actions directly ({@code bucket=output:1}); parameters take {@code :} or {@code =}.
 * Bucket actions are an OpenFlow action set: only actions an action set may hold are accepted, and what runs is
 * computed as OVS does (see {@link Group.Bucket}). Every error is a {@link FlowSyntaxException} naming the
 * offending part.
 */
public final class GroupParser {
    private GroupParser() {}

    /** Parses a whole group (add-group, mod-group). */
    public static Group parse(String text) {
        String t = text == null ? "" : text.strip();
        List<Integer> starts = bucketStarts(t);
        String head = starts.isEmpty() ? t : t.substring(0, starts.getFirst());
        long id = -1;
        Group.Type type = null;
        String method = null;
        List<Field> fields = new ArrayList<>();
        for (String tok : split(head)) {
            if (tok.isEmpty()) continue;
            String k = key(tok).toLowerCase(Locale.ROOT), v = value(tok);
            if (tok.toLowerCase(Locale.ROOT).startsWith("fields(")) {
                if (!tok.endsWith(")")) throw err(text, tok, "fields(...) is not closed");
                for (String f : tok.substring(7, tok.length() - 1).split(",")) fields.add(field(text, f.strip()));
                continue;
            }
            if (v == null) throw err(text, tok, "\"" + tok + "\" needs a value");
            switch (k) {
                case "group_id" -> id = number(text, v, 0, Group.MAX_ID, "group_id");
                case "type" -> type = switch (v.toLowerCase(Locale.ROOT)) {
                    case "all" -> Group.Type.ALL;
                    case "select" -> Group.Type.SELECT;
                    case "indirect" -> Group.Type.INDIRECT;
                    case "ff", "fast_failover" -> Group.Type.FAST_FAILOVER;
                    default -> throw err(text, tok, "unknown group type \"" + v + "\" (all, select, indirect, fast_failover)");
                };
                case "selection_method" -> {
                    if (!v.equals("hash") && !v.equals("dp_hash"))
                        throw err(text, tok, "unknown selection_method \"" + v + "\" (hash or dp_hash)");
                    method = v;
                }
                case "selection_method_param" -> number(text, v, 0, -1L >>> 1, "selection_method_param");
                case "fields" -> fields.add(field(text, v));
                default -> throw err(text, tok, "unknown group parameter \"" + key(tok) + "\"");
            }
        }
        if (id < 0) throw new FlowSyntaxException(text, 0, "a group needs group_id=N");
        if (type == null) throw new FlowSyntaxException(text, 0, "a group needs type=all|select|indirect|fast_failover");
        if (type != Group.Type.SELECT && (method != null || !fields.isEmpty()))
            throw new FlowSyntaxException(text, 0, "selection_method and fields are for select groups only");
        if ("dp_hash".equals(method) && !fields.isEmpty())
            throw new FlowSyntaxException(text, 0, "selection_method=dp_hash takes no fields (it hashes the 5-tuple)");
        if (starts.size() > Group.MAX_BUCKETS)
            throw new FlowSyntaxException(text, starts.get(Group.MAX_BUCKETS), "a group holds at most " + Group.MAX_BUCKETS + " buckets, not " + starts.size());
        List<Group.Bucket> buckets = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (int n = 0; n < starts.size(); n++) {
            int s = starts.get(n) + "bucket=".length();
            int e = n + 1 < starts.size() ? starts.get(n + 1) : t.length();
            String bt = t.substring(s, e).strip();
            if (bt.endsWith(",")) bt = bt.substring(0, bt.length() - 1);
            Group.Bucket b = bucket(text, bt, n, type);
            if (!ids.add(b.bucketId())) throw new FlowSyntaxException(text, s, "bucket_id " + b.bucketId() + " is used twice");
            buckets.add(b);
        }
        if (type == Group.Type.INDIRECT && buckets.size() != 1)
            throw new FlowSyntaxException(text, 0, "an indirect group has exactly one bucket, not " + buckets.size());
        return new Group(id, type, new Group.Selection(method, List.copyOf(fields)), buckets, t);
    }

    /** Parses a group id argument (del-groups group_id=N, dump-groups N): N or group_id=N. */
    public static long id(String s) {
        String v = s.strip();
        if (v.toLowerCase(Locale.ROOT).startsWith("group_id=")) v = v.substring(9);
        return number(s, v, 0, Group.MAX_ID, "group_id");
    }

    private static Group.Bucket bucket(String text, String bt, int index, Group.Type type) {
        int bucketId = index, weight = 1, watchPort = Group.Bucket.NO_WATCH_PORT;
        long watchGroup = Group.Bucket.NO_WATCH_GROUP;
        List<String> toks = split(bt);
        int consumed = 0, at = 0;
        String actionsText = "";
        for (String tok : toks) {
            String k = key(tok).toLowerCase(Locale.ROOT), v = value(tok);
            if (k.equals("actions") || k.equals("action")) { actionsText = bt.substring(at + tok.indexOf('=') + 1); break; }
            if (v != null && (k.equals("bucket_id") || k.equals("weight") || k.equals("watch_port") || k.equals("watch_group"))) {
                switch (k) {
                    case "bucket_id" -> bucketId = (int) number(text, v, 0, 0xffffff00L, "bucket_id");
                    case "weight" -> weight = (int) number(text, v, 0, 0xffff, "weight");
                    case "watch_port" -> watchPort = (int) number(text, v, 1, 0xfeff, "watch_port");
                    default -> watchGroup = number(text, v, 0, Group.MAX_ID, "watch_group");
                }
                at += tok.length() + 1;
                consumed++;
                continue;
            }
            actionsText = bt.substring(at);         // legacy: the actions follow directly
            break;
        }
        if (type == Group.Type.FAST_FAILOVER && watchPort == Group.Bucket.NO_WATCH_PORT && watchGroup == Group.Bucket.NO_WATCH_GROUP)
            throw new FlowSyntaxException(text, 0, "bucket " + index + ": a fast_failover bucket needs watch_port or watch_group");
        List<Action> acts;
        try {
            acts = FlowParser.parseActionList(actionsText.strip());
        } catch (FlowSyntaxException e) {
            throw new FlowSyntaxException(text, 0, "bucket " + index + ": " + e.getMessage());
        }
        try {
            io.xvio.datapath.action.Controller.refuseNestedPause(acts, "a group bucket");
        } catch (IllegalArgumentException e) {
            throw new FlowSyntaxException(text, 0, "bucket " + index + ": " + e.getMessage());
        }
        return new Group.Bucket(bucketId, weight, watchPort, watchGroup, acts, actionSet(text, index, acts));
    }

    /** What an action set of acts executes, in OVS's order (ofpacts_execute_action_set). */
    static List<Action> actionSet(String text, int index, List<Action> acts) {
        Action strip = null, push = null, dec = null, fin = null;
        List<Action> setOrMove = new ArrayList<>();
        for (Action a : acts) {
            ActionSetRole r = a.actionSetRole();
            switch (r) {
                case STRIP_VLAN -> strip = a;
                case PUSH_VLAN -> push = a;
                case DEC_TTL -> dec = a;
                case SET -> setOrMove.add(a);
                case NONE -> throw new FlowSyntaxException(text, 0, "bucket " + index + ": \"" + a.format()
                        + "\" cannot be in a group bucket (an OpenFlow action set)");
                default -> { if (fin == null || r.compareTo(fin.actionSetRole()) >= 0) fin = a; }   // the last of the highest rank
            }
        }
        if (fin == null) return List.of();          // an action set without output, group or resubmit does nothing
        List<Action> out = new ArrayList<>();
        for (Action a : new Action[] {strip, push, dec}) if (a != null) out.add(a);
        out.addAll(setOrMove);
        out.add(fin);
        return List.copyOf(out);
    }

    private static Field field(String text, String name) {
        Field f = Field.byName(name.toLowerCase(Locale.ROOT));
        if (f == null) {
            f = switch (name.toLowerCase(Locale.ROOT)) {
                case "eth_src" -> Field.DL_SRC;
                case "eth_dst" -> Field.DL_DST;
                case "eth_type" -> Field.DL_TYPE;
                case "ip_src", "ipv4_src" -> Field.NW_SRC;
                case "ip_dst", "ipv4_dst" -> Field.NW_DST;
                case "ip_proto" -> Field.NW_PROTO;
                case "tcp_src", "udp_src", "sctp_src" -> Field.TP_SRC;
                case "tcp_dst", "udp_dst", "sctp_dst" -> Field.TP_DST;
                default -> null;
            };
        }
        if (f == null) throw new FlowSyntaxException(text, Math.max(0, text.indexOf(name)), "unknown field \"" + name + "\" in fields()");
        return f;
    }

    /** Positions of "bucket=" that start a token (at the start, or after a comma or white space). */
    private static List<Integer> bucketStarts(String t) {
        List<Integer> out = new ArrayList<>();
        int depth = 0;
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == '(') depth++;
            else if (c == ')') depth--;
            if (depth == 0 && t.regionMatches(true, i, "bucket=", 0, 7) && (i == 0 || t.charAt(i - 1) == ',' || Character.isWhitespace(t.charAt(i - 1))))
                out.add(i);
        }
        return out;
    }

    /** Comma-separated tokens, commas inside parentheses or brackets kept. */
    private static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '(' || c == '[') depth++;
            else if (c == ')' || c == ']') depth--;
            else if (c == ',' && depth == 0) { out.add(s.substring(start, i).strip()); start = i + 1; }
        }
        out.add(s.substring(start).strip());
        return out;
    }

    private static String key(String tok) {
        int i = sep(tok);
        return i < 0 ? tok : tok.substring(0, i);
    }

    private static String value(String tok) {
        int i = sep(tok);
        return i < 0 ? null : tok.substring(i + 1);
    }

    private static int sep(String tok) {
        for (int i = 0; i < tok.length(); i++) if (tok.charAt(i) == '=' || tok.charAt(i) == ':') return i;
        return -1;
    }

    private static long number(String text, String v, long min, long max, String what) {
        long x;
        try {
            x = v.startsWith("0x") || v.startsWith("0X") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new FlowSyntaxException(text == null ? "" : text, Math.max(0, text == null ? 0 : text.indexOf(v)), what + " \"" + v + "\" is not a number");
        }
        if (x < min || x > max)
            throw new FlowSyntaxException(text == null ? "" : text, Math.max(0, text == null ? 0 : text.indexOf(v)), what + " " + x + " is outside " + min + ".." + max);
        return x;
    }

    private static FlowSyntaxException err(String text, String tok, String msg) {
        return new FlowSyntaxException(text, Math.max(0, text.indexOf(tok)), msg);
    }
}
