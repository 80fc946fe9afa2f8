package io.xvio.openflow;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.logging.Logger;

/**
 * The TLS side of ssl: and pssl: OpenFlow connections, with OVS's rules (lib/stream-ssl.c): both ends present a
 * certificate and each checks the other's against its CA certificate (no host names: the CA is the trust); TLS 1.2
 * and 1.3. The key, certificate and CA files are read when first needed and again when one of them changes (as OVS
 * rereads them), so a CA written later or a renewed certificate is taken up by the next connection.
 *
 * <p>Bootstrap (--bootstrap-ca-cert): while the CA file does not exist, an active connection accepts the
 * controller's chain, saves its last certificate (which must be self-signed: the controller's CA) as the CA file,
 * and closes; the reconnection checks the controller against it. A passive pssl: connection is never accepted
 * without a CA.
 */
public final class OfTls {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    private static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    static final int HANDSHAKE_TIMEOUT_MS = 10_000;

    private final TlsSettings settings;
    private Loaded loaded;

    /** One load of the files: the context and the files' modification times it was made from. */
    private record Loaded(SSLContext context, List<Long> stamps, boolean bootstrapping) {}

    public OfTls(TlsSettings settings) { this.settings = settings; }

    public TlsSettings settings() { return settings; }

    private static long stamp(String file) {
        try {
            return file == null ? 0 : Files.getLastModifiedTime(Path.of(file)).toMillis() ^ Files.size(Path.of(file)) << 40;
        } catch (IOException e) {
            return -1;
        }
    }

    /** The context for the files as they are now; IOException saying what is missing or wrong. */
    private synchronized Loaded load() throws IOException {
        if (!settings.complete()) throw new IOException("SSL/TLS is not configured: " + settings.missing());
        List<Long> stamps = List.of(stamp(settings.privateKey()), stamp(settings.certificate()), stamp(settings.caCert()), stamp(settings.peerCaCert()));
        if (loaded != null && loaded.stamps.equals(stamps)) return loaded;
        PrivateKey key = Pem.privateKey(Path.of(settings.privateKey()), "private key");
        List<X509Certificate> chain = new ArrayList<>(Pem.certificates(Path.of(settings.certificate()), "certificate"));
        checkPair(key, chain.getFirst());
        if (settings.peerCaCert() != null) chain.addAll(Pem.certificates(Path.of(settings.peerCaCert()), "peer CA certificate"));
        boolean bootstrapping = settings.bootstrapCaCert() && !Files.exists(Path.of(settings.caCert()));
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = "xvio".toCharArray();
            ks.setKeyEntry("key", key, pw, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            TrustManager[] trust;
            if (bootstrapping) {
                trust = new TrustManager[] {BOOTSTRAP};
            } else {
                KeyStore cas = KeyStore.getInstance("PKCS12");
                cas.load(null, null);
                int n = 0;
                for (X509Certificate ca : Pem.certificates(Path.of(settings.caCert()), "CA certificate")) cas.setCertificateEntry("ca" + n++, ca);
                TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
                tmf.init(cas);
                trust = tmf.getTrustManagers();
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), trust, null);
            loaded = new Loaded(ctx, stamps, bootstrapping);
            LOG.info("OpenFlow SSL/TLS: key " + settings.privateKey() + ", certificate " + chain.getFirst().getSubjectX500Principal()
                    + (bootstrapping ? ", CA certificate to be bootstrapped to " : ", CA certificate ") + settings.caCert());
            return loaded;
        } catch (GeneralSecurityException e) {
            throw new IOException("SSL/TLS setup: " + e.getMessage(), e);
        }
    }

    /** Fails unless key is the private half of cert's public key (OVS's SSL_CTX_check_private_key). */
    private void checkPair(PrivateKey key, X509Certificate cert) throws IOException {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "DSA" -> "SHA256withDSA";
            case "RSASSA-PSS" -> "RSASSA-PSS";
            default -> key.getAlgorithm();          // Ed25519, EdDSA
        };
        try {
            byte[] data = "xvio".getBytes(StandardCharsets.US_ASCII);
            Signature s = Signature.getInstance(alg);
            if (alg.equals("RSASSA-PSS")) s.setParameter(new java.security.spec.PSSParameterSpec("SHA-256", "MGF1",
                    java.security.spec.MGF1ParameterSpec.SHA256, 32, 1));
            s.initSign(key);
            s.update(data);
            byte[] sig = s.sign();
            s.initVerify(cert.getPublicKey());
            s.update(data);
            if (!s.verify(sig)) throw new IOException("private key " + settings.privateKey() + " does not belong to certificate " + settings.certificate());
        } catch (GeneralSecurityException e) {
            throw new IOException("private key " + settings.privateKey() + " does not match certificate " + settings.certificate() + ": " + e.getMessage());
        }
    }

    /** Accepts any chain: only while bootstrapping the CA certificate, and only for active connections. */
    private static final X509TrustManager BOOTSTRAP = new X509TrustManager() {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("no CA certificate yet (bootstrapping): a pssl: peer cannot be checked");
        }

        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }

        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    };

    /**
     * An active connection to address: TCP connect (timeoutMs), then the handshake as the client; the controller's
     * certificate is checked against the CA. While bootstrapping, the CA is saved and IOException says so (the caller
     * reconnects).
     */
    SocketStreams connect(InetSocketAddress address, int timeoutMs) throws IOException {
        Loaded l = load();
        Socket raw = new Socket();
        SSLSocket ssl = null;
        try {
            raw.connect(address, timeoutMs);
            ssl = (SSLSocket) l.context.getSocketFactory().createSocket(raw, address.getHostString(), address.getPort(), true);
            ssl.setUseClientMode(true);
            ssl.setEnabledProtocols(PROTOCOLS);
            handshake(ssl);
            if (l.bootstrapping) {
                bootstrap(ssl.getSession().getPeerCertificates());
                throw new IOException("bootstrapped the CA certificate: reconnecting to check the controller against it");
            }
            return new SocketStreams(ssl);
        } catch (IOException | RuntimeException e) {
            try {
                if (ssl != null) ssl.close(); else raw.close();
            } catch (IOException ignored) { }
            throw e;
        }
    }

    /** The server side of accepted socket raw: the handshake; the peer must present a certificate the CA signed. */
    SocketStreams accept(Socket raw) throws IOException {
        Loaded l;
        try {
            l = load();
            if (l.bootstrapping) throw new IOException("no CA certificate " + settings.caCert() + " yet (bootstrap_ca_cert is for active connections)");
        } catch (IOException e) {
            raw.close();
            throw e;
        }
        SSLSocket ssl = (SSLSocket) l.context.getSocketFactory().createSocket(raw, raw.getInetAddress().getHostAddress(), raw.getPort(), true);
        try {
            ssl.setUseClientMode(false);
            ssl.setNeedClientAuth(true);
            ssl.setEnabledProtocols(PROTOCOLS);
            handshake(ssl);
            return new SocketStreams(ssl);
        } catch (IOException | RuntimeException e) {
            ssl.close();
            throw e;
        }
    }

    private void handshake(SSLSocket ssl) throws IOException {
        ssl.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
        try {
            ssl.startHandshake();
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("TLS handshake failed: " + explain(e), e);
        }
        ssl.setSoTimeout(0);
    }

    /** A handshake failure in a user's words: the untrusted peer first. */
    private String explain(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertPathBuilderException || t instanceof java.security.cert.CertPathValidatorException
                    || String.valueOf(t.getMessage()).contains("certification path"))
                return "the peer's certificate is not signed by the CA in " + settings.caCert() + " (" + e.getMessage() + ")";
            if (String.valueOf(t.getMessage()).contains("Empty client certificate chain") || String.valueOf(t.getMessage()).contains("certificate_required"))
                return "the peer presented no certificate (" + e.getMessage() + ")";
        }
        return String.valueOf(e.getMessage());
    }

    /** OVS's do_ca_cert_bootstrap: the chain's last certificate, if self-signed, becomes the CA file (0444, never replaced). */
    private synchronized void bootstrap(Certificate[] chain) throws IOException {
        if (chain.length == 0 || !(chain[chain.length - 1] instanceof X509Certificate ca))
            throw new IOException("could not bootstrap the CA certificate: the controller presented none");
        try {
            ca.verify(ca.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new IOException("could not bootstrap the CA certificate: the controller's last certificate (" + ca.getSubjectX500Principal()
                    + ") is not self-signed" + (chain.length < 2 ? "; it sent one certificate: is it configured to send its CA (--peer-ca-cert)?" : ""));
        }
        Path file = Path.of(settings.caCert());
        String pem;
        try {
            pem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(ca.getEncoded()) + "\n-----END CERTIFICATE-----\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IOException("could not bootstrap the CA certificate: " + e.getMessage());
        }
        try {
            Files.writeString(file, pem, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("r--r--r--"));
            } catch (UnsupportedOperationException ignored) { }
        } catch (FileAlreadyExistsException e) {
            LOG.info("reading CA certificate " + file + " created by another connection");
            return;
        }
        LOG.info("successfully bootstrapped the CA certificate to " + file + ": " + ca.getSubjectX500Principal()
                + " (SHA-256 " + fingerprint(ca) + ")");
    }

    private static String fingerprint(X509Certificate c) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
            return java.util.HexFormat.ofDelimiter(":").formatHex(Arrays.copyOf(d, 8)) + "...";
        } catch (GeneralSecurityException e) {
            return "?";
        }
    }
}
