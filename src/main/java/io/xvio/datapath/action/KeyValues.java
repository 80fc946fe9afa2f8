package io.xvio.datapath.action;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Splits an action's argument list as OVS's ofputil_parse_key_value does: comma-separated items, each
 * {@code key}, {@code key=value}, {@code key:value} or {@code key(value)}, where a value may hold commas inside
 * parentheses ({@code exec(set_field:1->ct_mark,set_field:2->ct_label)}).
 */
final class KeyValues {
    private KeyValues() {}

    /** Items of arg (which starts at position pos of the flow text): {key (lower case), value or null, position}. */
    static List<String[]> split(ActionArgs a, String arg, int pos) {
        List<String[]> out = new ArrayList<>();
        int n = arg.length(), i = 0;
        while (i < n) {
            char c = arg.charAt(i);
            if (c == ',' || c == ' ') { i++; continue; }
            int start = i, depth = 0;
            while (i < n) {
                char d = arg.charAt(i);
                if (d == ')' && depth == 0) throw a.error(pos + i, "unbalanced parentheses in \"" + arg + "\"");
                if (d == '(') depth++;
                else if (d == ')') depth--;
                else if (d == ',' && depth == 0) break;
                i++;
            }
            String item = arg.substring(start, i);
            int sep = -1;
            for (int k = 0; k < item.length(); k++) {
                char d = item.charAt(k);
                if (d == '=' || d == ':' || d == '(') { sep = k; break; }
            }
            String key = sep < 0 ? item : item.substring(0, sep), value = null;
            if (sep >= 0) {
                value = item.substring(sep + 1);
                if (item.charAt(sep) == '(') {
                    if (!value.endsWith(")")) throw a.error(pos + start, "unbalanced parentheses in \"" + item + "\"");
                    value = value.substring(0, value.length() - 1);
                }
            }
            out.add(new String[] {key.strip().toLowerCase(Locale.ROOT), value, Integer.toString(pos + start)});
        }
        return out;
    }
}
