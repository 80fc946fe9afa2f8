package io.xvio.datapath;

import java.util.Locale;

/** Groups as ovs-ofctl -O OpenFlow15 dump-groups and dump-group-stats print them (and add-group reads them back). */
public final class GroupFormat {
    private GroupFormat() {}

    public static String format(Group g) {
        StringBuilder sb = new StringBuilder("group_id=").append(g.id).append(",type=").append(g.type.text);
        if (g.selection.method() != null) sb.append(",selection_method=").append(g.selection.method());
        if (!g.selection.fields().isEmpty()) {
            sb.append(",fields(");
            for (int i = 0; i < g.selection.fields().size(); i++) sb.append(i > 0 ? "," : "").append(g.selection.fields().get(i).ofName);
            sb.append(')');
        }
        for (Group.Bucket b : g.buckets) {
            sb.append(",bucket=bucket_id:").append(b.bucketId());
            if (g.type == Group.Type.SELECT) sb.append(",weight:").append(b.weight());
            if (b.watchPort() != Group.Bucket.NO_WATCH_PORT) sb.append(",watch_port:").append(b.watchPort());
            if (b.watchGroup() != Group.Bucket.NO_WATCH_GROUP) sb.append(",watch_group:").append(b.watchGroup());
            sb.append(",actions=").append(FlowFormat.actions(b.actions()));
        }
        return sb.toString();
    }

    /** One dump-group-stats line: group_id=1,duration=1.5s,packet_count=..,byte_count=..,bucket0:packet_count=..,byte_count=.. */
    public static String stats(Group g, long now) {
        StringBuilder sb = new StringBuilder("group_id=").append(g.id)
                .append(",duration=").append(String.format(Locale.ROOT, "%.3fs", Math.max(0, now - g.createdNanos()) / 1e9))
                .append(",packet_count=").append(g.packetCount()).append(",byte_count=").append(g.byteCount());
        for (int i = 0; i < g.buckets.size(); i++)
            sb.append(",bucket").append(i).append(":packet_count=").append(g.bucketPacketCount(i)).append(",byte_count=").append(g.bucketByteCount(i));
        return sb.toString();
    }
}
