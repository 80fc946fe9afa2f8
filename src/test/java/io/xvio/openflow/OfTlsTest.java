package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * ssl: and pssl: with a PKI made by OVS's own ovs-pki (a switch CA and a controller CA, as OVS's docs set them up):
 * the real ovs-ofctl dumps a pssl: bridge's flows with a controller certificate; one whose certificate another CA
 * signed is refused, with a log line that says so; an active ssl: controller (a TLS server here, requiring xvio's
 * certificate) gets xvio's hello; with bootstrap_ca_cert and no CA file yet, xvio saves the controller's CA and then
 * connects checking it.
 */
@Timeout(120)
class OfTlsTest {
    @TempDir
    static Path dir;
    static Path pki;

    static void run(Path cwd, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", cmd));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    @BeforeAll
    static void makePki() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ovs-pki")) && Files.isExecutable(Path.of("/usr/bin/ovs-ofctl")),
                "needs ovs-pki and ovs-ofctl (Debian openvswitch-common)");
        pki = dir.resolve("pki");
        run(dir, "ovs-pki", "--dir=" + pki, "init");
        run(dir, "ovs-pki", "--dir=" + pki, "req+sign", "sw", "switch");       // xvio's: signed by the switch CA
        run(dir, "ovs-pki", "--dir=" + pki, "req+sign", "ctl", "controller");  // the controller's: by the controller CA
        run(dir, "ovs-pki", "--dir=" + pki, "req+sign", "rogue", "switch");    // a "controller" signed by the wrong CA
    }

    static TlsSettings switchSide() {
        return new TlsSettings(dir.resolve("sw-privkey.pem").toString(), dir.resolve("sw-cert.pem").toString(),
                pki.resolve("controllerca/cacert.pem").toString(), false);
    }

    /** Log records of xvio.openflow while it runs. */
    static final class Logs extends Handler implements AutoCloseable {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final Logger log = Logger.getLogger("xvio.openflow");

        Logs() { log.addHandler(this); }

        @Override public void publish(LogRecord r) { lines.add(r.getLevel() + " " + r.getMessage()); }
        @Override public void flush() { }
        @Override public void close() { log.removeHandler(this); }

        boolean await(String s) throws InterruptedException {
            for (int i = 0; i < 100; i++) {
                if (lines.stream().anyMatch(l -> l.contains(s))) return true;
                Thread.sleep(100);
            }
            return false;
        }
    }

    record Ofctl(int rc, String out) {}

    static Ofctl ofctl(String who, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("ovs-ofctl", "-O", "OpenFlow13", "--private-key=" + dir.resolve(who + "-privkey.pem"),
                "--certificate=" + dir.resolve(who + "-cert.pem"), "--ca-cert=" + pki.resolve("switchca/cacert.pem")));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), String.join(" ", cmd));
        return new Ofctl(p.exitValue(), out);
    }

    @Test
    void ovsOfctlTalksToAPsslBridgeAndAForeignCaIsRefused() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        sw.addFlows(List.of(FlowParser.parse("priority=5,in_port=9,actions=drop")));
        try (Logs logs = new Logs(); OfChannels ch = new OfChannels(sw, System.nanoTime())) {
            ch.setTls(new OfTls(switchSide()));
            ch.setControllers(List.of("pssl:0:127.0.0.1"));
            int port = ch.listeningPort("pssl:0:127.0.0.1");
            assertTrue(port > 0, ch.controllerStatus().toString());
            String target = "ssl:127.0.0.1:" + port;

            Ofctl dump = ofctl("ctl", "dump-flows", target);
            assertEquals(0, dump.rc(), dump.out() + logs.lines);
            assertTrue(dump.out().contains("priority=5,in_port=9 actions=drop"), dump.out());
            Ofctl add = ofctl("ctl", "add-flow", target, "priority=7,in_port=1,actions=output:2");
            assertEquals(0, add.rc(), add.out());
            assertTrue(ofctl("ctl", "dump-flows", target).out().contains("priority=7,in_port=1 actions=output:2"));
            assertTrue(logs.await("TLS peer"), logs.lines.toString());

            Ofctl rogue = ofctl("rogue", "dump-flows", target);
            assertNotEquals(0, rogue.rc(), "a certificate of the switch CA is not a controller's: " + rogue.out());
            assertTrue(logs.await("refused: TLS handshake failed: the peer's certificate is not signed by the CA in "
                    + pki.resolve("controllerca/cacert.pem")), logs.lines.toString());

            // without the settings, pssl: refuses and says why
            ch.setTls(new OfTls(TlsSettings.NONE));
            assertNotEquals(0, ofctl("ctl", "dump-flows", target).rc());
            assertTrue(logs.await("SSL/TLS is not configured: no private key"), logs.lines.toString());
        }
    }

    /** A controller: a TLS server with the controller's key, trusting the switch CA, requiring a client certificate. */
    static SSLServerSocket controller(boolean sendCa) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        List<Certificate> chain = new ArrayList<>(Pem.certificates(dir.resolve("ctl-cert.pem"), "cert"));
        if (sendCa) chain.addAll(Pem.certificates(pki.resolve("controllerca/cacert.pem"), "ca"));
        ks.setKeyEntry("k", Pem.privateKey(dir.resolve("ctl-privkey.pem"), "key"), "x".toCharArray(), chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "x".toCharArray());
        KeyStore cas = KeyStore.getInstance("PKCS12");
        cas.load(null, null);
        cas.setCertificateEntry("ca", Pem.certificates(pki.resolve("switchca/cacert.pem"), "ca").getFirst());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(cas);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        SSLServerSocket s = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket();
        s.bind(new InetSocketAddress("127.0.0.1", 0));
        s.setNeedClientAuth(true);
        s.setSoTimeout(20_000);
        return s;
    }

    /** Accepts xvio's connection: its client certificate and its hello. */
    static String acceptHello(SSLServerSocket server) throws IOException {
        try (SSLSocket c = (SSLSocket) server.accept()) {
            c.setSoTimeout(10_000);
            c.startHandshake();
            String peer = ((X509Certificate) c.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
            DataInputStream in = new DataInputStream(c.getInputStream());
            byte[] h = new byte[8];
            in.readFully(h);
            assertEquals(OfType.HELLO, h[1], "xvio's hello over TLS");
            return peer;
        }
    }

    @Test
    void anActiveSslControllerGetsXviosHelloAndCanBeBootstrapped() throws Exception {
        MemorySwitch sw = new MemorySwitch();
        try (Logs logs = new Logs(); OfChannels ch = new OfChannels(sw, System.nanoTime()); SSLServerSocket server = controller(true)) {
            ch.setTls(new OfTls(switchSide()));
            ch.setControllers(List.of("ssl:127.0.0.1:" + server.getLocalPort()));
            assertTrue(acceptHello(server).contains("sw"), "xvio presented its switch certificate");

            Path ca = dir.resolve("bootstrapped-cacert.pem");
            ch.setTls(new OfTls(new TlsSettings(dir.resolve("sw-privkey.pem").toString(), dir.resolve("sw-cert.pem").toString(), ca.toString(), true)));
            ch.setControllers(List.of());
            ch.setControllers(List.of("ssl:127.0.0.1:" + server.getLocalPort()));
            try {
                acceptHello(server);          // the bootstrapping connection is closed before its hello
            } catch (IOException expected) {
                // closed by xvio once it saved the CA
            }
            assertTrue(logs.await("successfully bootstrapped the CA certificate to " + ca), logs.lines.toString());
            assertEquals(Pem.certificates(pki.resolve("controllerca/cacert.pem"), "ca"), Pem.certificates(ca, "ca"), "the controller's CA");
            assertTrue(acceptHello(server).contains("sw"), "reconnected, checking the controller against the saved CA");
            ch.setControllers(List.of());
        }
    }
}
