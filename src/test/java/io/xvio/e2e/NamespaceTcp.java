package io.xvio.e2e;

import io.xvio.testing.NetLab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * 1 MiB of random bytes over TCP from a client namespace to a server namespace (python3 on both ends), compared by
 * SHA-256: what an end-to-end test asserts about a path's TCP, offloads and segmentation included.
 */
final class NamespaceTcp {
    private NamespaceTcp() {}

    static final String PY = Files.exists(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /** What each end printed ("LENGTH SHA256"), and whether the server finished within 90 s. */
    record Transfer(NetLab.Result client, String server, boolean finished) {
        boolean intact() { return finished && client.rc() == 0 && client.output().strip().equals(server); }

        String describe() { return "client (rc " + client.rc() + "): " + client.output().strip() + "; server: " + (finished ? server : "not finished"); }
    }

    /** Sends 1 MiB from clientNs to addr:port, where a server in serverNs listens (its output in out). */
    static Transfer send(NetLab lab, String serverNs, String clientNs, String addr, int port, Path out) throws Exception {
        Process srv = lab.spawn(serverNs, out, PY, "-c", """
                import socket, hashlib
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('0.0.0.0', %d)); s.listen(1); s.settimeout(60)
                c, _ = s.accept(); c.settimeout(60); h = hashlib.sha256(); n = 0
                while True:
                    b = c.recv(65536)
                    if not b: break
                    h.update(b); n += len(b)
                print(n, h.hexdigest(), flush=True)
                """.formatted(port));
        NetLab.Result cl = lab.exec(clientNs, PY, "-c", """
                import socket, hashlib, os, time
                data = os.urandom(1 << 20)
                for i in range(50):
                    try:
                        c = socket.create_connection(('%s', %d), timeout=5); break
                    except OSError: time.sleep(0.2)
                c.settimeout(60); c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
                print(len(data), hashlib.sha256(data).hexdigest())
                """.formatted(addr, port));
        boolean finished = srv.waitFor(90, TimeUnit.SECONDS);
        return new Transfer(cl, finished ? Files.readString(out).strip() : "", finished);
    }
}
