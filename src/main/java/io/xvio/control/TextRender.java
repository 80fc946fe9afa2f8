package io.xvio.control;

/** The text the CLI has always printed for `show`, `stats`, `pmd-stats`, `fdb/show` and `dump-ports`, from {@link Status}. */
final class TextRender {
    private TextRender() {}

    static String show(Status.Show s) {
        StringBuilder sb = new StringBuilder();
        sb.append("xvio: pid ").append(s.pid()).append(", up ").append(s.uptimeSeconds()).append(" s, control socket ")
                .append(s.controlSocket()).append('\n');
        for (Status.ShowBridge br : s.bridges()) {
            sb.append("bridge ").append(br.name()).append(br.flows() == 0 ? " (NORMAL)" : " (" + br.flows() + " flows)").append('\n');
            for (Status.ShowPort p : br.ports()) {
                String vlan = p.tag() != null ? " tag=" + p.tag()
                        : p.trunks() != null ? " trunks=" + String.join(",", p.trunks().stream().map(String::valueOf).toList()) : "";
                sb.append(String.format("  port %d: %s type=%s%s status=%s%n", p.ofport(), p.name(), p.type(), vlan, p.status()));
                for (var e : p.details().entrySet()) sb.append("      ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            }
        }
        return sb.toString();
    }

    static String stats(Status.Stats s) {
        StringBuilder sb = new StringBuilder();
        for (Status.BridgeStats br : s.bridges()) {
            sb.append(br.name()).append(":\n");
            for (Status.PortStats p : br.ports()) {
                sb.append(String.format("  port %d %s (%s, %s)%n", p.ofport(), p.name(), p.type(), p.status()));
                long gso = p.rxGsoFrames(), retries = p.txRetries();
                sb.append(String.format("    rx_packets=%d rx_bytes=%d tx_packets=%d tx_bytes=%d%s%s%n",
                        p.rxPackets(), p.rxBytes(), p.txPackets(), p.txBytes(), gso == 0 ? "" : " rx_gso_frames=" + gso,
                        retries == 0 ? "" : " tx_retries=" + retries));
                StringBuilder offl = new StringBuilder();
                for (var e : p.offloads().entrySet()) if (e.getValue() != 0) offl.append(' ').append(e.getKey()).append('=').append(e.getValue());
                if (!offl.isEmpty()) sb.append("    offloads:").append(offl).append('\n');
                StringBuilder drops = new StringBuilder();
                for (var e : p.drops().entrySet()) if (e.getValue() != 0) drops.append(' ').append(e.getKey()).append('=').append(e.getValue());
                sb.append("    dropped=").append(p.dropped()).append(drops).append('\n');
            }
            for (var d : br.drops().entrySet()) sb.append("  dropped(").append(d.getKey()).append(")=").append(d.getValue()).append('\n');
        }
        return sb.toString();
    }

    static String pmdStats(Status.PmdStats s) {
        StringBuilder sb = new StringBuilder();
        for (Status.Pmd t : s.pmds()) {
            long pk = t.packets(), bu = t.bursts(), busyNs = t.busyNs(), wallNs = t.wallNs();
            sb.append(String.format("pmd thread %d (cpu %s):%n", t.id(), t.cpu() == null ? "any" : Integer.toString(t.cpu())));
            sb.append(String.format("  packets received: %d%n  bursts: %d (avg %.1f packets)%n", pk, bu, t.avgBurst()));
            sb.append(String.format("  busy time: %.1f%% (%d ms), idle: %.1f%%%n", t.busyPercent(), busyNs / 1_000_000,
                    wallNs == 0 ? 0.0 : 100.0 - 100.0 * busyNs / wallNs));
            sb.append(String.format("  busy ns per packet: %.1f%n", t.nsPerPacket()));
            sb.append(String.format("  loops: %d busy, %d idle%n", t.busyLoops(), t.idleLoops()));
            for (Status.PmdCache c : t.caches()) {
                if (!c.used()) continue;
                sb.append(String.format("  %s megaflow cache: hits=%d (exact-match cache: %d) misses=%d uncacheable=%d masks=%d entries=%d%n",
                        c.bridge(), c.hits(), c.emcHits(), c.misses(), c.uncacheable(), c.masks(), c.entries()));
                sb.append(String.format("  %s revalidation: table versions=%d entries evicted=%d kept=%d full flushes=%d%n", c.bridge(),
                        c.revalidations(), c.evicted(), c.kept(), c.flushes()));
                if (c.recircHits() + c.recircMisses() > 0)
                    sb.append(String.format("  %s recirculation cache: hits=%d misses=%d entries=%d%n", c.bridge(),
                            c.recircHits(), c.recircMisses(), c.recircEntries()));
                if (!c.drops().isEmpty()) {
                    sb.append("  ").append(c.bridge()).append(" dropped:");
                    c.drops().forEach((reason, n) -> sb.append(' ').append(reason).append('=').append(n).append(','));
                    sb.setLength(sb.length() - 1);
                    sb.append('\n');
                }
            }
            sb.append("  queues:");
            for (Status.RxQueueInfo q : t.queues()) sb.append(' ').append(q.port()).append("/rxq").append(q.queue());
            sb.append('\n');
        }
        return sb.toString();
    }

    static String fdb(Status.Fdb f) {
        StringBuilder sb = new StringBuilder(" port  VLAN  MAC                Age\n");
        for (Status.FdbEntry e : f.entries())
            sb.append(String.format("%5s  %4d  %s  %3d%n", e.ofport() == null ? "?" : Integer.toString(e.ofport()), e.vlan(), e.mac(), e.ageSeconds()));
        return sb.toString();
    }

    static String portCounts(Status.PortCounts pc) {
        StringBuilder sb = new StringBuilder();
        for (Status.PortCount p : pc.ports()) {
            sb.append(String.format("  port %2d (%s): rx pkts=%d, bytes=%d, drop=%d, errs=%d%n", p.ofport(), p.name(), p.rxPackets(), p.rxBytes(),
                    p.rxDropped(), p.rxErrors()));
            sb.append(String.format("           tx pkts=%d, bytes=%d, drop=%d, errs=%d%n", p.txPackets(), p.txBytes(), p.txDropped(), p.txErrors()));
        }
        return "OFPST_PORT reply: " + pc.ports().size() + " ports\n" + sb;
    }
}
