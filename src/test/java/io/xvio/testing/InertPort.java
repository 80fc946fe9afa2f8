package io.xvio.testing;

import io.xvio.packet.PacketBatch;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;

import java.util.Map;

/** A port for unit tests: one receive queue that stays empty, a transmit that drops; tests override what they watch. */
public abstract class InertPort implements Port {
    private final String name;
    private final PortCounters counters = new PortCounters();

    protected InertPort(String name) { this.name = name; }

    @Override public String name() { return name; }
    @Override public String type() { return "test"; }
    @Override public int ofport() { return 1; }
    @Override public int rxQueues() { return 1; }
    @Override public int receive(int q, PacketBatch b, int thread) { return 0; }
    @Override public void transmit(int thread, PacketBatch b, int[] which, int n) {}
    @Override public PortCounters counters() { return counters; }
    @Override public Map<String, Long> extraCounters() { return Map.of(); }
    @Override public String status() { return "up"; }
    @Override public Map<String, String> details() { return Map.of(); }
    @Override public void start() {}
    @Override public void close() {}
}
