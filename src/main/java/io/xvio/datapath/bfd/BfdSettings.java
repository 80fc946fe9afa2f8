package io.xvio.datapath.bfd;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A port's BFD configuration: the Interface table's {@code bfd} column (vswitch.ovsschema; what ovn-controller sets
 * on its tunnels to gateway chassis: {@code enable}, {@code min_rx}, {@code min_tx}, {@code mult}). Read as OVS's
 * bfd_configure reads it: a value out of range or unparsable falls back to the default and is reported in
 * {@link #warnings} (OVS logs it and goes on), so a bad key never takes the port down. Timers in milliseconds.
 */
public record BfdSettings(boolean enabled, long minTx, long minRx, int mult, boolean cpathDown, boolean checkTunnelKey, boolean oam,
                          int ipSrc, int ipDst, long localEthSrc, long localEthDst, long remoteEthDst, List<String> warnings) {
    public static final long DEFAULT_MIN_TX = 100, DEFAULT_MIN_RX = 1000;
    public static final int DEFAULT_MULT = 3;
    /** Keys OVS knows that xvio reads but does not act on (decay, forwarding_if_rx: data-traffic driven refinements). */
    private static final List<String> IGNORED = List.of("decay_min_rx", "forwarding_if_rx");
    private static final List<String> KNOWN = List.of("enable", "min_tx", "min_rx", "mult", "cpath_down", "check_tnl_key", "oam",
            "bfd_src_ip", "bfd_dst_ip", "bfd_local_src_mac", "bfd_local_dst_mac", "bfd_remote_dst_mac", "decay_min_rx", "forwarding_if_rx");

    public static final BfdSettings DISABLED = of(Map.of());

    /** Reads the column (null or empty: disabled). */
    public static BfdSettings of(Map<String, String> cfg) {
        List<String> bad = new ArrayList<>(), notes = new ArrayList<>();
        BfdSettings s = read(cfg == null ? Map.of() : cfg, bad, notes);
        bad.addAll(notes);
        return new BfdSettings(s.enabled, s.minTx, s.minRx, s.mult, s.cpathDown, s.checkTunnelKey, s.oam, s.ipSrc, s.ipDst, s.localEthSrc,
                s.localEthDst, s.remoteEthDst, List.copyOf(bad));
    }

    /**
     * What a configuration file or a command must refuse in cfg: unknown keys and values OVS would not take (OVSDB's
     * column is read leniently by {@link #of}, as OVS reads it). Keys xvio knows but does not act on are not refused.
     */
    public static List<String> refusals(Map<String, String> cfg) {
        List<String> bad = new ArrayList<>();
        read(cfg, bad, new ArrayList<>());
        return bad;
    }

    /** The settings of cfg; bad: unknown keys and bad values (the defaults used), notes: what xvio does not act on. */
    private static BfdSettings read(Map<String, String> cfg, List<String> bad, List<String> notes) {
        boolean enabled = bool(cfg, "enable", false, bad);
        long minTx = Math.max(1, integer(cfg, "min_tx", DEFAULT_MIN_TX, 0, Integer.MAX_VALUE, bad));
        long minRx = Math.max(1, integer(cfg, "min_rx", DEFAULT_MIN_RX, 0, Integer.MAX_VALUE, bad));
        int mult = (int) integer(cfg, "mult", DEFAULT_MULT, 1, 255, bad);
        for (String k : cfg.keySet()) {
            if (!KNOWN.contains(k)) bad.add("unknown key " + k + " ignored");
            else if (IGNORED.contains(k)) notes.add(k + " is not supported by xvio: ignored");
        }
        boolean oam = bool(cfg, "oam", false, bad);
        if (oam) notes.add("oam=true is not supported by xvio: its BFD messages go without the tunnel's OAM flag");
        return new BfdSettings(enabled, minTx, minRx, mult, bool(cfg, "cpath_down", false, bad), bool(cfg, "check_tnl_key", false, bad),
                oam, ip(cfg, "bfd_src_ip", BfdMessage.DEFAULT_SRC_IP, bad), ip(cfg, "bfd_dst_ip", BfdMessage.DEFAULT_DST_IP, bad),
                mac(cfg, "bfd_local_src_mac", bad), mac(cfg, "bfd_local_dst_mac", bad), mac(cfg, "bfd_remote_dst_mac", bad), List.of());
    }

    /** The keys the column may have (OVS's; some read and not acted on). */
    public static List<String> keys() { return KNOWN; }

    private static boolean bool(Map<String, String> cfg, String key, boolean def, List<String> warn) {
        String v = cfg.get(key);
        if (v == null) return def;
        if (v.equals("true")) return true;
        if (v.equals("false")) return false;
        warn.add(key + "=" + v + " is not true or false: " + def + " used");
        return def;
    }

    private static long integer(Map<String, String> cfg, String key, long def, long min, long max, List<String> warn) {
        String v = cfg.get(key);
        if (v == null) return def;
        try {
            long n = Long.parseLong(v.strip());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        warn.add(key + "=" + v + " is not an integer in [" + min + ", " + max + "]: " + def + " used");
        return def;
    }

    private static int ip(Map<String, String> cfg, String key, int def, List<String> warn) {
        String v = cfg.get(key);
        if (v == null || v.isEmpty()) return def;
        String[] p = v.split("\\.", -1);
        if (p.length == 4) {
            int a = 0;
            boolean ok = true;
            for (String s : p) {
                if (s.isEmpty() || s.length() > 3 || !s.chars().allMatch(Character::isDigit) || Integer.parseInt(s) > 255) ok = false;
                else a = a << 8 | Integer.parseInt(s);
            }
            if (ok) return a;
        }
        warn.add(key + "=\"" + v + "\" is not a valid IP address: the default used");
        return def;
    }

    /** A MAC as a 48-bit value; 0 (unset) when absent or unparsable. */
    private static long mac(Map<String, String> cfg, String key, List<String> warn) {
        String v = cfg.get(key);
        if (v == null || v.isEmpty()) return 0;
        String[] p = v.split(":", -1);
        if (p.length == 6) {
            long m = 0;
            try {
                for (String s : p) {
                    if (s.isEmpty() || s.length() > 2 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) throw new NumberFormatException(s);
                    m = m << 8 | Integer.parseInt(s, 16);
                }
                return m;
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        warn.add(key + "=\"" + v + "\" is not a MAC address: ignored");
        return 0;
    }
}
