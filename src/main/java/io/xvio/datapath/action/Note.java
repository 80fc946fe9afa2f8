package io.xvio.datapath.action;

import java.util.Locale;

/** note:HH.HH...: does nothing (a comment a controller keeps in a flow); bytes padded as OVS pads them. */
public record Note(String hex) implements Action {
    /** Dots optional; padded with zero bytes to 6 + 8k bytes, as OVS stores it. */
    static Action parse(ActionArgs a) {
        String h = a.arg().replace(".", "");
        if (h.length() % 2 != 0 || !h.matches("[0-9a-fA-F]*"))
            throw a.error(a.pos(), "note: \"" + a.arg() + "\" is not hex bytes (e.g. note:00.01.ab)");
        int n = h.length() / 2, padded = n <= 6 ? 6 : 6 + ((n - 6 + 7) / 8) * 8;
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < padded; i++)
            sb.append(i > 0 ? "." : "").append(i < n ? h.substring(2 * i, 2 * i + 2).toLowerCase(Locale.ROOT) : "00");
        return new Note(sb.toString());
    }

    @Override public String format() { return "note:" + hex; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        return CONTINUE;
    }
}
