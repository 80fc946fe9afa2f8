package io.xvio.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** add-mirror, del-mirror, show-mirrors: OVS-style port mirrors (as ovs-vsctl's Mirror table; see {@link MirrorConfig}). */
final class MirrorCli {
    private MirrorCli() {}

    @Command(name = "add-mirror", mixinStandardHelpOptions = true,
            description = {"Mirror a bridge's traffic to an output port, as an OVS Mirror row (ovs-vsctl create mirror ...).",
                    "Frames received on select-src-port ports and frames sent on select-dst-port ports (select-all=true: every port),",
                    "optionally only those whose outer VLAN tag is in select-vlan (untagged: 0), go to output-port as they are.",
                    "The output port then carries only mirrored frames and drops what it receives (OVS's output_port).",
                    "Example: xvio add-mirror br0 m0 select-src-port=vm1 select-dst-port=vm1 output-port=tap0"})
    static final class AddMirror extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "NAME") String name;
        @Parameters(index = "2..*", arity = "1..*", paramLabel = "KEY=VALUE",
                description = "select-all=true|false, select-src-port=P1,P2, select-dst-port=P1,P2, select-vlan=V1,V2, output-port=P") List<String> settings;
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("add-mirror", bridge, name));
            r.addAll(settings);
            return r;
        }
    }

    @Command(name = "del-mirror", mixinStandardHelpOptions = true, description = "Remove a mirror; its output port forwards normally again.")
    static final class DelMirror extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "NAME") String name;
        @Override List<String> request() { return List.of("del-mirror", bridge, name); }
    }

    @Command(name = "show-mirrors", mixinStandardHelpOptions = true,
            description = "The mirrors (of one bridge, or all): what they select, frames mirrored, the output port's transmit drops.")
    static final class ShowMirrors extends Main.ClientCmd {
        @Parameters(index = "0", arity = "0..1", paramLabel = "BRIDGE") String bridge;
        @CommandLine.Mixin Main.FormatOption fmt;
        @Override Format format() { return fmt.format; }
        @Override List<String> request() { return bridge == null ? List.of("show-mirrors") : List.of("show-mirrors", bridge); }
    }
}
