package io.xvio.control.ovsdb;

import io.xvio.control.ControlException;
import io.xvio.control.Daemon;
import io.xvio.control.MirrorConfig;

import java.util.*;
import java.util.logging.Logger;

/**
 * The Mirror table (as {@code ovs-vsctl -- --id=@m create mirror name=m0 select-all=true output-port=@p -- add bridge
 * br0 mirrors @m} writes it) as xvio's port mirrors: a Bridge's {@code mirrors} rows with select_all,
 * select_src_port, select_dst_port (Port rows, named by their interface), select_vlan and output_port. output_vlan
 * (mirroring to a VLAN) is not supported: such a row is logged and not applied, as is a row that names a port the
 * bridge does not have yet (it is tried again on the next change). Changed rows are made again; removed ones end.
 */
final class MirrorRows {
    private static final Logger LOG = Logger.getLogger("xvio.ovsdb");

    private final Daemon daemon;
    /** bridge -> mirror name -> what was applied. */
    private final Map<String, Map<String, MirrorConfig>> applied = new HashMap<>();
    private final Set<String> logged = new HashSet<>();

    MirrorRows(Daemon daemon) { this.daemon = daemon; }

    /** The mirrors bridge row b asks for (rows that cannot be read are logged once and left out). */
    List<MirrorConfig> read(TableCache db, String bridge, TableCache.Row b) {
        List<MirrorConfig> out = new ArrayList<>();
        List<String> uuids;
        try {
            uuids = Datum.uuids(b.get("mirrors"), "Bridge mirrors");
        } catch (OvsdbException e) {
            once("bridge " + bridge + ": " + e.getMessage());
            return out;
        }
        for (String mu : uuids) {
            TableCache.Row m = db.row("Mirror", mu);
            if (m == null) continue;
            try {
                out.add(config(db, m));
            } catch (OvsdbException | IllegalArgumentException e) {
                once("bridge " + bridge + ": mirror row " + mu + ": " + e.getMessage() + ": not applied");
            }
        }
        return out;
    }

    static MirrorConfig config(TableCache db, TableCache.Row m) throws OvsdbException {
        String name = Datum.string(m.get("name"), "Mirror name");
        if (!Datum.integers(m.get("output_vlan"), "Mirror output_vlan").isEmpty())
            throw new IllegalArgumentException("mirror " + name + ": output_vlan (mirroring to a VLAN) is not supported by xvio; use output_port");
        boolean all = flag(m.get("select_all"));
        List<String> src = portNames(db, Datum.uuids(m.get("select_src_port"), "Mirror select_src_port"));
        List<String> dst = portNames(db, Datum.uuids(m.get("select_dst_port"), "Mirror select_dst_port"));
        List<Integer> vlans = new ArrayList<>();
        for (long v : Datum.integers(m.get("select_vlan"), "Mirror select_vlan")) {
            if (v < 0 || v > 4095) throw new IllegalArgumentException("mirror " + name + ": select_vlan " + v + " is outside 0..4095");
            vlans.add((int) v);
        }
        List<String> outs = portNames(db, Datum.uuids(m.get("output_port"), "Mirror output_port"));
        if (outs.isEmpty()) throw new IllegalArgumentException("mirror " + name + ": no output_port (xvio mirrors to a port)");
        if (!all && src.isEmpty() && dst.isEmpty()) throw new IllegalArgumentException("mirror " + name + " selects nothing");
        return new MirrorConfig(name, all, src, dst, List.copyOf(vlans), outs.getFirst());
    }

    /** A Port row's name as xvio knows it: its (first) interface's. */
    private static List<String> portNames(TableCache db, List<String> portUuids) throws OvsdbException {
        List<String> out = new ArrayList<>();
        for (String pu : portUuids) {
            TableCache.Row p = db.row("Port", pu);
            if (p == null) continue;
            List<String> ifs = Datum.uuids(p.get("interfaces"), "Port interfaces");
            TableCache.Row i = ifs.isEmpty() ? null : db.row("Interface", ifs.getFirst());
            String n = i != null ? Datum.string(i.get("name"), "Interface name") : Datum.string(p.get("name"), "Port name");
            if (!out.contains(n)) out.add(n);
        }
        return List.copyOf(out);
    }

    /** Makes bridge's mirrors those wanted (bridges: the ones xvio serves from the database now). */
    void apply(Map<String, List<MirrorConfig>> wanted) {
        applied.keySet().retainAll(wanted.keySet());              // a removed bridge took its mirrors along
        for (var e : wanted.entrySet()) {
            String br = e.getKey();
            Map<String, MirrorConfig> want = new LinkedHashMap<>();
            for (MirrorConfig mc : e.getValue()) want.putIfAbsent(mc.name(), mc);
            Map<String, MirrorConfig> have = applied.computeIfAbsent(br, k -> new LinkedHashMap<>());
            for (var h : new ArrayList<>(have.entrySet())) {
                if (h.getValue().equals(want.get(h.getKey()))) continue;
                have.remove(h.getKey());
                try {
                    daemon.removeMirror(br, h.getKey());
                } catch (ControlException ex) {
                    LOG.warning("ovsdb: removing mirror " + h.getKey() + " of bridge " + br + ": " + ex.getMessage());
                }
            }
            for (MirrorConfig mc : want.values()) {
                if (have.containsKey(mc.name())) continue;
                try {
                    daemon.addMirror(br, mc);
                    have.put(mc.name(), mc);
                    logged.remove(br + "/" + mc.name());
                } catch (ControlException ex) {
                    once(br + "/" + mc.name(), "bridge " + br + ": mirror " + mc.name() + ": " + ex.getMessage() + ": not applied (tried again on the next change)");
                }
            }
        }
    }

    private void once(String message) { once(message, message); }

    private void once(String key, String message) {
        if (logged.add(key)) LOG.warning("ovsdb: " + message);
    }

    /** select_all, a boolean column (absent or an empty set: false). */
    private static boolean flag(com.fasterxml.jackson.databind.JsonNode v) throws OvsdbException {
        if (v == null || v.isNull()) return false;
        if (v.isBoolean()) return v.asBoolean();
        List<com.fasterxml.jackson.databind.JsonNode> s = Datum.set(v, "Mirror select_all");
        if (s.isEmpty()) return false;
        if (s.size() == 1 && s.getFirst().isBoolean()) return s.getFirst().asBoolean();
        throw new OvsdbException("Mirror select_all: expected a boolean: " + JsonRpc.brief(v));
    }
}
