package io.xvio.control.ovsdb;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

/**
 * OVS's other_config:pmd-cpu-mask: a hexadecimal CPU mask (0x optional), bit N for CPU N. xvio makes its PMD
 * threads at start, so the daemon reads the mask once before starting ({@link #read}); a later change is logged as
 * needing a restart.
 */
public final class PmdCpuMask {
    private static final Logger LOG = Logger.getLogger("xvio.ovsdb");

    private PmdCpuMask() {}

    /**
     * The CPUs the database's pmd-cpu-mask names, or an empty list (no mask, a bad one, CPUs this machine lacks, or no
     * database within timeoutMillis: each logged).
     */
    public static List<Integer> read(OvsdbRemote remote, long timeoutMillis) {
        try (JsonRpcConnection c = JsonRpcConnection.open(remote, e -> { })) {
            ObjectNode select = JsonRpc.NODES.objectNode().put("op", "select").put("table", "Open_vSwitch");
            select.putArray("where");
            select.putArray("columns").add("other_config");
            JsonNode reply = c.callAndWait("transact", timeoutMillis, JsonRpc.NODES.textNode(OvsdbAgent.DB), select);
            JsonNode rows = reply.path(0).path("rows");
            if (!rows.isArray() || rows.isEmpty()) return List.of();
            String mask = Datum.stringMap(rows.get(0).get("other_config"), "Open_vSwitch other_config").get("pmd-cpu-mask");
            if (mask == null) return List.of();
            List<Integer> cpus = parse(mask);
            int n = Runtime.getRuntime().availableProcessors();
            if (cpus.getLast() >= n) {
                LOG.warning("ovsdb: other_config:pmd-cpu-mask=" + mask + " names CPU " + cpus.getLast() + " but this machine has " + n + ": ignored");
                return List.of();
            }
            LOG.info("ovsdb: other_config:pmd-cpu-mask=" + mask + ": PMD threads on CPUs " + cpus);
            return cpus;
        } catch (IOException | OvsdbException | IllegalArgumentException e) {
            LOG.warning("ovsdb " + remote + ": cannot read other_config:pmd-cpu-mask (" + e.getMessage() + "): one unpinned PMD thread");
            return List.of();
        }
    }

    public static List<Integer> parse(String mask) {
        String h = mask.strip();
        if (h.startsWith("0x") || h.startsWith("0X")) h = h.substring(2);
        if (h.isEmpty() || h.length() > 256 || !h.matches("[0-9a-fA-F]+"))
            throw new IllegalArgumentException("\"" + mask + "\" is not a hexadecimal CPU mask (e.g. 0x6)");
        List<Integer> cpus = new ArrayList<>();
        for (int i = 0; i < h.length(); i++) {
            int nibble = Character.digit(h.charAt(h.length() - 1 - i), 16);
            for (int b = 0; b < 4; b++) if ((nibble & (1 << b)) != 0) cpus.add(i * 4 + b);
        }
        if (cpus.isEmpty()) throw new IllegalArgumentException("\"" + mask + "\" selects no CPU");
        return cpus;
    }
}
