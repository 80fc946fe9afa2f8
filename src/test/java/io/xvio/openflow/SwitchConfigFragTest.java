package io.xvio.openflow;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * OFPT_SET_CONFIG's fragment flags set the bridge's fragment handling and OFPT_GET_CONFIG_REPLY reports the bridge's,
 * as OVS's handle_set_config / handle_get_config_request (ofproto.c) and lib/ofp-switch.c: a slave controller
 * cannot change it; reassembly is not supported (the mode stays); a flag the version does not define is
 * OFPSCFC_BAD_FLAGS.
 */
class SwitchConfigFragTest {
    static byte[] setConfig(int version, int flags) {
        return new Wire.Writer(version, OfType.SET_CONFIG, 2).u16(flags).u16(0xffff).finish();
    }

    /** The flags of a GET_CONFIG_REPLY to c. */
    static int flags(OfConnection c, int version) {
        byte[] m = c.handle(new Wire.Writer(version, OfType.GET_CONFIG_REQUEST, 3).finish()).getFirst();
        assertEquals(OfType.GET_CONFIG_REPLY, m[1]);
        return ((m[8] & 0xff) << 8) | (m[9] & 0xff);
    }

    @Test
    void fragFlagsAreTheBridges() {
        MemorySwitch sw = new MemorySwitch();
        OfConnection c13 = OpenFlowCodecTest.connected(sw, OfVersion.OF13), c10 = OpenFlowCodecTest.connected(sw, OfVersion.OF10);
        assertEquals(List.of(), c13.handle(setConfig(OfVersion.OF13, 1)));          // OFPC_FRAG_DROP
        assertEquals(1, flags(c13, OfVersion.OF13));
        assertEquals(1, flags(c10, OfVersion.OF10), "the bridge's mode, whoever set it");
        assertEquals(List.of(), c10.handle(setConfig(OfVersion.OF10, 3 | 4)));     // nx-match, invalid_ttl_to_controller
        assertEquals(3 | 4, flags(c10, OfVersion.OF10));
        assertEquals(3, flags(c13, OfVersion.OF13));
        assertEquals(List.of(), c13.handle(setConfig(OfVersion.OF13, 2)));          // reassemble: unsupported, unchanged
        assertEquals(3, flags(c13, OfVersion.OF13));
        assertEquals(List.of(), c13.handle(setConfig(OfVersion.OF13, 0)));
        assertEquals(0, flags(c10, OfVersion.OF10) & 3);
    }

    @Test
    void undefinedFlagsAreRefused() {
        OfConnection c13 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF13);
        assertArrayEquals(new int[] {10, 0}, OpenFlowCodecTest.errorOf(c13.handle(setConfig(OfVersion.OF13, 4))),
                "OFPSCFC_BAD_FLAGS: invalid_ttl_to_controller is not a 1.3 flag");
    }
}
