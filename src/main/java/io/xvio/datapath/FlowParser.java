package io.xvio.datapath;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses flows in ovs-ofctl syntax: comma- or space-separated match fields and attributes, then
 * {@code actions=} with a comma-separated action list. Today's datapath matches {@code in_port} only; any other
 * field is rejected with its name and position, never silently ignored.
 */
public final class FlowParser {
    private static final Action DROP = new Action.WriteMetadata(0, 0);   // placeholder removed before returning

    private FlowParser() {}

    public static Flow parse(String text) {
        if (text == null) throw new FlowSyntaxException("", 0, "empty flow");
        int a = indexOfActions(text);
        if (a < 0) throw new FlowSyntaxException(text, text.length(), "missing \"actions=\"");
        int priority = Flow.DEFAULT_PRIORITY;
        int inPort = -1;
        Match m = new Match();
        // match part: tokens separated by ',' or whitespace
        int i = 0;
        String match = text.substring(0, a);
        while (i < match.length()) {
            char c = match.charAt(i);
            if (c == ',' || Character.isWhitespace(c)) { i++; continue; }
            int end = i;
            while (end < match.length() && match.charAt(end) != ',' && !Character.isWhitespace(match.charAt(end))) end++;
            String tok = match.substring(i, end);
            int eq = tok.indexOf('=');
            String key = eq < 0 ? tok : tok.substring(0, eq);
            String val = eq < 0 ? null : tok.substring(eq + 1);
            switch (key) {
                case "priority" -> priority = number(text, i + eq + 1, val, 0, 65535, "priority");
                case "in_port" -> inPort = number(text, i + eq + 1, val, 1, 0xfeff, "in_port");
                case "table" -> {
                    int t = number(text, i + eq + 1, val, 0, 254, "table");
                    if (t != 0) throw new FlowSyntaxException(text, i, "table " + t + " is not supported yet (only table 0)");
                }
                default -> throw new FlowSyntaxException(text, i, "unsupported match field \"" + key + "\"");
            }
            i = end;
        }
        List<Action> actions = parseActions(text, a + "actions=".length());
        if (inPort >= 0) m.set(Field.IN_PORT, inPort, 0xffff);
        return new Flow(0, priority, 0, m, actions, 0, 0, text.strip());
    }

    private static int indexOfActions(String text) {
        int k = text.indexOf("actions=");
        while (k > 0 && text.charAt(k - 1) != ',' && !Character.isWhitespace(text.charAt(k - 1))) k = text.indexOf("actions=", k + 1);
        return k;
    }

    private static List<Action> parseActions(String text, int start) {
        List<Action> out = new ArrayList<>();
        String s = text.substring(start);
        if (s.isBlank()) throw new FlowSyntaxException(text, start, "empty action list (write \"actions=drop\" to drop)");
        int i = 0;
        while (i <= s.length()) {
            int end = s.indexOf(',', i);
            if (end < 0) end = s.length();
            String tok = s.substring(i, end).strip();
            int pos = start + i;
            if (tok.isEmpty()) throw new FlowSyntaxException(text, pos, "empty action");
            String lower = tok.toLowerCase();
            if (lower.startsWith("output:")) {
                out.add(new Action.Output(number(text, pos + 7, tok.substring(7), 1, 0xfeff, "output port")));
            } else if (lower.matches("\\d+")) {
                out.add(new Action.Output(number(text, pos, tok, 1, 0xfeff, "output port")));
            } else {
                out.add(switch (lower) {
                    case "normal" -> new Action.Normal();
                    case "flood" -> new Action.Flood(false);
                    case "all" -> new Action.Flood(true);
                    case "in_port" -> new Action.InPort();
                    case "drop" -> DROP;
                    default -> throw new FlowSyntaxException(text, pos, "unsupported action \"" + tok + "\"");
                });
            }
            i = end + 1;
        }
        if (out.size() > 1 && out.contains(DROP))
            throw new FlowSyntaxException(text, start, "\"drop\" must be the only action");
        return out.stream().filter(x -> x != DROP).toList();
    }

    private static int number(String text, int pos, String val, int min, int max, String what) {
        if (val == null || val.isEmpty()) throw new FlowSyntaxException(text, pos, what + " needs a value");
        long v;
        try {
            v = val.startsWith("0x") ? Long.parseLong(val.substring(2), 16) : Long.parseLong(val);
        } catch (NumberFormatException e) {
            throw new FlowSyntaxException(text, pos, what + " \"" + val + "\" is not a number");
        }
        if (v < min || v > max) throw new FlowSyntaxException(text, pos, what + " " + v + " is outside " + min + ".." + max);
        return (int) v;
    }
}
