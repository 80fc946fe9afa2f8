package io.xvio.control;

import io.xvio.pmd.PmdSet;
import io.xvio.pmd.PmdThread;
import io.xvio.pmd.RxQueue;

import java.util.ArrayList;
import java.util.List;

/** pmd-rxq-show: each PMD thread's queues (bridge receive queues and relay directions) with their measured load. */
final class PmdRxqShow {
    private PmdRxqShow() {}

    static RelayView.RxqShow of(PmdSet pmds, AutoLbConfig lb) {
        List<RelayView.RxqThread> out = new ArrayList<>();
        for (PmdThread t : pmds.threads()) {
            List<RelayView.Rxq> qs = new ArrayList<>();
            double sum = 0;
            for (RxQueue q : t.queues()) {
                double u = q.load() == null ? 0 : Math.round(q.load().lastUsagePercent() * 10) / 10.0;
                sum += u;
                qs.add(new RelayView.Rxq(q.owner(), q.port().name(), q.queue(), q.pin() >= 0, u,
                        q.load() == null ? 0 : q.load().lastBusy(), q.load() == null ? 0 : q.load().packets()));
            }
            out.add(new RelayView.RxqThread(t.id(), t.cpu() < 0 ? null : t.cpu(), Math.round(Math.min(100, sum) * 10) / 10.0, qs));
        }
        return new RelayView.RxqShow(lb.enabled(), lb.intervalSeconds(), lb.improvementThreshold(), pmds.moves(), out);
    }
}
