package io.xvio.openflow;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Role status as OVS sends it (a master demoted by another's role request is told, OFPT_ROLE_STATUS in 1.4+,
 * ONFT_ROLE_STATUS in 1.3, nothing in 1.0) and Nicira's NXT_SET_ASYNC_CONFIG2 (OpenFlow 1.0-1.3 only).
 */
class RoleStatusTest {

    private static byte[] role(int version, int role, long gen) {
        Wire.Writer w = new Wire.Writer(version, OfType.ROLE_REQUEST, 11);
        w.u32(role).zeros(4).u64(gen);
        return w.finish();
    }

    private static byte[] nxRole(int version, int nxRole) {
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, 12);
        return w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_ROLE_REQUEST).u32(nxRole).finish();
    }

    /** {role, reason, generation id} of a role status message of version. */
    private static long[] status(byte[] m, int version) {
        assertEquals(version, m[0]);
        assertEquals(0, OfConnection.xidOf(m), "an asynchronous message: xid 0");
        Wire.Reader r = new Wire.Reader(m);
        r.skip(8);
        if (version == OfVersion.OF13) {
            assertEquals(OfType.VENDOR, m[1]);
            assertEquals(OfError.ONF_VENDOR, r.u32());
            assertEquals(RoleStatus.ONFT_ROLE_STATUS, r.u32());
        } else {
            assertEquals(RoleStatus.OFPT_ROLE_STATUS, m[1]);
        }
        assertEquals(16, r.remaining());
        long role = r.u32();
        int reason = r.u8();
        r.skip(3);
        return new long[] {role, reason, r.u64()};
    }

    @Test
    void aDemotedMasterIsToldItsNewRole() {
        for (int v : new int[] {OfVersion.OF13, OfVersion.OF14, OfVersion.OF15}) {
            MemorySwitch sw = new MemorySwitch();
            OfChannels ch = new OfChannels(sw, System.nanoTime());
            try {
                OfConnection a = new OfConnection(null, sw, "a", System.nanoTime(), ch, true), b = new OfConnection(null, sw, "b", System.nanoTime(), ch, true);
                for (OfConnection c : List.of(a, b)) {
                    ch.add(c);
                    c.handle(OpenFlowCodecTest.hello(v, 1 << v));
                }
                a.handle(role(v, OfConnection.ROLE_MASTER, 1));
                assertEquals(List.of(), a.unsent, "no master to demote");
                assertEquals(List.of(), b.unsent);
                b.handle(role(v, OfConnection.ROLE_EQUAL, 0));
                assertEquals(List.of(), a.unsent, "an equal does not demote the master");
                b.handle(role(v, OfConnection.ROLE_MASTER, 2));
                assertEquals(OfConnection.ROLE_SLAVE, a.role());
                assertEquals(1, a.unsent.size(), OfVersion.name(v));
                assertArrayEquals(new long[] {OfConnection.ROLE_SLAVE, RoleStatus.REASON_MASTER_REQUEST, 2}, status(a.unsent.getFirst(), v));
                assertEquals(List.of(), b.unsent, "the new master gets its role reply, no status");
                a.handle(role(v, OfConnection.ROLE_MASTER, 3));
                assertEquals(1, b.unsent.size());
                assertArrayEquals(new long[] {OfConnection.ROLE_SLAVE, 0, 3}, status(b.unsent.getFirst(), v));
                // Nicira's role request demotes the same way
                b.handle(nxRole(v, 1));
                assertEquals(2, a.unsent.size());
                assertEquals(OfConnection.ROLE_SLAVE, status(a.unsent.get(1), v)[0]);
            } finally {
                ch.close();
            }
        }
    }

    @Test
    void openFlow10HasNoRoleStatus() {
        MemorySwitch sw = new MemorySwitch();
        OfChannels ch = new OfChannels(sw, System.nanoTime());
        try {
            OfConnection a = new OfConnection(null, sw, "a", System.nanoTime(), ch, true), b = new OfConnection(null, sw, "b", System.nanoTime(), ch, true);
            for (OfConnection c : List.of(a, b)) {
                ch.add(c);
                c.handle(OpenFlowCodecTest.hello(OfVersion.OF10, 0));
            }
            a.handle(nxRole(OfVersion.OF10, 1));
            b.handle(nxRole(OfVersion.OF10, 1));
            assertEquals(OfConnection.ROLE_SLAVE, a.role());
            assertEquals(List.of(), a.unsent);
        } finally {
            ch.close();
        }
    }

    private static byte[] asyncConfig2(int version, int propType, long mask) {
        Wire.Writer w = new Wire.Writer(version, OfType.VENDOR, 13);
        return w.u32(OfVersion.NX_VENDOR).u32(OfType.NXT_SET_ASYNC_CONFIG2).u16(propType).u16(8).u32(mask).finish();
    }

    @Test
    void niciraSetAsyncConfig2InOpenFlow10To13() {
        for (int v : new int[] {OfVersion.OF10, OfVersion.OF13}) {
            OfConnection c = new OfConnection(null, new MemorySwitch(), "test", System.nanoTime(), null, true);
            c.handle(OpenFlowCodecTest.hello(v, v == OfVersion.OF10 ? 0 : 1 << v));
            c.demote();
            assertFalse(c.wantsAsync(AsyncConfig.PACKET_IN, 0), "a slave takes no packet-ins by default");
            assertEquals(List.of(), c.handle(asyncConfig2(v, 0, 0x1)));      // OFPACPT_PACKET_IN_SLAVE: no_match
            assertTrue(c.wantsAsync(AsyncConfig.PACKET_IN, 0), OfVersion.name(v));
            assertFalse(c.wantsAsync(AsyncConfig.PACKET_IN, 1));
            List<byte[]> unsupported = c.handle(asyncConfig2(v, 40, 0)), invalid = c.handle(asyncConfig2(v, 2, 0xff));
            assertEquals(1, unsupported.size());
            assertArrayEquals(BundleTest.expected(OfError.ASYNC_UNSUPPORTED, v, 13), BundleTest.error(unsupported.getFirst()), "OFPACFC_UNSUPPORTED");
            assertEquals(1, invalid.size());
            assertArrayEquals(BundleTest.expected(OfError.ASYNC_INVALID, v, 13), BundleTest.error(invalid.getFirst()), "OFPACFC_INVALID: port status has 3 reasons");
            assertTrue(c.wantsAsync(AsyncConfig.PACKET_IN, 0), "a refused config changes nothing");
        }
        OfConnection c14 = OpenFlowCodecTest.connected(new MemorySwitch(), OfVersion.OF14);
        assertArrayEquals(new int[] {1, 4}, OpenFlowCodecTest.errorOf(c14.handle(asyncConfig2(OfVersion.OF14, 0, 1))),
                "OFPBRC_BAD_SUBTYPE: 1.4 has OFPT_SET_ASYNC");
    }
}
