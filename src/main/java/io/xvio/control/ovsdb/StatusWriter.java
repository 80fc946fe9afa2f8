package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.xvio.control.Daemon;
import io.xvio.port.Port;
import io.xvio.port.PortCounters;

import java.util.*;

import static io.xvio.port.PortCounters.Counter.*;

/**
 * The columns OVS's vswitchd writes, written by xvio: Interface ofport (-1 on failure), error, link_state, mtu,
 * mac_in_use, status, bfd_status and statistics; Bridge datapath_id; Open_vSwitch cur_cfg (= next_cfg once applied: what
 * plain ovs-vsctl waits for), iface_types, datapath_types and ovs_version. Only values that changed since the last
 * transaction go out; {@link #forget} after a reconnect writes everything again.
 */
public final class StatusWriter {
    public static final String VERSION = "xvio 0.1.0";
    private final Map<String, ObjectNode> written = new HashMap<>();
    private long curCfg = Long.MIN_VALUE;

    public void forget() {
        written.clear();
        curCfg = Long.MIN_VALUE;
    }

    /**
     * The operations of one "transact" bringing the status columns up to date, or an empty array when nothing
     * changed. nextCfg: Open_vSwitch next_cfg after the change just applied (null: none known).
     */
    public ArrayNode operations(String ovsUuid, Long nextCfg, List<Reconciler.IfaceResult> ifaces, Map<String, String> bridges,
                                Daemon daemon, boolean withStatistics) {
        ArrayNode ops = JsonRpc.NODES.arrayNode();
        Set<String> live = new HashSet<>();
        for (Reconciler.IfaceResult r : ifaces) {
            live.add(r.uuid());
            ObjectNode row = JsonRpc.NODES.objectNode();
            row.put("ofport", r.ofport());
            row.set("error", r.error() == null ? Datum.emptySet() : JsonRpc.NODES.textNode(r.error()));
            Port p = r.ofport() < 0 || r.relay() != null ? null : daemon.port(r.bridge(), r.name());
            String relayState = r.relay() == null ? null : daemon.relayStatus(r.relay());
            if (relayState != null) {                 // a relay's VF: not a port of the bridge
                row.set("ofport", Datum.emptySet());
                row.put("link_state", relayState.equals("up") ? "up" : "down");
                row.set("mtu", Datum.emptySet());
                row.set("mac_in_use", Datum.emptySet());
                row.set("status", Datum.mapOf(new TreeMap<>(Map.of("xvio_relay", r.relay(), "xvio_state", relayState))));
            } else if (p == null) {
                row.set("link_state", Datum.emptySet());
                row.set("mtu", Datum.emptySet());
                row.set("mac_in_use", Datum.emptySet());
                row.set("status", Datum.mapOf(Map.of()));
            } else {
                String status = p.status();
                Map<String, String> d = p.details();
                row.put("link_state", status.equals("up") ? "up" : "down");
                String mtu = d.get("mtu");
                row.set("mtu", mtu != null && mtu.matches("\\d+") ? JsonRpc.NODES.numberNode(Long.parseLong(mtu)) : Datum.emptySet());
                row.set("mac_in_use", d.get("mac") != null ? JsonRpc.NODES.textNode(d.get("mac")) : Datum.emptySet());
                Map<String, String> st = new TreeMap<>();
                st.put("xvio_state", status);
                if (d.get("path") != null) st.put("vhost_path", d.get("path"));
                if (d.get("mode") != null) st.put("vhost_mode", d.get("mode"));
                row.set("status", Datum.mapOf(st));
                row.set("bfd_status", Datum.mapOf(new TreeMap<>(daemon.bfdStatus(r.bridge(), r.name()))));
                if (withStatistics) row.set("statistics", Datum.mapOf(statistics(p)));
            }
            ObjectNode last = written.get(r.uuid());
            ObjectNode changed = JsonRpc.NODES.objectNode();
            for (var c : row.properties()) {
                if (last == null || !c.getValue().equals(last.get(c.getKey()))) changed.set(c.getKey(), c.getValue());
            }
            if (last == null) written.put(r.uuid(), row);
            else last.setAll(row);
            if (!changed.isEmpty()) ops.add(update("Interface", r.uuid(), changed));
        }
        written.keySet().removeIf(u -> !live.contains(u) && !u.startsWith("bridge:") && !u.startsWith("ovs:") && !u.startsWith("dp:") && !u.startsWith("ctl:"));
        for (var b : bridges.entrySet()) {
            String key = "bridge:" + b.getKey();
            ObjectNode row = JsonRpc.NODES.objectNode().put("datapath_id", datapathId(daemon.datapathId(b.getValue())));
            if (!row.equals(written.get(key))) {
                written.put(key, row);
                ops.add(update("Bridge", b.getKey(), row));
            }
        }
        if (ovsUuid != null) {
            ObjectNode row = JsonRpc.NODES.objectNode();
            if (!written.containsKey("ovs:" + ovsUuid)) {
                row.set("iface_types", Datum.setOf(List.of("afxdp", "dpdkvhostuser", "dpdkvhostuserclient", "geneve", "internal", "patch", "system", "tap", "vxlan")));
                row.set("datapath_types", Datum.setOf(List.of("netdev")));
                row.put("ovs_version", VERSION);
                written.put("ovs:" + ovsUuid, row);
            }
            if (nextCfg != null && nextCfg != curCfg) {
                row.put("cur_cfg", nextCfg);
                curCfg = nextCfg;
            }
            if (!row.isEmpty()) ops.add(update("Open_vSwitch", ovsUuid, row));
        }
        return ops;
    }

    /**
     * The Datapath row Open_vSwitch datapaths:netdev names (created by its user, e.g. ovn-controller, as with OVS):
     * its capabilities ({@link DatapathCapabilities}), written once per row, as ovs-vswitchd does when it first sees it.
     */
    public void datapath(ArrayNode ops, String dpUuid) {
        if (dpUuid == null || written.containsKey("dp:" + dpUuid)) return;
        ObjectNode row = JsonRpc.NODES.objectNode();
        row.set("capabilities", Datum.mapOf(DatapathCapabilities.netdev()));
        written.put("dp:" + dpUuid, row);
        ops.add(update("Datapath", dpUuid, row));
    }

    /** OVS's statistics keys from xvio's counters. */
    static Map<String, Long> statistics(Port p) {
        PortCounters c = p.counters();
        long rxDrop = 0, txDrop = c.get(TX_DROP_NO_BUFFER) + c.get(TX_DROP_DOWN) + c.get(TX_DROP_TOO_BIG);
        for (var e : p.extraCounters().entrySet()) {
            if (e.getKey().startsWith("rx")) rxDrop += e.getValue();
            else if (e.getKey().startsWith("tx")) txDrop += e.getValue();
        }
        Map<String, Long> m = new TreeMap<>();
        m.put("rx_packets", c.get(RX_PACKETS));
        m.put("rx_bytes", c.get(RX_BYTES));
        m.put("tx_packets", c.get(TX_PACKETS));
        m.put("tx_bytes", c.get(TX_BYTES));
        m.put("rx_dropped", rxDrop);
        m.put("tx_dropped", txDrop);
        if (p.type().equals("vhostuser")) m.put("ovs_tx_retries", c.get(TX_RETRIES));   // as OVS-DPDK's vhost ports
        return m;
    }

    /** 16 hex digits, as OVS writes datapath_id: the id the bridge's OpenFlow features replies carry. */
    static String datapathId(long id) { return String.format("%016x", id); }

    /**
     * The Controller rows of xvio's bridges (bridges: row UUID to name): {@code is_connected}, {@code role} and
     * {@code status} as ovs-vswitchd's refresh_controller_status writes them with the statistics; a row whose target
     * the bridge does not use (one xvio refused) gets false, no role and an empty status, as OVS's for a passive one.
     */
    public void controllers(ArrayNode ops, TableCache db, Map<String, String> bridges, Daemon daemon, long nowMillis) {
        Set<String> seen = new HashSet<>();
        for (var b : bridges.entrySet()) {
            TableCache.Row br = db.row("Bridge", b.getKey());
            if (br == null) continue;
            List<String> rows;
            try {
                rows = Datum.uuids(br.get("controller"), "Bridge controller");
            } catch (OvsdbException e) {
                continue;                                   // logged by the reconciler
            }
            if (rows.isEmpty()) continue;
            Map<String, io.xvio.openflow.ControllerInfo> infos = new HashMap<>();
            for (io.xvio.openflow.ControllerInfo i : daemon.controllerInfo(b.getValue())) infos.put(i.target(), i);
            for (String cu : rows) {
                TableCache.Row c = db.row("Controller", cu);
                if (c == null) continue;
                io.xvio.openflow.ControllerInfo info;
                try {
                    info = infos.get(Datum.string(c.get("target"), "Controller target"));
                } catch (OvsdbException e) {
                    info = null;
                }
                ObjectNode row = JsonRpc.NODES.objectNode();
                row.put("is_connected", info != null && info.connected());
                row.set("role", info == null ? Datum.emptySet() : JsonRpc.NODES.textNode(info.role()));
                row.set("status", Datum.mapOf(info == null ? Map.of() : info.status(nowMillis)));
                String key = "ctl:" + cu;
                seen.add(key);
                if (row.equals(written.get(key))) continue;
                written.put(key, row);
                ops.add(update("Controller", cu, row));
            }
        }
        written.keySet().removeIf(k -> k.startsWith("ctl:") && !seen.contains(k));
    }

    static ObjectNode update(String table, String uuid, JsonNode row) {
        ObjectNode op = JsonRpc.NODES.objectNode();
        op.put("op", "update");
        op.put("table", table);
        ArrayNode cond = op.putArray("where").addArray();
        cond.add("_uuid").add("==").add(Datum.uuidRef(uuid));
        op.set("row", row);
        return op;
    }
}
