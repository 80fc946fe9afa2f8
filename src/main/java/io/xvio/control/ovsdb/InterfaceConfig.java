package io.xvio.control.ovsdb;

import io.xvio.control.Config;
import io.xvio.sys.Netdev;

import java.nio.file.Path;
import java.util.Map;

/**
 * What an Interface row asks for, as one of xvio's port configurations (OVS's interface types, by name):
 * <ul>
 * <li>{@code dpdkvhostuser}: a vhost-user server socket named after the interface in the vhost socket directory;
 * <li>{@code dpdkvhostuserclient}: a vhost-user client of {@code options:vhost-server-path};
 * <li>{@code system} (or no type): AF_PACKET on the Linux interface of that name;
 * <li>{@code afxdp}: AF_XDP on queue 0 of the Linux interface of that name (OVS's options: {@link AfxdpOptions});
 * <li>{@code internal} and {@code tap}: a TAP interface xvio creates with that name;
 * <li>{@code vxlan} and {@code geneve}: a tunnel port with OVS's tunnel options ({@link TunnelInterface});
 * <li>{@code patch}: one end of a patch pair, {@code options:peer} the other end's Interface name (OVS's checks and
 *     error texts, netdev-vport.c's set_patch_config).
 * </ul>
 * A row xvio cannot serve gets an {@link IllegalArgumentException} whose message is the Interface's error.
 * vhostOffloads: whether the vhost-user ports offer checksum and TSO offloads ({@link UserspaceTso}).
 */
public final class InterfaceConfig {
    public static final String TYPES = "dpdkvhostuser, dpdkvhostuserclient, system, afxdp, internal, tap, vxlan, geneve, patch";

    private InterfaceConfig() {}

    /** With offloads on vhost-user ports (userspace-tso-enable unset). */
    public static Config.PortConfig toPort(String name, String type, Map<String, String> options, int ofport, Path vhostSockDir) {
        return toPort(name, type, options, ofport, vhostSockDir, true);
    }

    public static Config.PortConfig toPort(String name, String type, Map<String, String> options, int ofport, Path vhostSockDir,
                                           boolean vhostOffloads) {
        return switch (type) {
            case "dpdkvhostuser" -> {
                if (name.contains("/") || name.equals(".") || name.equals(".."))
                    throw new IllegalArgumentException("interface name \"" + name + "\" cannot name a socket in " + vhostSockDir);
                String path = vhostSockDir.resolve(name).toString();
                yield vhost(name, ofport, path, "server", options, vhostOffloads);
            }
            case "dpdkvhostuserclient" -> {
                String path = options.get("vhost-server-path");
                if (path == null || path.isBlank())
                    throw new IllegalArgumentException("dpdkvhostuserclient needs options:vhost-server-path (the socket the front-end serves)");
                yield vhost(name, ofport, path, "client", options, vhostOffloads);
            }
            case "", "system" -> Config.PortConfig.netdev(name, "afpacket", ofport, device(name, type));
            case "afxdp" -> {
                AfxdpOptions.check(name, options);
                yield Config.PortConfig.netdev(name, "afxdp", ofport, device(name, type));
            }
            case "internal", "tap" -> Config.PortConfig.netdev(name, "tap", ofport, device(name, type));
            case "vxlan", "geneve" -> TunnelInterface.toPort(name, type, options, ofport);
            case "patch" -> patch(name, options, ofport);
            default -> throw new IllegalArgumentException("interface type \"" + type + "\" is not supported by xvio (supported: " + TYPES + ")");
        };
    }

    /** A patch port: OVS's three refusals, word for word; a peer that does not exist (yet) is not one of them. */
    private static Config.PortConfig patch(String name, Map<String, String> options, int ofport) {
        String peer = options.get("peer");
        if (peer == null) throw new IllegalArgumentException(name + ": patch type requires valid 'peer' argument");
        if (options.size() > 1) throw new IllegalArgumentException(name + ": patch type takes only a 'peer' argument");
        if (peer.equals(name)) throw new IllegalArgumentException(name + ": patch peer must not be self");
        return Config.PortConfig.patch(name, ofport, peer);
    }

    private static Config.PortConfig vhost(String name, int ofport, String path, String mode, Map<String, String> options, boolean offloads) {
        if (path.getBytes().length > 107) throw new IllegalArgumentException("socket path " + path + " is longer than 107 bytes (a Unix socket limit)");
        int queues = 8;
        String n = options.get("n_rxq");
        if (n != null) {
            try {
                queues = Integer.parseInt(n);
            } catch (NumberFormatException e) {
                queues = -1;
            }
            if (queues < 1 || queues > 16) throw new IllegalArgumentException("options:n_rxq=" + n + " must be 1..16");
        }
        return new Config.PortConfig(name, "vhostuser", ofport, path, mode, queues, true, null, false, 0, -1, offloads);
    }

    private static String device(String name, String type) {
        if (!Netdev.validName(name))
            throw new IllegalArgumentException("\"" + name + "\" is not a valid Linux interface name for type " + (type.isEmpty() ? "system" : type)
                    + " (1-15 characters, no '/', ':', '%' or spaces)");
        return name;
    }
}
