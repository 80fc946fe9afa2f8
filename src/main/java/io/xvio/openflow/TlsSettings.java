package io.xvio.openflow;

/**
 * The SSL/TLS settings of the OpenFlow ssl: and pssl: connections, as OVS's SSL table (Open_vSwitch's ssl column)
 * and ovs-vswitchd's options name them: privateKey ({@code --private-key}, PEM), certificate ({@code --certificate},
 * PEM, this switch's, signed by a CA its peers trust), caCert ({@code --ca-cert}: the CA that must have signed every
 * peer's certificate) and bootstrapCaCert ({@code --bootstrap-ca-cert}: when caCert does not exist yet, the first
 * controller xvio connects to provides it: its self-signed CA, saved to caCert). peerCaCert (OVS's
 * {@code --peer-ca-cert}, optional): a CA certificate sent after this switch's own, for peers that bootstrap theirs.
 * Paths as given; null: not set. {@link #NONE}: nothing set (ssl: and pssl: connections are refused, with a log line).
 */
public record TlsSettings(String privateKey, String certificate, String caCert, boolean bootstrapCaCert, String peerCaCert) {
    public static final TlsSettings NONE = new TlsSettings(null, null, null, false, null);

    public TlsSettings(String privateKey, String certificate, String caCert, boolean bootstrapCaCert) {
        this(privateKey, certificate, caCert, bootstrapCaCert, null);
    }

    /** Whether the three files ssl: and pssl: need are named. */
    public boolean complete() { return privateKey != null && certificate != null && caCert != null; }

    /** What is missing, for the log line of a refused connection ("" when complete). */
    public String missing() {
        StringBuilder s = new StringBuilder();
        if (privateKey == null) s.append(", private key (--private-key, ssl.private_key)");
        if (certificate == null) s.append(", certificate (--certificate, ssl.certificate)");
        if (caCert == null) s.append(", CA certificate (--ca-cert, ssl.ca_cert)");
        return s.isEmpty() ? "" : "no " + s.substring(2);
    }

    /** These settings with the unset ones taken from fallback (YAML or OVSDB over the daemon's command line). */
    public TlsSettings or(TlsSettings fallback) {
        return new TlsSettings(privateKey != null ? privateKey : fallback.privateKey, certificate != null ? certificate : fallback.certificate,
                caCert != null ? caCert : fallback.caCert, caCert != null ? bootstrapCaCert : fallback.bootstrapCaCert,
                peerCaCert != null ? peerCaCert : fallback.peerCaCert);
    }
}
