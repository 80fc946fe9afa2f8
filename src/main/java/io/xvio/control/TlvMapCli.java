package io.xvio.control;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** The Geneve option map commands, as ovs-ofctl's: add-tlv-map, del-tlv-map, dump-tlv-map (issue 16). */
final class TlvMapCli {
    private TlvMapCli() {}

    @Command(name = "add-tlv-map", mixinStandardHelpOptions = true,
            description = "Map Geneve options to tun_metadata fields, e.g. add-tlv-map br-int \"{class=0x0102,type=0x80,len=4}->tun_metadata0\".")
    static final class Add extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1..*", paramLabel = "MAPPING") List<String> mappings;
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("add-tlv-map", bridge));
            r.addAll(mappings);
            return r;
        }
    }

    @Command(name = "del-tlv-map", mixinStandardHelpOptions = true, description = "Remove Geneve option mappings (all without MAPPING).")
    static final class Del extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1..*", arity = "0..*", paramLabel = "MAPPING") List<String> mappings;
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("del-tlv-map", bridge));
            if (mappings != null) r.addAll(mappings);
            return r;
        }
    }

    @Command(name = "dump-tlv-map", mixinStandardHelpOptions = true, description = "The Geneve option map of a bridge.")
    static final class Dump extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("dump-tlv-map", bridge); }
    }
}
