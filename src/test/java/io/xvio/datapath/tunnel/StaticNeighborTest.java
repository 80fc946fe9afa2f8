package io.xvio.datapath.tunnel;

import net.jqwik.api.*;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The text of {@code tnl neigh set BRIDGE IP MAC}: what is taken, what is refused and why. */
class StaticNeighborTest {
    @Test
    void parsesIpv4AndIpv6AndMacsAsOvsWritesThem() {
        StaticNeighbor n = StaticNeighbor.parse("172.31.0.2", "02:31:00:00:00:0a");
        assertEquals(IpAddr.parse("172.31.0.2", "t"), n.ip());
        assertEquals(0x02_31_00_00_00_0aL, n.mac());
        assertEquals(0x02_31_00_00_00_0aL, StaticNeighbor.parse("172.31.0.2", "2:31:0:0:0:A").mac());
        assertEquals(0xfe_ff_ff_ff_ff_feL, StaticNeighbor.parse("172.31.0.2", "FE:ff:FF:ff:ff:fe").mac());
        assertEquals(IpAddr.parse("fd00:31::2", "t"), StaticNeighbor.parse("fd00:31::2", "02:31:00:00:00:0a").ip());
        assertEquals(IpAddr.parse("fe80::1", "t"), StaticNeighbor.parse("fe80::1", "02:31:00:00:00:0a").ip());
    }

    private static String error(String ip, String mac) {
        return assertThrows(TunnelConfigException.class, () -> StaticNeighbor.parse(ip, mac)).getMessage();
    }

    @Test
    void refusesWhatNoNeighbourCanBe() {
        assertEquals("bad IP address \"1.2.3\": not an IPv4 or IPv6 address", error("1.2.3", "02:00:00:00:00:01"));
        assertEquals("bad IP address \"localhost\": not an IPv4 or IPv6 address", error("localhost", "02:00:00:00:00:01"));
        assertEquals("bad IP address \"0.0.0.0\": the unspecified address", error("0.0.0.0", "02:00:00:00:00:01"));
        assertEquals("bad IP address \"255.255.255.255\": the broadcast address", error("255.255.255.255", "02:00:00:00:00:01"));
        assertEquals("bad IP address \"239.1.1.1\": a multicast address", error("239.1.1.1", "02:00:00:00:00:01"));
        assertEquals("bad IP address \"::\": the unspecified address", error("::", "02:00:00:00:00:01"));
        assertEquals("bad IP address \"ff02::1\": a multicast address", error("ff02::1", "02:00:00:00:00:01"));
        for (String bad : new String[] {"", "02:00:00:00:00", "02:00:00:00:00:01:02", "02:00:00:00:00:001", "02::00:00:00:00:01",
                "02:00:00:00:00:01:", ":02:00:00:00:00:01", "02-00-00-00-00-01", "0x:00:00:00:00:01", "+2:00:00:00:00:01", "02:00:00:00:00:٣"})
            assertEquals("bad MAC address \"" + bad + "\": not xx:xx:xx:xx:xx:xx", error("172.31.0.2", bad), bad);
        assertTrue(error("172.31.0.2", "00:00:00:00:00:00").endsWith("all zeros"));
        assertTrue(error("172.31.0.2", "33:33:00:00:00:01").contains("multicast (group) address"));
        assertTrue(error("172.31.0.2", "ff:ff:ff:ff:ff:ff").contains("multicast (group) address"));
        assertTrue(error("172.31.0.2", null).contains("needs a MAC address"));
    }

    /** Any MAC formatted as OVS and Linux print them parses back to itself. */
    @Property(tries = 2000)
    void formattedMacsRoundTrip(@ForAll long m) {
        long mac = m & 0xfe_ff_ff_ff_ff_ffL;        // unicast
        if (mac == 0) return;
        assertEquals(mac, StaticNeighbor.parse("172.31.0.2", TunnelHeader.mac(mac)).mac());
    }

    /** Random text never throws anything but the clear error, and whatever parses is a unicast MAC and a usable address. */
    @Property(tries = 3000)
    void randomTextIsParsedOrRefusedClearly(@ForAll String ip, @ForAll String mac) {
        try {
            StaticNeighbor n = StaticNeighbor.parse(ip, mac);
            assertTrue(n.mac() > 0 && n.mac() <= 0xffff_ffff_ffffL && (n.mac() & (1L << 40)) == 0);
        } catch (TunnelConfigException e) {
            assertTrue(e.getMessage().startsWith("bad IP address") || e.getMessage().startsWith("bad MAC address"), e.getMessage());
        }
    }

    @Property(tries = 1000)
    void randomMacLikeTextNeverThrows(@ForAll("macLike") String mac) {
        try {
            StaticNeighbor.parse("172.31.0.2", mac);
        } catch (TunnelConfigException e) {
            assertTrue(e.getMessage().startsWith("bad MAC address"), e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> macLike() {
        return Arbitraries.strings().withChars("0123456789abcdefABCDEFg:-x ").ofMaxLength(20);
    }
}
