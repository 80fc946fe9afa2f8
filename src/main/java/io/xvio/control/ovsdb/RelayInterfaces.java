package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import io.xvio.control.ControlException;
import io.xvio.control.Daemon;
import io.xvio.control.RelayConfig;
import io.xvio.sys.Netdev;

import java.nio.file.Path;
import java.util.*;
import java.util.logging.Logger;

/**
 * Relays from the database, as virtio-forwarder takes them (issue 22): an Interface whose external_ids hold
 * {@code virtio_forwarder=N} (or {@code virtio_relay=N}) is a VF that relay N joins to a VM. The relay's vhost-user
 * socket is virtio-forwarder's, {@code virtio-forwarderN.sock}, in the vhost socket directory (xvio serves it), so
 * a VM defined for virtio-forwarder keeps its socket path; the VF is the Linux interface of the Interface's name,
 * through AF_XDP for {@code type=afxdp} and AF_PACKET for {@code system} (or no type). Such an Interface is the
 * relay's and not a port of its bridge (virtio-forwarder's VF is not switched by the host either): it gets no
 * ofport, and its status names the relay. Removing the key, or the Interface, ends the relay; an Interface without
 * it is an ordinary port again.
 */
final class RelayInterfaces {
    private static final Logger LOG = Logger.getLogger("xvio.ovsdb");
    static final List<String> KEYS = List.of("virtio_forwarder", "virtio_relay");
    static final int MAX_RELAY = 1023;

    /** A relay the database asks for: its Interface row and the relay's configuration. */
    record Want(String uuid, String bridge, String iface, int number, RelayConfig config) {}

    private final Daemon daemon;
    /** Relays made from the database, by relay name. */
    private final Map<String, RelayConfig> applied = new HashMap<>();

    RelayInterfaces(Daemon daemon) { this.daemon = daemon; }

    /**
     * The relay number an Interface's external_ids ask for, or null when they ask for none. Throws
     * IllegalArgumentException (the Interface's error) for a value that is not a number in 0..1023, or two keys
     * that disagree.
     */
    static Integer number(Map<String, String> externalIds) {
        Integer n = null;
        for (String k : KEYS) {
            String v = externalIds.get(k);
            if (v == null) continue;
            int x;
            try {
                x = Integer.parseInt(v.strip());
            } catch (NumberFormatException e) {
                x = -1;
            }
            if (x < 0 || x > MAX_RELAY) throw new IllegalArgumentException("external_ids:" + k + "=" + v + " is not a relay number (0.." + MAX_RELAY + ")");
            if (n != null && n != x) throw new IllegalArgumentException("external_ids:virtio_forwarder and virtio_relay name different relays (" + n + ", " + x + ")");
            n = x;
        }
        return n;
    }

    /** The relay of Interface name (of OVS type) for relay number n. Throws IllegalArgumentException (the Interface's error). */
    static RelayConfig config(int n, String name, String type, Path vhostSockDir) {
        String vfType = switch (type) {
            case "", "system" -> "afpacket";
            case "afxdp" -> "afxdp";
            default -> throw new IllegalArgumentException("external_ids:virtio_forwarder is for a VF's interface (type system or afxdp), not type " + type);
        };
        if (!Netdev.validName(name))
            throw new IllegalArgumentException("\"" + name + "\" is not a valid Linux interface name for a relay's VF");
        String path = socket(n, vhostSockDir);
        if (path.getBytes().length > 107) throw new IllegalArgumentException("socket path " + path + " is longer than 107 bytes (a Unix socket limit)");
        return RelayConfig.of("relay" + n, path, "server", 1, true, false, vfType, name, 0, -1, -1);
    }

    /** virtio-forwarder's socket name for relay n. */
    static String socket(int n, Path vhostSockDir) { return vhostSockDir.resolve("virtio-forwarder" + n + ".sock").toString(); }

    /**
     * Makes the running relays those wanted: ends the ones no longer asked for (or asked differently) and starts the
     * new ones. Returns each wanted Interface's outcome (no ofport; the relay, or why it could not be made).
     */
    List<Reconciler.IfaceResult> apply(List<Want> wants) {
        Map<String, Want> byRelay = new LinkedHashMap<>();
        List<Reconciler.IfaceResult> results = new ArrayList<>();
        for (Want w : wants) {
            Want other = byRelay.putIfAbsent(w.config().name(), w);
            if (other != null) results.add(Reconciler.IfaceResult.relay(w.uuid(), w.bridge(), w.iface(), null,
                    "relay " + w.number() + " is already interface " + other.iface() + "'s"));
        }
        for (var e : new ArrayList<>(applied.entrySet())) {
            Want w = byRelay.get(e.getKey());
            if (w != null && w.config().equals(e.getValue())) continue;
            applied.remove(e.getKey());
            try {
                daemon.removeRelay(e.getKey());
                LOG.info("ovsdb: relay " + e.getKey() + " (vf " + e.getValue().vf().device() + ") ended" + (w == null ? "" : " (changed: made again)"));
            } catch (ControlException ex) {
                LOG.warning("ovsdb: ending relay " + e.getKey() + ": " + ex.getMessage());
            }
        }
        for (Want w : byRelay.values()) {
            String name = w.config().name();
            if (!applied.containsKey(name)) {
                try {
                    daemon.addRelay(w.config());
                    applied.put(name, w.config());
                    LOG.info("ovsdb: interface " + w.iface() + " is relay " + name + "'s VF; its VM's socket is " + w.config().vhost().path());
                } catch (ControlException ex) {
                    results.add(Reconciler.IfaceResult.relay(w.uuid(), w.bridge(), w.iface(), null, ex.getMessage()));
                    continue;
                }
            }
            results.add(Reconciler.IfaceResult.relay(w.uuid(), w.bridge(), w.iface(), name, null));
        }
        return results;
    }

}
