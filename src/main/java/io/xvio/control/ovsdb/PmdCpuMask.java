package io.xvio.control.ovsdb;

import java.util.ArrayList;
import java.util.List;

/** OVS's other_config:pmd-cpu-mask: a hexadecimal CPU mask (0x optional), bit N for CPU N. */
public final class PmdCpuMask {
    private PmdCpuMask() {}

    public static List<Integer> parse(String mask) {
        String h = mask.strip();
        if (h.startsWith("0x") || h.startsWith("0X")) h = h.substring(2);
        if (h.isEmpty() || h.length() > 256 || !h.matches("[0-9a-fA-F]+"))
            throw new IllegalArgumentException("\"" + mask + "\" is not a hexadecimal CPU mask (e.g. 0x6)");
        List<Integer> cpus = new ArrayList<>();
        for (int i = 0; i < h.length(); i++) {
            int nibble = Character.digit(h.charAt(h.length() - 1 - i), 16);
            for (int b = 0; b < 4; b++) if ((nibble & (1 << b)) != 0) cpus.add(i * 4 + b);
        }
        if (cpus.isEmpty()) throw new IllegalArgumentException("\"" + mask + "\" selects no CPU");
        return cpus;
    }
}
