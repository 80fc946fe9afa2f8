package io.xvio.control.ovsdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * OVS's options of an {@code afxdp} Interface (netdev-afxdp.c's set_config) against what xvio's afxdp port does: one
 * AF_XDP socket in copy mode on queue 0, its XDP program attached in native mode where the driver has it, else in
 * generic mode, and the kernel's need_wakeup used where the kernel has it. That is OVS's default,
 * {@code xdp-mode=best-effort} (native with zero-copy, native, then generic: whichever works first) with
 * {@code use-need-wakeup=true}, short of zero-copy.
 * <ul>
 * <li>{@code n_rxq} other than 1, and an {@code xdp-mode} that is not one of OVS's four (case-insensitive, as OVS),
 *     are the Interface's error ({@link #check}), as OVS refuses the latter with EINVAL;
 * <li>{@code xdp-mode=native-with-zerocopy} is an error too: OVS fails such a port where zero-copy cannot be had,
 *     and xvio has no zero-copy;
 * <li>{@code xdp-mode=native} and {@code generic} and {@code use-need-wakeup=false} have no equivalent in xvio's
 *     port settings: the port is made as above and {@link #notHonoured} says so (logged once per interface).
 * </ul>
 */
final class AfxdpOptions {
    static final List<String> XDP_MODES = List.of("best-effort", "native-with-zerocopy", "native", "generic");

    private AfxdpOptions() {}

    /** Throws IllegalArgumentException (the Interface's error) for options xvio cannot make a port of. */
    static void check(String name, Map<String, String> options) {
        String n = options.getOrDefault("n_rxq", "1");
        if (!n.equals("1")) throw new IllegalArgumentException("afxdp: options:n_rxq=" + n + " is not supported (xvio binds queue 0 of " + name + ")");
        String mode = options.get("xdp-mode");
        if (mode == null) return;
        String m = mode.toLowerCase(Locale.ROOT);
        if (!XDP_MODES.contains(m))
            throw new IllegalArgumentException("afxdp: options:xdp-mode=" + mode + " is not one of " + String.join(", ", XDP_MODES) + " (OVS's: incorrect xdp-mode)");
        if (m.equals("native-with-zerocopy"))
            throw new IllegalArgumentException("afxdp: options:xdp-mode=" + mode + " is not supported: xvio's AF_XDP sockets are copy mode "
                    + "(best-effort, the default, attaches natively where the driver can, else generically)");
    }

    /** What of options this port is made without, one line each (empty: all honoured). Call after {@link #check}. */
    static List<String> notHonoured(Map<String, String> options) {
        List<String> lines = new ArrayList<>();
        String mode = options.get("xdp-mode");
        if (mode != null && (mode.equalsIgnoreCase("native") || mode.equalsIgnoreCase("generic")))
            lines.add("options:xdp-mode=" + mode + " is not supported by xvio: it attaches its XDP program in native mode where the driver "
                    + "has it, else in generic mode (OVS's best-effort; `xvio show` says which)");
        String wakeup = options.get("use-need-wakeup");
        if (wakeup != null && wakeup.equalsIgnoreCase("false"))   // OVS reads any other value as true (smap_get_bool)
            lines.add("options:use-need-wakeup=" + wakeup + " is not supported by xvio: it uses need_wakeup wherever the kernel has it");
        return lines;
    }
}
