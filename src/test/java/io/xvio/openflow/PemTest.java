package io.xvio.openflow;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * PEM keys and certificates as openssl writes them: a PKCS#8 RSA key and the same key as PKCS#1, an EC key as SEC1
 * and as PKCS#8, a certificate with ovs-pki's text dump before it; encrypted keys and files without a key are
 * refused with a message naming the file; arbitrary bytes never throw anything but IOException.
 */
class PemTest {
    static void openssl(Path dir, String... args) throws Exception {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "openssl";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ": " + out);
    }

    @Test
    void keysInEachFormatOpensslWrites(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "needs openssl");
        openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa8.pem");
        openssl(dir, "pkey", "-in", "rsa8.pem", "-traditional", "-out", "rsa1.pem");
        openssl(dir, "ecparam", "-name", "prime256v1", "-genkey", "-out", "ec1.pem");       // with an "EC PARAMETERS" block first
        openssl(dir, "pkey", "-in", "ec1.pem", "-out", "ec8.pem");
        openssl(dir, "req", "-new", "-x509", "-key", "rsa8.pem", "-subj", "/CN=xvio-test", "-days", "2", "-out", "cert.pem");
        openssl(dir, "pkey", "-in", "rsa8.pem", "-aes128", "-passout", "pass:secret", "-out", "enc.pem");

        assertTrue(Files.readString(dir.resolve("rsa1.pem")).contains("BEGIN RSA PRIVATE KEY"));
        assertTrue(Files.readString(dir.resolve("ec1.pem")).contains("BEGIN EC PRIVATE KEY"));
        PrivateKey rsa = Pem.privateKey(dir.resolve("rsa8.pem"), "key");
        assertEquals("RSA", rsa.getAlgorithm());
        assertArrayEquals(rsa.getEncoded(), Pem.privateKey(dir.resolve("rsa1.pem"), "key").getEncoded(), "PKCS#1 is the same key");
        PrivateKey ec = Pem.privateKey(dir.resolve("ec8.pem"), "key");
        assertEquals("EC", ec.getAlgorithm());
        assertEquals(((java.security.interfaces.ECPrivateKey) ec).getS(),
                ((java.security.interfaces.ECPrivateKey) Pem.privateKey(dir.resolve("ec1.pem"), "key")).getS(), "SEC1 is the same key");

        Files.writeString(dir.resolve("dump.pem"), "Certificate:\n    Data:\n        Version: 3 (0x2)\n" + Files.readString(dir.resolve("cert.pem")));
        assertEquals("CN=xvio-test", Pem.certificates(dir.resolve("dump.pem"), "certificate").getFirst().getSubjectX500Principal().getName());

        IOException e = assertThrows(IOException.class, () -> Pem.privateKey(dir.resolve("enc.pem"), "private key"));
        assertTrue(e.getMessage().contains("encrypted") && e.getMessage().contains("enc.pem"), e.getMessage());
        e = assertThrows(IOException.class, () -> Pem.privateKey(dir.resolve("cert.pem"), "private key"));
        assertTrue(e.getMessage().contains("no \"BEGIN PRIVATE KEY\""), e.getMessage());
        e = assertThrows(IOException.class, () -> Pem.certificates(dir.resolve("rsa8.pem"), "CA certificate"));
        assertTrue(e.getMessage().contains("CA certificate " + dir.resolve("rsa8.pem")), e.getMessage());
        e = assertThrows(IOException.class, () -> Pem.certificates(dir.resolve("missing.pem"), "CA certificate"));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }

    @Property(tries = 500)
    void anyBytesAreAKeyOrAnIoException(@ForAll @Size(max = 300) byte[] der, @ForAll boolean sec1) throws Exception {
        Path f = Files.createTempFile("xvio-pem", ".pem");
        try {
            String label = sec1 ? "EC PRIVATE KEY" : "RSA PRIVATE KEY";
            Files.writeString(f, "-----BEGIN " + label + "-----\n" + java.util.Base64.getMimeEncoder().encodeToString(der) + "\n-----END " + label + "-----\n");
            try {
                assertNotNull(Pem.privateKey(f, "key"));
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains(f.toString()), expected.getMessage());
            }
        } finally {
            Files.delete(f);
        }
    }
}
