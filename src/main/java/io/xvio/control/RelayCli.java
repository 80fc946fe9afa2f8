package io.xvio.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** The command-line side of relays and queue placement: add-relay, del-relay, show-relays, pmd-rxq-show. */
final class RelayCli {
    private RelayCli() {}

    @Command(name = "add-relay", mixinStandardHelpOptions = true,
            description = {"Add a relay between a vhost-user endpoint and a VF-side interface (no bridge, no flow lookup), e.g.",
                    "  add-relay vm1 vhost.path=/tmp/vm1.sock vhost.queues=2 vf.device=eth1 vf.type=afxdp cpus.vm-to-vf=1",
                    "  add-relay vm1 '{vhost: {path: /tmp/vm1.sock}, vf: {device: eth1, type: afpacket}}'"})
    static final class AddRelay extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "SETTINGS",
                description = "SECTION.KEY=VALUE words (sections vhost, vf, cpus) or one YAML/JSON mapping, keys as in the config file's relays:")
        List<String> settings = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = Main.args("add-relay", name);
            r.addAll(settings);
            return r;
        }
    }

    @Command(name = "del-relay", mixinStandardHelpOptions = true, description = "Remove a relay (its vhost-user connection is closed).")
    static final class DelRelay extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "NAME") String name;
        @Override List<String> request() { return List.of("del-relay", name); }
    }

    @Command(name = "show-relays", mixinStandardHelpOptions = true,
            description = "Relays with per-direction packets, bytes, drops by reason, rate and PMD threads.")
    static final class ShowRelays extends Main.ClientCmd {
        @Parameters(index = "0", arity = "0..1", paramLabel = "NAME") String name;
        @CommandLine.Mixin Main.FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return name == null ? List.of("show-relays") : List.of("show-relays", name); }
    }

    @Command(name = "pmd-rxq-show", mixinStandardHelpOptions = true,
            description = "Each PMD thread's receive queues (bridge ports and relay directions) with their load in the last pmd-auto-lb interval.")
    static final class PmdRxqShow extends Main.ClientCmd {
        @CommandLine.Mixin Main.FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return List.of("pmd-rxq-show"); }
    }
}
