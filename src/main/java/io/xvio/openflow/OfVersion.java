package io.xvio.openflow;

/** Wire versions xvio speaks and the vendor/experimenter ids it knows. */
public final class OfVersion {
    private OfVersion() {}

    public static final int OF10 = 1, OF13 = 4, OF14 = 5, OF15 = 6;
    /** Nicira's vendor id (NX_VENDOR_ID). */
    public static final int NX_VENDOR = 0x00002320;
    /** The versions in the hello bitmap xvio sends: 1.0, 1.3, 1.4, 1.5. */
    public static final int BITMAP = (1 << OF10) | (1 << OF13) | (1 << OF14) | (1 << OF15);

    public static boolean supported(int v) { return v >= 0 && v < 32 && (BITMAP & (1 << v)) != 0; }

    public static String name(int v) {
        return switch (v) {
            case OF10 -> "OpenFlow10";
            case 2 -> "OpenFlow11";
            case 3 -> "OpenFlow12";
            case OF13 -> "OpenFlow13";
            case OF14 -> "OpenFlow14";
            case OF15 -> "OpenFlow15";
            default -> "version 0x" + Integer.toHexString(v);
        };
    }
}
