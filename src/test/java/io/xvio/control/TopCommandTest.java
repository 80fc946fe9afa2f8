package io.xvio.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** top's frame: rates from the difference of two JSON snapshots, as the daemon renders them. */
class TopCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode stats(long rxPackets, long rxBytes, long txPackets, long dropped, boolean withNewPort) throws Exception {
        List<Status.PortStats> ports = new java.util.ArrayList<>(List.of(
                new Status.PortStats(1, "vhA", "vhostuser", "up", rxPackets, rxBytes, txPackets, rxBytes, 0, dropped, Map.of("tx_dropped(port down)", dropped))));
        if (withNewPort) ports.add(new Status.PortStats(2, "vhB", "vhostuser", "down (connecting)", 5, 5, 5, 5, 0, 0, Map.of()));
        return JSON.readTree(JsonRender.render(new Status.Stats(List.of(new Status.BridgeStats("br0", ports, java.util.Map.of())))));
    }

    private static JsonNode pmds(long packets, long bursts, long busyNs, long wallNs) throws Exception {
        return JSON.readTree(JsonRender.render(new Status.PmdStats(List.of(new Status.Pmd(0, 1, packets, bursts, busyNs, wallNs, 0, 0, List.of(),
                List.of(new Status.RxQueueInfo("br0", "vhA", 0)))))));
    }

    private static String line(String frame, String start) {
        return frame.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(start + " in\n" + frame));
    }

    @Test
    void ratesAreDifferencesOverTheInterval() throws Exception {
        var a = new TopCommand.Snapshot(0, stats(1_000, 64_000, 500, 3, false), pmds(1_000, 100, 1_000_000, 1_000_000_000));
        var b = new TopCommand.Snapshot(2_000_000_000L, stats(3_000_000, 192_064_000, 1_000_500, 13, true),
                pmds(2_001_000, 62_600, 201_000_000, 3_000_000_000L));
        String f = TopCommand.frame(a, b, 2);
        // 2,999,000 packets and 192,000,000 bytes in 2 s: 1,499,500 pkt/s, 768 Mbit/s; 10 drops: 5/s
        assertEquals(List.of("br0", "vhA", "up", "1499500", "500000", "768.00", "768.00", "5", "13"),
                List.of(line(f, "br0        vhA").trim().split("\\s+")));
        assertEquals(List.of("br0", "vhB", "down", "-", "-", "-", "-", "-", "0"), List.of(line(f, "br0        vhB").trim().split("\\s+")),
                "a port new in the second snapshot has no rate yet");
        // 200 ms busy of 2 s: 10 %; 2,000,000 packets: 1,000,000/s, 100 ns each, 32 per burst
        assertEquals(List.of("0", "1", "10.0", "1000000", "100.0", "32.0", "vhA/rxq0"), List.of(line(f, "0 ").trim().split("\\s+")));
    }

    @Test
    void aClearBetweenSnapshotsShowsNoRate() throws Exception {
        var a = new TopCommand.Snapshot(0, stats(10, 10, 10, 0, false), pmds(1_000, 100, 1_000_000, 5_000_000_000L));
        var b = new TopCommand.Snapshot(1_000_000_000L, stats(10, 10, 10, 0, false), pmds(10, 1, 10_000, 1_000_000));
        assertEquals(List.of("0", "1", "-", "-", "-", "-", "vhA/rxq0"), List.of(line(TopCommand.frame(a, b, 1), "0 ").trim().split("\\s+")));
    }
}
