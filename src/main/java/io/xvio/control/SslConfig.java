package io.xvio.control;

import io.xvio.openflow.TlsSettings;

import java.util.Map;

/**
 * The YAML {@code ssl:} block: the SSL/TLS files of the OpenFlow ssl: and pssl: targets, named as OVS's SSL table's
 * columns: {@code private_key}, {@code certificate}, {@code ca_cert} (PEM paths), {@code bootstrap_ca_cert} (true:
 * ca_cert may not exist yet; the first ssl: controller provides it) and {@code peer_ca_cert} (optional: a CA
 * certificate sent after the switch's own). The files are read when a connection needs them (and again when they
 * change), so they need not exist when the config is loaded.
 */
final class SslConfig {
    private SslConfig() {}

    static TlsSettings parse(Object node, String source) {
        if (node == null) return TlsSettings.NONE;
        Map<String, Object> m = Config.map(node, source, "ssl");
        Config.keys(m, source, "ssl", "private_key", "certificate", "ca_cert", "bootstrap_ca_cert", "peer_ca_cert");
        Object b = m.getOrDefault("bootstrap_ca_cert", false);
        if (!(b instanceof Boolean bootstrap)) throw new ConfigException(source + ": ssl.bootstrap_ca_cert must be true or false");
        TlsSettings s = new TlsSettings(path(m, "private_key", source), path(m, "certificate", source), path(m, "ca_cert", source), bootstrap,
                path(m, "peer_ca_cert", source));
        if (!s.complete()) throw new ConfigException(source + ": ssl: " + s.missing().replaceAll(" \\(--[^)]*\\)", ""));
        return s;
    }

    private static String path(Map<String, Object> m, String key, String source) {
        if (!m.containsKey(key)) return null;
        String p = Config.string(m.get(key), source, "ssl." + key);
        if (p.isBlank()) throw new ConfigException(source + ": ssl." + key + " is empty");
        return p;
    }
}
