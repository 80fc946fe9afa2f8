package io.xvio.e2e;

import io.xvio.testing.NetLab;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A guest behind relay g1 migrates (QEMU TCG, LAB.md recipe) to a QEMU behind relay g2 while a namespace pings it.
 * Each relay's VF side is a veth whose peer sits on one Linux bridge in the namespace (two VFs of one NIC whose
 * switch joins them); after the move the namespace's bridge learns the guest's MAC on g2's VF from the announcement
 * (the guest's own, or the RARP the relay injects for SEND_RARP), and the pings go on.
 */
@Tag("e2e")
@EnabledIf("io.xvio.e2e.RelayGuestIT#enabled")
class RelayMigrationIT {
    private final NetLab lab = new NetLab();

    @AfterEach
    void cleanUp() {
        lab.close();
    }

    @Test
    void aGuestMigratesToASecondRelayAndKeepsItsTraffic(@TempDir Path dir) throws Exception {
        MigrationIT.retried(dir, this::once);
    }

    private void once(Path dir) throws Exception {
        String ns = lab.netns();
        String a1 = lab.name("xma"), b1 = lab.name("xmb"), a2 = lab.name("xmc"), b2 = lab.name("xmd");
        lab.veth(a1, b1);
        lab.veth(a2, b2);
        lab.move(b1, ns);
        lab.move(b2, ns);
        for (String a : new String[] {a1, a2}) { lab.quietIpv6(null, a); lab.up(null, a); }
        NetLab.ok("ip", "-n", ns, "link", "add", "name", "xbr0", "type", "bridge");
        NetLab.ok("ip", "-n", ns, "link", "set", b1, "master", "xbr0");
        NetLab.ok("ip", "-n", ns, "link", "set", b2, "master", "xbr0");
        lab.up(ns, b1);
        lab.up(ns, b2);
        lab.address(ns, "xbr0", MigrationIT.IP_B + "/24");
        String yaml = """
                pmd-idle: adaptive
                relays:
                  g1: {vhost: {path: %1$s/a1.sock}, vf: {device: %2$s, type: afpacket}}
                  g2: {vhost: {path: %1$s/a2.sock}, vf: {device: %3$s, type: afpacket}}
                """.formatted(dir, a1, a2);
        MigrationIT.Setup s = new MigrationIT.Setup("relay", true, 1);
        int port = MigrationIT.freePort();
        try (XvioDaemon xvio = XvioDaemon.start(dir, yaml);
             QemuGuest src = MigrationIT.startA(dir, "a1.sock", s, "a-src", null)) {
            src.waitForReady(MigrationIT.BOOT);
            NetLab.Result warm = lab.exec(ns, "busybox", "ping", "-c", "5", "-i", "0.2", "-W", "2", MigrationIT.IP_A);
            assertTrue(warm.output().contains("5 packets received"), warm.output() + xvio.call("show-relays"));
            Path pingOut = dir.resolve("ping.out");
            Process ping = lab.spawn(ns, pingOut, "busybox", "ping", "-i", "0.2", MigrationIT.IP_A);
            try (QemuGuest dst = MigrationIT.startDestination(dir, "a2.sock", s, "a-dst", port)) {
                MigrationIT.Migration m = MigrationIT.migrate(src, dst, port);
                MigrationIT.adopt(dst);
                Thread.sleep(3000);                             // pings go on after the move
                ping.destroy();
                ping.waitFor();
                String out = Files.readString(pingOut);
                Set<Integer> seen = new HashSet<>();
                int max = -1;
                Matcher sq = Pattern.compile("seq=(\\d+)").matcher(out);
                while (sq.find()) { int q = Integer.parseInt(sq.group(1)); seen.add(q); max = Math.max(max, q); }
                int lost = max + 1 - seen.size();
                String relays = xvio.call("show-relays");
                System.out.println("MIGRATION relay: downtime " + m.downtimeMs() + " ms, total " + m.totalMs() + " ms, pings " + (max + 1) + " lost " + lost);
                assertTrue(max >= 10, "pings were answered before and after the move\n" + out + relays);
                assertTrue(lost <= 5, lost + " pings lost\n" + out + relays + m.info());
                NetLab.Result after = lab.exec(ns, "busybox", "ping", "-c", "10", "-i", "0.2", "-W", "2", MigrationIT.IP_A);
                assertTrue(after.output().contains("10 packets received"), "the guest answers through relay g2\n" + after.output() + relays);
                Matcher g2 = Pattern.compile("relay g2:.*?vf-to-vm: packets=(\\d+)", Pattern.DOTALL).matcher(xvio.call("show-relays"));
                assertTrue(g2.find() && Long.parseLong(g2.group(1)) >= 10, xvio.call("show-relays"));
            }
        }
    }
}
