package io.xvio.control;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** The command-line side of QoS: add-meter, mod-meter, del-meters, dump-meters, meter-stats (ovs-ofctl's) and set-port. */
final class MeterCli {
    private MeterCli() {}

    @Command(name = "add-meter", mixinStandardHelpOptions = true,
            description = "Add a meter (ovs-ofctl syntax), e.g. 'meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000'.")
    static final class AddMeter extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "METER") String meter;
        @Override List<String> request() { return List.of("add-meter", bridge, meter); }
    }

    @Command(name = "mod-meter", mixinStandardHelpOptions = true, description = "Replace a meter's flags and bands (full buckets, counters from 0).")
    static final class ModMeter extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "METER") String meter;
        @Override List<String> request() { return List.of("mod-meter", bridge, meter); }
    }

    @Command(name = "del-meters", mixinStandardHelpOptions = true, description = "Delete meters (all, or meter=N) and the flows that name them, as OVS does.")
    static final class DelMeters extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "meter=N") String meter;
        @Override List<String> request() { return meter == null ? List.of("del-meters", bridge) : List.of("del-meters", bridge, meter); }
    }

    @Command(name = "dump-meters", mixinStandardHelpOptions = true, description = "Print a bridge's meters (all, or meter=N) as ovs-ofctl dump-meters.")
    static final class DumpMeters extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "meter=N") String meter;
        @Override List<String> request() { return meter == null ? List.of("dump-meters", bridge) : List.of("dump-meters", bridge, meter); }
    }

    @Command(name = "meter-stats", mixinStandardHelpOptions = true, description = "Packets and bytes in per meter and dropped per band, as ovs-ofctl meter-stats.")
    static final class MeterStats extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", arity = "0..1", paramLabel = "meter=N") String meter;
        @Override List<String> request() { return meter == null ? List.of("meter-stats", bridge) : List.of("meter-stats", bridge, meter); }
    }

    @Command(name = "set-port", mixinStandardHelpOptions = true,
            description = {"Change a running port's policing, a vhostuser port's tx retries or a tunnel port's BFD, e.g.",
                    "  set-port br0 p1 ingress-policing-rate=10000 ingress-policing-burst=1000",
                    "  set-port br0 p1 egress-policer=cir:1250000,cbs:12500   (cir:0 turns it off)",
                    "  set-port br0 vm1 tx-retries-max=0   (0..32, default 8: times a burst is offered again to a full guest ring)",
                    "  set-port br-int vx0 bfd:enable=true bfd:min_rx=500   (OVS's Interface bfd keys; bfd:KEY= removes one)"})
    static final class SetPort extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "PORT") String port;
        @Parameters(index = "2..*", arity = "1..*", paramLabel = "KEY=VALUE") List<String> settings = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = Main.args("set-port", bridge, port);
            r.addAll(settings);
            return r;
        }
    }
}
