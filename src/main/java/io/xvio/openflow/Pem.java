package io.xvio.openflow;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * PEM files as OVS's SSL settings name them (what ovs-pki and openssl write): certificates ("CERTIFICATE" blocks,
 * any text around them, as ovs-pki's "Certificate:" dump) and one unencrypted private key, PKCS#8 ("PRIVATE KEY":
 * RSA, EC, Ed25519, DSA), PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). Every problem is an IOException
 * that names the file and says what is wrong.
 */
final class Pem {
    private Pem() {}

    /** At most this many bytes are read from a PEM file (a key or a chain is a few KiB). */
    static final int MAX_BYTES = 1 << 20;

    record Block(String label, byte[] der, boolean encrypted) {}

    /** The PEM blocks of text (a block with headers such as Proc-Type: 4,ENCRYPTED is marked encrypted). */
    static List<Block> blocks(String text, String what) throws IOException {
        List<Block> out = new ArrayList<>();
        int at = 0;
        while (true) {
            int begin = text.indexOf("-----BEGIN ", at);
            if (begin < 0) return out;
            int labelEnd = text.indexOf("-----", begin + 11);
            if (labelEnd < 0) throw new IOException(what + ": a PEM block's BEGIN line is cut off");
            String label = text.substring(begin + 11, labelEnd);
            String endLine = "-----END " + label + "-----";
            int end = text.indexOf(endLine, labelEnd);
            if (end < 0) throw new IOException(what + ": the PEM block \"" + label + "\" has no END line");
            String body = text.substring(labelEnd + 5, end);
            boolean encrypted = label.contains("ENCRYPTED") || body.contains("Proc-Type:") && body.contains("ENCRYPTED");
            StringBuilder b64 = new StringBuilder();
            for (String line : body.split("\n")) if (!line.contains(":")) b64.append(line.strip());
            try {
                out.add(new Block(label, Base64.getDecoder().decode(b64.toString()), encrypted));
            } catch (IllegalArgumentException e) {
                throw new IOException(what + ": the PEM block \"" + label + "\" is not base64: " + e.getMessage());
            }
            at = end + endLine.length();
        }
    }

    static String read(Path file, String what) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException(what + " " + file + ": no such file");
        if (Files.size(file) > MAX_BYTES) throw new IOException(what + " " + file + ": larger than " + MAX_BYTES + " bytes");
        return Files.readString(file, StandardCharsets.ISO_8859_1);
    }

    /** The certificates of file, in order (at least one). */
    static List<X509Certificate> certificates(Path file, String what) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            for (Block b : blocks(read(file, what), what + " " + file))
                if (b.label().equals("CERTIFICATE") || b.label().equals("X509 CERTIFICATE") || b.label().equals("TRUSTED CERTIFICATE"))
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
        } catch (GeneralSecurityException e) {
            throw new IOException(what + " " + file + ": not a certificate: " + e.getMessage());
        }
        if (out.isEmpty()) throw new IOException(what + " " + file + ": no \"BEGIN CERTIFICATE\" block");
        return out;
    }

    /** The private key of file: its first key block. */
    static PrivateKey privateKey(Path file, String what) throws IOException {
        String where = what + " " + file;
        for (Block b : blocks(read(file, what), where)) {
            if (!b.label().endsWith("PRIVATE KEY")) continue;
            if (b.encrypted()) throw new IOException(where + ": the key is encrypted (xvio, like OVS, needs it unencrypted)");
            byte[] pkcs8 = switch (b.label()) {
                case "PRIVATE KEY" -> b.der();
                case "RSA PRIVATE KEY" -> pkcs8(RSA_ALGORITHM, b.der());
                case "EC PRIVATE KEY" -> pkcs8(ecAlgorithm(b.der(), where), b.der());
                default -> throw new IOException(where + ": \"" + b.label() + "\" keys are not supported (PKCS#8, PKCS#1 RSA or SEC1 EC)");
            };
            for (String alg : new String[] {"RSA", "EC", "Ed25519", "RSASSA-PSS", "DSA"}) {
                try {
                    return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
                } catch (GeneralSecurityException tryNext) {
                    // not this algorithm's key
                }
            }
            throw new IOException(where + ": not an RSA, EC, Ed25519 or DSA private key the JDK can read");
        }
        throw new IOException(where + ": no \"BEGIN PRIVATE KEY\" (or RSA/EC PRIVATE KEY) block");
    }

    /** AlgorithmIdentifier { rsaEncryption, NULL }. */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** The OID id-ecPublicKey (1.2.840.10045.2.1) as a DER TLV. */
    private static final byte[] EC_PUBLIC_KEY = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};

    /** PrivateKeyInfo { version 0, algorithm, OCTET STRING key }. */
    static byte[] pkcs8(byte[] algorithm, byte[] key) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[] {0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(tlv(0x04, key));
        return tlv(0x30, body.toByteArray());
    }

    /** AlgorithmIdentifier { id-ecPublicKey, the named curve of SEC1 key's [0] parameters }. */
    private static byte[] ecAlgorithm(byte[] sec1, String where) throws IOException {
        Der seq = new Der(sec1, where);
        Der body = seq.enter(0x30);
        while (body.more()) {
            int tag = body.tag();
            byte[] v = body.value();
            if (tag == 0xa0) {
                Der params = new Der(v, where);
                if (params.tag() != 0x06) throw new IOException(where + ": the EC key's curve is not a named curve");
                ByteArrayOutputStream alg = new ByteArrayOutputStream();
                alg.writeBytes(EC_PUBLIC_KEY);
                alg.writeBytes(tlv(0x06, params.value()));
                return tlv(0x30, alg.toByteArray());
            }
        }
        throw new IOException(where + ": the EC key does not name its curve (openssl ec -param_out, or use PKCS#8)");
    }

    static byte[] tlv(int tag, byte[] v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(tag);
        int n = v.length;
        if (n < 0x80) o.write(n);
        else if (n < 0x100) { o.write(0x81); o.write(n); }
        else if (n < 0x10000) { o.write(0x82); o.write(n >> 8); o.write(n); }
        else { o.write(0x83); o.write(n >> 16); o.write(n >> 8); o.write(n); }
        o.writeBytes(v);
        return o.toByteArray();
    }

    /** A DER reader: tag, then value, element by element; every length checked. */
    private static final class Der {
        private final byte[] b;
        private final String where;
        private int at, tag = -1;

        Der(byte[] b, String where) {
            this.b = b;
            this.where = where;
        }

        boolean more() { return at < b.length; }

        int tag() throws IOException {
            if (at >= b.length) throw new IOException(where + ": the key's DER ends early");
            tag = b[at++] & 0xff;
            return tag;
        }

        byte[] value() throws IOException {
            if (at >= b.length) throw new IOException(where + ": the key's DER ends early");
            int n = b[at++] & 0xff;
            if (n >= 0x80) {
                int k = n & 0x7f;
                if (k == 0 || k > 3 || at + k > b.length) throw new IOException(where + ": a DER length of " + k + " bytes");
                n = 0;
                for (int i = 0; i < k; i++) n = n << 8 | b[at++] & 0xff;
            }
            if (n > b.length - at) throw new IOException(where + ": a DER element longer than the key");
            byte[] v = java.util.Arrays.copyOfRange(b, at, at + n);
            at += n;
            return v;
        }

        Der enter(int want) throws IOException {
            if (tag() != want) throw new IOException(where + ": the key's DER starts with tag 0x" + Integer.toHexString(tag) + ", not a SEQUENCE");
            return new Der(value(), where);
        }
    }
}
