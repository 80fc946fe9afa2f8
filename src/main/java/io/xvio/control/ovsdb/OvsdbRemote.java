package io.xvio.control.ovsdb;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** Where the database is, as OVS names it: {@code unix:PATH} or {@code tcp:IP:PORT} (IPv6 in brackets). */
public record OvsdbRemote(String text, Path unixPath, InetSocketAddress tcp) {

    public static OvsdbRemote parse(String text) {
        if (text.startsWith("unix:")) {
            String p = text.substring(5);
            if (p.isEmpty()) throw new IllegalArgumentException("\"" + text + "\": unix: needs a socket path, e.g. unix:/var/run/openvswitch/db.sock");
            return new OvsdbRemote(text, Path.of(p), null);
        }
        if (text.startsWith("tcp:")) {
            String hp = text.substring(4);
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("\"" + text + "\": tcp: needs IP:PORT, e.g. tcp:127.0.0.1:6640");
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
            int port;
            try {
                port = Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) throw new IllegalArgumentException("\"" + text + "\": port must be 1..65535");
            return new OvsdbRemote(text, null, InetSocketAddress.createUnresolved(host, port));
        }
        if (text.startsWith("punix:") || text.startsWith("ptcp:") || text.startsWith("ssl:"))
            throw new IllegalArgumentException("\"" + text + "\": only active unix: and tcp: connections are supported (xvio connects to ovsdb-server)");
        throw new IllegalArgumentException("\"" + text + "\" is not an OVSDB remote (unix:PATH or tcp:IP:PORT)");
    }

    /** A blocking connection to the database. */
    public SocketChannel connect() throws IOException {
        if (unixPath != null) {
            SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                c.connect(UnixDomainSocketAddress.of(unixPath));
            } catch (IOException e) {
                c.close();
                throw e;
            }
            return c;
        }
        SocketChannel c = SocketChannel.open();
        try {
            c.connect(new InetSocketAddress(tcp.getHostString(), tcp.getPort()));
        } catch (IOException e) {
            c.close();
            throw e;
        }
        return c;
    }

    @Override public String toString() { return text; }
}
