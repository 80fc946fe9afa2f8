package io.xvio.control;

import io.xvio.datapath.GroupParser;
import io.xvio.datapath.meter.LiveMeter;
import io.xvio.datapath.meter.MeterFormat;
import io.xvio.datapath.meter.MeterParser;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Group and meter stats count their duration from when the group or meter was added, not from its last change (OVS's
 * modify_group_start keeps the creation time; a meter's duration counts from meter_create); counters start over.
 */
class StatsDurationAfterModifyTest {
    @Test
    void aModifiedGroupKeepsItsAge() {
        Bridge br = new Bridge("br0");
        br.putGroup(GroupParser.parse("group_id=1,type=all,bucket=actions=output:2"), false);
        long created = br.groups().getFirst().createdNanos();
        br.putGroup(GroupParser.parse("group_id=1,type=all,bucket=actions=output:3"), true);
        assertEquals("group_id=1,type=all,bucket=actions=output:3", br.groups().getFirst().text);
        assertEquals(created, br.groups().getFirst().createdNanos(), "the age of the group, not of its change");
    }

    @Test
    void aModifiedMeterKeepsItsAge() {
        long s = 1_000_000_000L;
        LiveMeter m = new LiveMeter(MeterParser.parse("meter=1,kbps,bands=type=drop,rate=1000"), 1 * s);
        m.reconfigure(MeterParser.parse("meter=1,kbps,bands=type=drop,rate=2000"), 5 * s);
        assertTrue(MeterFormat.stats(m, 0, 9 * s).contains("duration:8s"), MeterFormat.stats(m, 0, 9 * s));
    }
}
