package io.xvio.datapath.conntrack;

/**
 * A row of `conntrack limits`, as `ovs-appctl dpctl/ct-get-limits`: zone (-1 for the default row), its limit
 * (0: unlimited, as OVS prints it) and its connection count.
 */
public record CtZoneLimit(int zone, int limit, int count) {
    public String format() {
        return zone < 0 ? "default limit=" + limit : "zone=" + zone + ",limit=" + limit + ",count=" + count;
    }
}
