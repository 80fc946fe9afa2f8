package io.xvio.e2e;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The frames the differential test against Open vSwitch injects: a few hundred, built byte by byte (checksums
 * correct unless a frame is about a wrong one), each with the switch port it enters and a group:
 * <ul>
 *   <li>{@code main}: what a network carries: untagged and 802.1Q-tagged (VLAN 10, 20, PCP 3); IPv4 and IPv6
 *       TCP (several flag sets), UDP (checksum and none), ICMP, ICMPv6 (echo, neighbor
 *       solicitation), IGMP, ARP requests and replies; to broadcast, multicast, learned and unknown unicast MACs;
 *       TTL 0, 1 and 64, DSCP/ECN, IPv4 options, IPv6 extension headers, full-size frames, 802.3 length frames,
 *       unknown ethertypes.</li>
 *   <li>{@code vlan-edge}: priority-tagged frames (VID 0, PCP 5) and double-tagged ones (802.1ad VID 100 outside
 *       802.1Q VID 10).</li>
 *   <li>{@code reserved-multicast}: IEEE 802.1D reserved group addresses 01:80:c2:00:00:00-0f (STP, pause, LACP,
 *       802.1X, LLDP and the rest).</li>
 *   <li>{@code fragments}: IPv4 first, middle and last fragments of TCP, UDP and ICMP, and IPv6 fragments.</li>
 *   <li>{@code ovn}: what OVN's flows look at: ARP requests and replies (arp_sha/arp_tha), ICMPv6 neighbor
 *       solicitations and advertisements with and without link-layer address options (nd_target, nd_sll, nd_tll),
 *       ICMP/ICMPv6 echo requests with TTL 64 and 1, a 400-byte one (check_pkt_larger), and a TCP connection (SYN,
 *       SYN-ACK, ACK, data, FIN both ways, RST) and a UDP exchange for conntrack.</li>
 *   <li>{@code malformed}: IPv4 headers that lie (total length beyond the frame or below the header, IHL below 5 or
 *       beyond the frame, version 6 under ethertype 0x0800), truncated IPv4/IPv6/TCP/UDP/ARP headers, frames of
 *       only an Ethernet or VLAN header.</li>
 * </ul>
 * Hosts: the host "behind" port p has MAC 02:00:00:00:00:0p, IPv4 10.7.0.p and IPv6 2001:db8:7::p (nothing this
 * machine owns, so its own stack never answers). Frames enter at the port their source host is behind, so a
 * learning switch learns a consistent table. No host moves: OVS relearns a moved MAC only when a frame misses its
 * datapath flow cache or its revalidators next run (about every half second), so what it does right after a
 * move depends on timing; xvio relearns on the first frame.
 */
public final class FrameCorpus {
    public record Frame(String name, String group, int inPort, byte[] bytes) {
        public String hex() { return HexFormat.of().formatHex(bytes); }
    }

    /** The ports frames enter at (1..PORTS). */
    public static final int PORTS = 5;
    static final long BCAST = 0xffffffffffffL, UNKNOWN = 0x020000000099L, MCAST4 = 0x01005e000101L, MCAST6 = 0x333300000001L;
    static final int TCP = 6, UDP = 17, ICMP = 1, ICMP6 = 58, IGMP = 2;
    static final int FIN = 1, SYN = 2, RST = 4, PSH = 8, ACK = 16;

    private final List<Frame> frames = new ArrayList<>();

    public static List<Frame> all() {
        FrameCorpus c = new FrameCorpus();
        c.main();
        c.reservedMulticast();
        c.fragments();
        c.malformed();
        c.ovn();
        return List.copyOf(c.frames);
    }

    static long mac(int host) { return 0x020000000000L | host; }

    static byte[] ip4(int host) { return new byte[] {10, 7, 0, (byte) host}; }

    static byte[] ip6(int host) {
        byte[] a = new byte[16];
        a[0] = 0x20; a[1] = 0x01; a[2] = 0x0d; a[3] = (byte) 0xb8; a[5] = 7;
        a[15] = (byte) host;
        return a;
    }

    private void add(String name, String group, int inPort, byte[] bytes) {
        frames.add(new Frame(name, group, inPort, bytes));
    }

    // ------------------------------------------------------------------ groups

    private void main() {
        int[][] vlans = {{}, {0x8100, 10}, {0x8100, 20}, {0x8100, 0x6000 | 10}};   // none, VLAN 10, 20, VLAN 10 PCP 3
        String[] vlanNames = {"untagged", "vlan10", "vlan20", "vlan10-pcp3"};
        int n = 0;
        for (int p = 1; p <= PORTS; p++) {
            long src = mac(p);
            int q = p % PORTS + 1;                           // a neighbour, learned once it has sent
            for (int v = 0; v < vlans.length; v++) {
                int[] tag = vlans[v];
                String vn = vlanNames[v];
                long[] dsts = {mac(q), UNKNOWN, BCAST};
                String[] dstNames = {"to-h" + q, "to-unknown", "to-bcast"};
                int d = n++ % 3;
                // ARP first so that the sender is learned before unicast to it is sent
                add("arp-request " + vn + " from h" + p, "main", p, eth(BCAST, src, tag, 0x0806, arp(1, src, ip4(p), 0, ip4(q))));
                add("arp-reply " + vn + " from h" + p, "main", p, eth(mac(q), src, tag, 0x0806, arp(2, src, ip4(p), mac(q), ip4(q))));
                add("tcp4-syn " + vn + " " + dstNames[d] + " from h" + p, "main", p,
                        eth(dsts[d], src, tag, 0x0800, ipv4(ip4(p), ip4(q), TCP, 64, 0, 100 + p, 0, tcp(ip4(p), ip4(q), 40000 + p, 80, SYN, 0))));
                add("tcp4-ack " + vn + " to-h" + q + " from h" + p, "main", p,
                        eth(mac(q), src, tag, 0x0800, ipv4(ip4(p), ip4(q), TCP, 63, 0x28, 200 + p, 0, tcp(ip4(p), ip4(q), 1024 + 7 * p, 22, ACK | PSH, 24))));
                add("tcp4-rst " + vn + " to-unknown" + " from h" + p, "main", p,
                        eth(UNKNOWN, src, tag, 0x0800, ipv4(ip4(p), ip4(9), TCP, 64, 0xb9, 300 + p, 0, tcp(ip4(p), ip4(9), 443, 50000 + p, RST | ACK, 0))));
                add("udp4 " + vn + " dns " + dstNames[(d + 1) % 3] + " from h" + p, "main", p,
                        eth(dsts[(d + 1) % 3], src, tag, 0x0800, ipv4(ip4(p), ip4(q), UDP, 64, 0, 400 + p, 0, udp(ip4(p), ip4(q), 5353 + p, 53, 30, true))));
                add("udp4 " + vn + " multicast" + " from h" + p, "main", p,
                        eth(MCAST4, src, tag, 0x0800, ipv4(ip4(p), new byte[] {(byte) 239, 0, 1, 1}, UDP, 1, 0, 500 + p, 0,
                                udp(ip4(p), new byte[] {(byte) 239, 0, 1, 1}, 9999, 9999, 10, true))));
                add("icmp4-echo " + vn + " " + dstNames[(d + 2) % 3] + " from h" + p, "main", p,
                        eth(dsts[(d + 2) % 3], src, tag, 0x0800, ipv4(ip4(p), ip4(q), ICMP, 64, 0, 600 + p, 0, icmp(8, 0, 56))));
                add("tcp6-syn " + vn + " " + dstNames[d] + " from h" + p, "main", p,
                        eth(dsts[d], src, tag, 0x86dd, ipv6(ip6(p), ip6(q), TCP, 64, 0, tcp(ip6(p), ip6(q), 41000 + p, 80, SYN, 0))));
                add("udp6 " + vn + " to-h" + q + " from h" + p, "main", p,
                        eth(mac(q), src, tag, 0x86dd, ipv6(ip6(p), ip6(q), UDP, 1, 0x2e, udp(ip6(p), ip6(q), 546, 547, 20, true))));
                add("icmp6-echo " + vn + " to-h" + q + " from h" + p, "main", p,
                        eth(mac(q), src, tag, 0x86dd, ipv6(ip6(p), ip6(q), ICMP6, 64, 0, icmp6(ip6(p), ip6(q), 128, 0, 32))));
                byte[] solicited = ip6(q);
                solicited[0] = (byte) 0xff; solicited[1] = 2; solicited[2] = 0; solicited[3] = 0; solicited[5] = 0;
                solicited[11] = 1; solicited[12] = (byte) 0xff;
                add("icmp6-ns " + vn + " multicast" + " from h" + p, "main", p,
                        eth(0x3333ff000000L | q, src, tag, 0x86dd, ipv6(ip6(p), solicited, ICMP6, 255, 0, icmp6(ip6(p), solicited, 135, 0, 24))));
            }
            // one of each of the rarer kinds per port
            add("tcp4-ttl1 h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), TCP, 1, 0, 700 + p, 0, tcp(ip4(p), ip4(q), 2000 + p, 80, ACK, 10))));
            add("tcp4-ttl0 h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), TCP, 0, 0, 710 + p, 0, tcp(ip4(p), ip4(q), 2100 + p, 80, ACK, 10))));
            add("udp6-hoplimit0 h" + p, "main", p, eth(mac(q), src, new int[0], 0x86dd,
                    ipv6(ip6(p), ip6(q), UDP, 0, 0, udp(ip6(p), ip6(q), 7000, 7001, 8, true))));
            add("udp4-nochecksum h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), UDP, 64, 0, 720 + p, 0, udp(ip4(p), ip4(q), 6000 + p, 69, 16, false))));
            add("tcp4-synack-ecn h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), TCP, 64, 0x03, 730 + p, 0, tcp(ip4(p), ip4(q), 80, 40000 + q, SYN | ACK, 0))));
            add("tcp4-fin h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), TCP, 64, 0, 740 + p, 0, tcp(ip4(p), ip4(q), 1500 + p, 8080, FIN | ACK, 0))));
            add("tcp4-options h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4opts(ip4(p), ip4(q), TCP, 64, 750 + p, tcp(ip4(p), ip4(q), 3000 + p, 80, SYN, 0))));
            add("tcp4-full-size h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), TCP, 64, 0, 760 + p, 0, tcp(ip4(p), ip4(q), 3100 + p, 80, ACK, 1460))));
            add("icmp4-unreachable h" + p, "main", p, eth(mac(q), src, new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), ICMP, 64, 0xc0, 770 + p, 0, icmp(3, 3, 28))));
            add("igmp h" + p, "main", p, eth(0x01005e000016L, src, new int[0], 0x0800,
                    ipv4(ip4(p), new byte[] {(byte) 224, 0, 0, 22}, IGMP, 1, 0, 780 + p, 0, icmp(0x22, 0, 12))));
            add("udp6-hop-by-hop h" + p, "main", p, eth(mac(q), src, new int[0], 0x86dd,
                    ipv6(ip6(p), ip6(q), 0, 64, 0, concat(new byte[] {UDP, 0, 1, 4, 0, 0, 0, 0}, udp(ip6(p), ip6(q), 8000, 8001, 12, true)))));
            add("double-tagged h" + p, "vlan-edge", p, eth(mac(q), src, new int[] {0x88a8, 100, 0x8100, 10}, 0x0800,
                    ipv4(ip4(p), ip4(q), UDP, 64, 0, 790 + p, 0, udp(ip4(p), ip4(q), 4000, 4001, 8, true))));
            add("priority-tagged h" + p, "vlan-edge", p, eth(mac(q), src, new int[] {0x8100, 0xa000}, 0x0800,
                    ipv4(ip4(p), ip4(q), UDP, 64, 0, 800 + p, 0, udp(ip4(p), ip4(q), 4100, 4101, 8, true))));
            add("llc-802.3 h" + p, "main", p, eth(mac(q), src, new int[0], 38, concat(new byte[] {(byte) 0xaa, (byte) 0xaa, 3, 0, 0, 0, 0x12, 0x34}, new byte[30])));
            add("ethertype-0x88b6 h" + p, "main", p, eth(BCAST, src, new int[0], 0x88b6, new byte[46]));
            add("rarp h" + p, "main", p, eth(BCAST, src, new int[0], 0x8035, arp(3, src, new byte[4], src, new byte[4])));
            add("ipv6-multicast-udp h" + p, "main", p, eth(MCAST6, src, new int[0], 0x86dd,
                    ipv6(ip6(p), new byte[] {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, UDP, 1, 0,
                            udp(ip6(p), new byte[] {(byte) 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 5000, 5000, 8, true))));
            add("gratuitous-arp h" + p, "main", p, eth(BCAST, src, new int[0], 0x0806, arp(1, src, ip4(p), 0, ip4(p))));
        }
        byte[] far = {(byte) 172, 16, 5, 9};
        add("udp4 from 172.16.5.9", "main", 1, eth(mac(2), mac(1), new int[0], 0x0800,
                ipv4(far, ip4(2), UDP, 64, 0, 902, 0, udp(far, ip4(2), 123, 123, 48, true))));
    }

    private void reservedMulticast() {
        for (int i = 0; i <= 0x0f; i++) {
            int p = i % PORTS + 1;
            long dst = 0x0180c2000000L | i;
            byte[] frame = switch (i) {
                case 0x00 -> eth(dst, mac(p), new int[0], 38, concat(new byte[] {0x42, 0x42, 3}, new byte[35]));       // STP BPDU (LLC)
                case 0x01 -> eth(dst, mac(p), new int[0], 0x8808, concat(new byte[] {0, 1, (byte) 0xff, (byte) 0xff}, new byte[42]));   // pause
                case 0x02 -> eth(dst, mac(p), new int[0], 0x8809, concat(new byte[] {1, 1}, new byte[44]));          // LACP
                case 0x03 -> eth(dst, mac(p), new int[0], 0x888e, concat(new byte[] {2, 1, 0, 0}, new byte[42]));    // EAPOL
                case 0x0e -> eth(dst, mac(p), new int[0], 0x88cc, concat(new byte[] {2, 7, 4, 2, 0, 0, 0, 0, 0, (byte) p}, new byte[36]));   // LLDP
                default -> eth(dst, mac(p), new int[0], 0x0800, ipv4(ip4(p), ip4(9), UDP, 64, 0, 1000 + i, 0, udp(ip4(p), ip4(9), 1, 2, 8, true)));
            };
            add(String.format("reserved 01:80:c2:00:00:%02x", i), "reserved-multicast", p, frame);
        }
        add("reserved 01:80:c2:00:00:00 vlan10", "reserved-multicast", 5,
                eth(0x0180c2000000L, mac(5), new int[] {0x8100, 10}, 38, concat(new byte[] {0x42, 0x42, 3}, new byte[35])));
        add("not reserved 01:80:c2:00:00:10", "reserved-multicast", 1,
                eth(0x0180c2000010L, mac(1), new int[0], 0x88b6, new byte[46]));
    }

    private void fragments() {
        for (int p = 1; p <= PORTS; p++) {
            int q = p % PORTS + 1;
            int[] tag = p % 2 == 0 ? new int[] {0x8100, 10} : new int[0];
            byte[] t = tcp(ip4(p), ip4(q), 40000 + p, 80, SYN, 32);
            byte[] u = udp(ip4(p), ip4(q), 5000 + p, 53, 40, true);
            byte[] ic = icmp(8, 0, 40);
            add("ipv4-frag first tcp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), TCP, 64, 0, 1100 + p, 0x2000, t)));
            add("ipv4-frag middle tcp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), TCP, 64, 0, 1100 + p, 0x2000 | 7, t)));
            add("ipv4-frag last tcp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), TCP, 64, 0, 1100 + p, 14, t)));
            add("ipv4-frag first udp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), UDP, 64, 0, 1200 + p, 0x2000, u)));
            add("ipv4-frag last udp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), UDP, 64, 0, 1200 + p, 6, u)));
            add("ipv4-frag first icmp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), ICMP, 64, 0, 1300 + p, 0x2000, ic)));
            add("ipv4-frag last icmp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), ICMP, 64, 0, 1300 + p, 6, ic)));
            add("ipv4-frag first tcp ttl1 h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x0800, ipv4(ip4(p), ip4(q), TCP, 1, 0, 1400 + p, 0x2000, t)));
            byte[] u6 = udp(ip6(p), ip6(q), 5000 + p, 53, 40, true);
            add("ipv6-frag first udp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x86dd,
                    ipv6(ip6(p), ip6(q), 44, 64, 0, concat(new byte[] {UDP, 0, 0, 1, 0, 0, 0, (byte) (50 + p)}, u6))));
            add("ipv6-frag later udp h" + p, "fragments", p, eth(mac(q), mac(p), tag, 0x86dd,
                    ipv6(ip6(p), ip6(q), 44, 64, 0, concat(new byte[] {UDP, 0, 0, 0x30, 0, 0, 0, (byte) (50 + p)}, u6))));
        }
    }

    private void malformed() {
        for (int p = 1; p <= PORTS; p++) {
            int q = p % PORTS + 1;
            long dst = p % 2 == 0 ? mac(q) : BCAST;
            byte[] good = ipv4(ip4(p), ip4(q), TCP, 64, 0, 1500 + p, 0, tcp(ip4(p), ip4(q), 1234, 80, SYN, 8));
            add("ipv4 total-length beyond frame h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, withIpv4(good, 2, 0, good.length + 20)));
            add("ipv4 total-length below header h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, withIpv4(good, 2, 0, 12)));
            add("ipv4 ihl 4 h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, withIpv4(good, 0, 0x44, -1)));
            add("ipv4 ihl 15 h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, withIpv4(good, 0, 0x4f, -1)));
            add("ipv4 version 6 h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, withIpv4(good, 0, 0x65, -1)));
            add("ipv4 bad header checksum h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, withIpv4(good, 10, 0xbeef, -1)));
            add("ipv4 total-length beyond frame vlan10 h" + p, "malformed", p,
                    eth(dst, mac(p), new int[] {0x8100, 10}, 0x0800, withIpv4(good, 2, 0, 1400)));
            add("ipv4 truncated tcp header h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), TCP, 64, 0, 1600 + p, 0, new byte[] {0x04, (byte) 0xd2, 0, 80, 0, 0})));
            add("ipv4 truncated udp header h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800,
                    ipv4(ip4(p), ip4(q), UDP, 64, 0, 1610 + p, 0, new byte[] {0x04, (byte) 0xd2, 0})));
            add("ipv4 header cut h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, java.util.Arrays.copyOf(good, 12)));
            add("ethernet header only ipv4 h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x0800, new byte[0]));
            add("vlan header only h" + p, "malformed", p, eth(dst, mac(p), new int[] {0x8100, 10}, 0x0800, new byte[0]));
            byte[] good6 = ipv6(ip6(p), ip6(q), TCP, 64, 0, tcp(ip6(p), ip6(q), 1234, 80, SYN, 0));
            add("ipv6 header cut h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x86dd, java.util.Arrays.copyOf(good6, 30)));
            byte[] lying6 = good6.clone();
            lying6[4] = 4;   // payload length 1024 + 20 beyond the frame
            add("ipv6 payload-length beyond frame h" + p, "malformed", p, eth(dst, mac(p), new int[0], 0x86dd, lying6));
            add("arp truncated h" + p, "malformed", p, eth(BCAST, mac(p), new int[0], 0x0806,
                    java.util.Arrays.copyOf(arp(1, mac(p), ip4(p), 0, ip4(q)), 20)));
        }
    }

    /** As add, padded to 60 bytes as a NIC would (shorter frames do not cross these veths). */
    private void add60(String name, String group, int inPort, byte[] bytes) {
        add(name, group, inPort, bytes.length >= 60 ? bytes : java.util.Arrays.copyOf(bytes, 60));
    }

    private void ovn() {
        add60("ovn arp request h1 for h2", "ovn", 1, eth(BCAST, mac(1), new int[0], 0x0806, arp(1, mac(1), ip4(1), 0, ip4(2))));
        add60("ovn arp request vlan10 h3 for h4", "ovn", 3, eth(BCAST, mac(3), new int[] {0x8100, 10}, 0x0806, arp(1, mac(3), ip4(3), 0, ip4(4))));
        add60("ovn arp reply h2 to h1", "ovn", 2, eth(mac(1), mac(2), new int[0], 0x0806, arp(2, mac(2), ip4(2), mac(1), ip4(1))));
        add60("ovn gratuitous arp h5", "ovn", 5, eth(BCAST, mac(5), new int[0], 0x0806, arp(1, mac(5), ip4(5), BCAST, ip4(5))));
        for (int p = 1; p <= 3; p++) {
            int q = p % PORTS + 1;
            byte[] solicited = ip6(q);
            solicited[0] = (byte) 0xff; solicited[1] = 2; solicited[2] = 0; solicited[3] = 0; solicited[5] = 0;
            solicited[11] = 1; solicited[12] = (byte) 0xff;
            add60("ovn nd ns sll h" + p + " for h" + q, "ovn", p, eth(0x3333ff000000L | q, mac(p), new int[0], 0x86dd,
                    ipv6(ip6(p), solicited, ICMP6, 255, 0, nd(ip6(p), solicited, 135, 0, ip6(q), 1, mac(p)))));
            add60("ovn nd na tll h" + q + " to h" + p, "ovn", q, eth(mac(p), mac(q), new int[0], 0x86dd,
                    ipv6(ip6(q), ip6(p), ICMP6, 255, 0, nd(ip6(q), ip6(p), 136, 0x60000000, ip6(q), 2, mac(q)))));
            add60("ovn nd ns dad h" + p, "ovn", p, eth(0x3333ff000000L | p, mac(p), new int[0], 0x86dd,
                    ipv6(new byte[16], solicited, ICMP6, 255, 0, nd(new byte[16], solicited, 135, 0, ip6(p), 0, 0))));
            add60("ovn nd na no-tll h" + q + " to h" + p, "ovn", q, eth(mac(p), mac(q), new int[0], 0x86dd,
                    ipv6(ip6(q), ip6(p), ICMP6, 255, 0, nd(ip6(q), ip6(p), 136, 0x40000000, ip6(q), 0, 0))));
        }
        for (int p = 1; p <= PORTS; p++) {
            int q = p % PORTS + 1;
            add60("ovn icmp echo h" + p, "ovn", p, eth(mac(q), mac(p), new int[0], 0x0800, ipv4(ip4(p), ip4(q), ICMP, 64, 0, 2000 + p, 0, icmp(8, 0, 40))));
            add60("ovn icmp echo ttl1 h" + p, "ovn", p, eth(mac(q), mac(p), new int[0], 0x0800, ipv4(ip4(p), ip4(q), ICMP, 1, 0, 2010 + p, 0, icmp(8, 0, 40))));
            add60("ovn icmp echo 400 bytes h" + p, "ovn", p, eth(mac(q), mac(p), new int[0], 0x0800, ipv4(ip4(p), ip4(q), ICMP, 64, 0, 2020 + p, 0, icmp(8, 0, 360))));
            add60("ovn icmp6 echo h" + p, "ovn", p, eth(mac(q), mac(p), new int[0], 0x86dd, ipv6(ip6(p), ip6(q), ICMP6, 64, 0, icmp6(ip6(p), ip6(q), 128, 0, 32))));
            add60("ovn icmp6 echo hop1 h" + p, "ovn", p, eth(mac(q), mac(p), new int[0], 0x86dd, ipv6(ip6(p), ip6(q), ICMP6, 1, 0, icmp6(ip6(p), ip6(q), 128, 0, 32))));
        }
        // a TCP connection h1:40001 -> h3:80 and back, then one reset h2 -> h4, and a UDP exchange h4 <-> h5
        int c = 1, s = 3;
        long cs = 0x10000, ss = 0x50000;
        add60("ovn tcp syn h1->h3", "ovn", c, eth(mac(s), mac(c), new int[0], 0x0800, ipv4(ip4(c), ip4(s), TCP, 64, 0, 3001, 0, tcpSeq(ip4(c), ip4(s), 40001, 80, cs, 0, SYN, 0))));
        add60("ovn tcp syn-ack h3->h1", "ovn", s, eth(mac(c), mac(s), new int[0], 0x0800, ipv4(ip4(s), ip4(c), TCP, 64, 0, 3002, 0, tcpSeq(ip4(s), ip4(c), 80, 40001, ss, cs + 1, SYN | ACK, 0))));
        add60("ovn tcp ack h1->h3", "ovn", c, eth(mac(s), mac(c), new int[0], 0x0800, ipv4(ip4(c), ip4(s), TCP, 64, 0, 3003, 0, tcpSeq(ip4(c), ip4(s), 40001, 80, cs + 1, ss + 1, ACK, 0))));
        add60("ovn tcp data h1->h3", "ovn", c, eth(mac(s), mac(c), new int[0], 0x0800, ipv4(ip4(c), ip4(s), TCP, 64, 0, 3004, 0, tcpSeq(ip4(c), ip4(s), 40001, 80, cs + 1, ss + 1, ACK | PSH, 100))));
        add60("ovn tcp data-ack h3->h1", "ovn", s, eth(mac(c), mac(s), new int[0], 0x0800, ipv4(ip4(s), ip4(c), TCP, 64, 0, 3005, 0, tcpSeq(ip4(s), ip4(c), 80, 40001, ss + 1, cs + 101, ACK, 0))));
        add60("ovn tcp fin h1->h3", "ovn", c, eth(mac(s), mac(c), new int[0], 0x0800, ipv4(ip4(c), ip4(s), TCP, 64, 0, 3006, 0, tcpSeq(ip4(c), ip4(s), 40001, 80, cs + 101, ss + 1, FIN | ACK, 0))));
        add60("ovn tcp fin h3->h1", "ovn", s, eth(mac(c), mac(s), new int[0], 0x0800, ipv4(ip4(s), ip4(c), TCP, 64, 0, 3007, 0, tcpSeq(ip4(s), ip4(c), 80, 40001, ss + 1, cs + 102, FIN | ACK, 0))));
        add60("ovn tcp last-ack h1->h3", "ovn", c, eth(mac(s), mac(c), new int[0], 0x0800, ipv4(ip4(c), ip4(s), TCP, 64, 0, 3008, 0, tcpSeq(ip4(c), ip4(s), 40001, 80, cs + 102, ss + 2, ACK, 0))));
        add60("ovn tcp ack without connection h2->h4", "ovn", 2, eth(mac(4), mac(2), new int[0], 0x0800, ipv4(ip4(2), ip4(4), TCP, 64, 0, 3009, 0, tcpSeq(ip4(2), ip4(4), 40002, 22, 0x777, 0x888, ACK, 0))));
        add60("ovn udp h4->h5", "ovn", 4, eth(mac(5), mac(4), new int[0], 0x0800, ipv4(ip4(4), ip4(5), UDP, 64, 0, 3010, 0, udp(ip4(4), ip4(5), 5353, 53, 30, true))));
        add60("ovn udp reply h5->h4", "ovn", 5, eth(mac(4), mac(5), new int[0], 0x0800, ipv4(ip4(5), ip4(4), UDP, 64, 0, 3011, 0, udp(ip4(5), ip4(4), 53, 5353, 30, true))));
        add60("ovn udp6 h4->h5", "ovn", 4, eth(mac(5), mac(4), new int[0], 0x86dd, ipv6(ip6(4), ip6(5), UDP, 64, 0, udp(ip6(4), ip6(5), 5353, 53, 30, true))));
    }

    // ------------------------------------------------------------------ builders

    /**
     * An ICMPv6 neighbor solicitation (135) or advertisement (136): flags (the NA's R/S/O bits as the first word),
     * target, then one link-layer address option of type opt (1 source, 2 target; 0: none) carrying mac.
     */
    static byte[] nd(byte[] src, byte[] dst, int type, int flags, byte[] target, int opt, long mac) {
        byte[] m = new byte[24 + (opt == 0 ? 0 : 8)];
        m[0] = (byte) type;
        set32(m, 4, flags);
        System.arraycopy(target, 0, m, 8, 16);
        if (opt != 0) {
            m[24] = (byte) opt;
            m[25] = 1;
            for (int i = 0; i < 6; i++) m[26 + i] = (byte) (mac >>> (40 - 8 * i));
        }
        set16(m, 2, l4Checksum(src, dst, ICMP6, m));
        return m;
    }

    /** A TCP segment with the given sequence and acknowledgment numbers. */
    static byte[] tcpSeq(byte[] src, byte[] dst, int sport, int dport, long seq, long ack, int flags, int payloadLength) {
        byte[] t = new byte[20 + payloadLength];
        set16(t, 0, sport);
        set16(t, 2, dport);
        set32(t, 4, (int) seq);
        set32(t, 8, (int) ack);
        t[12] = 0x50;
        t[13] = (byte) flags;
        set16(t, 14, 64240);
        for (int i = 20; i < t.length; i++) t[i] = (byte) (i * 5);
        set16(t, 16, l4Checksum(src, dst, TCP, t));
        return t;
    }

    /** Ethernet frame: dst, src, then tags as {tpid, tci, tpid, tci, ...}, then the ethertype (or 802.3 length). */
    static byte[] eth(long dst, long src, int[] tags, int type, byte[] payload) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        put48(o, dst);
        put48(o, src);
        for (int i = 0; i < tags.length; i += 2) {
            put16(o, tags[i]);
            put16(o, tags[i + 1]);
        }
        put16(o, type);
        o.writeBytes(payload);
        return o.toByteArray();
    }

    static byte[] arp(int op, long sha, byte[] spa, long tha, byte[] tpa) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        put16(o, 1);
        put16(o, 0x0800);
        o.write(6);
        o.write(4);
        put16(o, op);
        put48(o, sha);
        o.writeBytes(spa);
        put48(o, tha);
        o.writeBytes(tpa);
        return o.toByteArray();
    }

    /** IPv4 header (IHL 5, checksum right) + l4. fragField: flags (0x2000 = MF) | offset in 8-byte units. */
    static byte[] ipv4(byte[] src, byte[] dst, int proto, int ttl, int tos, int id, int fragField, byte[] l4) {
        byte[] h = new byte[20 + l4.length];
        h[0] = 0x45;
        h[1] = (byte) tos;
        set16(h, 2, h.length);
        set16(h, 4, id);
        set16(h, 6, fragField);
        h[8] = (byte) ttl;
        h[9] = (byte) proto;
        System.arraycopy(src, 0, h, 12, 4);
        System.arraycopy(dst, 0, h, 16, 4);
        set16(h, 10, checksum(h, 0, 20, 0));
        System.arraycopy(l4, 0, h, 20, l4.length);
        return h;
    }

    /** IPv4 with 4 bytes of options (NOPs and an end-of-list): IHL 6. */
    static byte[] ipv4opts(byte[] src, byte[] dst, int proto, int ttl, int id, byte[] l4) {
        byte[] h = new byte[24 + l4.length];
        h[0] = 0x46;
        set16(h, 2, h.length);
        set16(h, 4, id);
        h[8] = (byte) ttl;
        h[9] = (byte) proto;
        System.arraycopy(src, 0, h, 12, 4);
        System.arraycopy(dst, 0, h, 16, 4);
        h[20] = 1; h[21] = 1; h[22] = 1; h[23] = 0;
        set16(h, 10, checksum(h, 0, 24, 0));
        System.arraycopy(l4, 0, h, 24, l4.length);
        return h;
    }

    /**
     * A copy of an IPv4 packet with its total length set to totalLength (when >= 0), else with byte 0 (version and
     * IHL; at == 0) or the 16-bit field at set to value. The header checksum is made right again, except when it is
     * the field changed (at == 10).
     */
    static byte[] withIpv4(byte[] packet, int at, int value, int totalLength) {
        byte[] h = packet.clone();
        if (totalLength >= 0) set16(h, 2, totalLength);
        else if (at == 0) h[0] = (byte) value;
        else set16(h, at, value);
        if (at != 10) {
            set16(h, 10, 0);
            int ihl = Math.max(5, Math.min(h[0] & 0xf, h.length / 4));
            set16(h, 10, checksum(h, 0, Math.min(ihl * 4, h.length), 0));
        }
        return h;
    }

    static byte[] ipv6(byte[] src, byte[] dst, int next, int hopLimit, int tc, byte[] payload) {
        byte[] h = new byte[40 + payload.length];
        h[0] = (byte) (0x60 | tc >>> 4);
        h[1] = (byte) (tc << 4 | 0x1);
        h[2] = 0x23;
        h[3] = 0x45;
        set16(h, 4, payload.length);
        h[6] = (byte) next;
        h[7] = (byte) hopLimit;
        System.arraycopy(src, 0, h, 8, 16);
        System.arraycopy(dst, 0, h, 24, 16);
        System.arraycopy(payload, 0, h, 40, payload.length);
        return h;
    }

    static byte[] tcp(byte[] src, byte[] dst, int sport, int dport, int flags, int payloadLength) {
        byte[] t = new byte[20 + payloadLength];
        set16(t, 0, sport);
        set16(t, 2, dport);
        set32(t, 4, 0x1000 + sport);
        set32(t, 8, (flags & ACK) != 0 ? 0x2000 + dport : 0);
        t[12] = 0x50;
        t[13] = (byte) flags;
        set16(t, 14, 64240);
        for (int i = 20; i < t.length; i++) t[i] = (byte) (i * 7);
        set16(t, 16, l4Checksum(src, dst, TCP, t));
        return t;
    }

    static byte[] udp(byte[] src, byte[] dst, int sport, int dport, int payloadLength, boolean checksum) {
        byte[] u = new byte[8 + payloadLength];
        set16(u, 0, sport);
        set16(u, 2, dport);
        set16(u, 4, u.length);
        for (int i = 8; i < u.length; i++) u[i] = (byte) (i * 13);
        if (checksum) {
            int c = l4Checksum(src, dst, UDP, u);
            set16(u, 6, c == 0 ? 0xffff : c);
        }
        return u;
    }

    static byte[] icmp(int type, int code, int payloadLength) {
        byte[] m = new byte[8 + payloadLength];
        m[0] = (byte) type;
        m[1] = (byte) code;
        set16(m, 4, 0x4242);
        for (int i = 8; i < m.length; i++) m[i] = (byte) i;
        set16(m, 2, checksum(m, 0, m.length, 0));
        return m;
    }

    static byte[] icmp6(byte[] src, byte[] dst, int type, int code, int payloadLength) {
        byte[] m = new byte[8 + payloadLength];
        m[0] = (byte) type;
        m[1] = (byte) code;
        for (int i = 8; i < m.length; i++) m[i] = (byte) (i + 3);
        set16(m, 2, l4Checksum(src, dst, ICMP6, m));
        return m;
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The TCP/UDP/ICMPv6 checksum over the pseudo-header (IPv4 when the addresses have 4 bytes, else IPv6). */
    static int l4Checksum(byte[] src, byte[] dst, int proto, byte[] l4) {
        long sum = 0;
        for (int i = 0; i < src.length; i += 2) sum += (src[i] & 0xff) << 8 | src[i + 1] & 0xff;
        for (int i = 0; i < dst.length; i += 2) sum += (dst[i] & 0xff) << 8 | dst[i + 1] & 0xff;
        sum += proto + l4.length;
        return checksum(l4, 0, l4.length, sum);
    }

    static int checksum(byte[] b, int from, int len, long sum) {
        for (int i = from; i < from + len; i += 2) sum += (b[i] & 0xff) << 8 | (i + 1 < from + len ? b[i + 1] & 0xff : 0);
        while (sum >>> 16 != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) (~sum & 0xffff);
    }

    static void put48(ByteArrayOutputStream o, long v) {
        for (int s = 40; s >= 0; s -= 8) o.write((int) (v >>> s) & 0xff);
    }

    static void put16(ByteArrayOutputStream o, int v) {
        o.write(v >>> 8 & 0xff);
        o.write(v & 0xff);
    }

    static void set16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void set32(byte[] b, int at, int v) {
        set16(b, at, v >>> 16);
        set16(b, at + 2, v);
    }
}
