package io.xvio.pmd;

import io.xvio.packet.PacketBatch;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;

import java.util.Map;

/** A port for PMD tests: they decide what receive does; transmit drops, the rest is inert. */
abstract class StubPort implements Port {
    private final String name;
    private final PortCounters counters = new PortCounters();

    StubPort(String name) { this.name = name; }

    @Override public String name() { return name; }
    @Override public String type() { return "stub"; }
    @Override public int ofport() { return 1; }
    @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {}
    @Override public PortCounters counters() { return counters; }
    @Override public Map<String, Long> extraCounters() { return Map.of(); }
    @Override public String status() { return "up"; }
    @Override public Map<String, String> details() { return Map.of(); }
    @Override public void start() {}
    @Override public void close() {}
}
