package io.xvio.control;

import io.xvio.port.Port;
import io.xvio.port.PortCounters;
import io.xvio.port.TunnelPort;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A port's `stats` total counts its drops; the ICMP too-big answers a tunnel port sent are shown but are not drops. */
class DaemonStatusDropsTest {
    @Test
    void tooBigAnswersAreShownButNotCountedAsDrops() {
        Map<String, Long> extra = new LinkedHashMap<>();
        extra.put("encap: frame too big for the underlay", 3L);
        extra.put(TunnelPort.TOO_BIG_ANSWERS, 2L);
        PortCounters counters = new PortCounters();
        Port vx = (Port) Proxy.newProxyInstance(Port.class.getClassLoader(), new Class<?>[] {Port.class}, (proxy, m, args) ->
                switch (m.getName()) {
                    case "counters" -> counters;
                    case "extraCounters" -> extra;
                    case "name" -> "vx0";
                    case "type" -> "vxlan";
                    case "status" -> "up";
                    case "ofport" -> 5;
                    case "hashCode" -> 1;
                    case "equals" -> proxy == args[0];
                    case "toString" -> "vx0";
                    default -> m.isDefault() ? java.lang.reflect.InvocationHandler.invokeDefault(proxy, m, args) : null;
                });
        Status.PortStats s = DaemonStatus.portStats(vx);
        assertEquals(3, s.dropped(), s.toString());
        assertEquals(2L, s.drops().get(TunnelPort.TOO_BIG_ANSWERS), s.toString());
        assertEquals(3L, s.drops().get("encap: frame too big for the underlay"), s.toString());
    }
}
