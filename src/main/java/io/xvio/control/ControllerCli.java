package io.xvio.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;

/** The command-line side of a bridge's OpenFlow controllers, as ovs-vsctl's: set/del/get-controller, set/get/del-fail-mode. */
final class ControllerCli {
    private ControllerCli() {}

    @Command(name = "set-controller", mixinStandardHelpOptions = true,
            description = "Connect a bridge to these OpenFlow controllers (replacing the ones it had), as ovs-vsctl set-controller, "
                    + "e.g. set-controller br0 tcp:127.0.0.1:6653 unix:/run/ctl.sock")
    static final class SetController extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "TARGET",
                description = "tcp:IP[:PORT] or ssl:IP[:PORT] (port 6653 by default), unix:PATH; passive ptcp:[PORT][:IP] or pssl:[PORT][:IP]")
        List<String> targets = new ArrayList<>();
        @Override List<String> request() {
            List<String> r = Main.args("set-controller", bridge);
            r.addAll(targets);
            return r;
        }
    }

    @Command(name = "del-controller", mixinStandardHelpOptions = true, description = "Disconnect a bridge from its controllers.")
    static final class DelController extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("del-controller", bridge); }
    }

    @Command(name = "get-controller", mixinStandardHelpOptions = true, description = "Print a bridge's controllers, one a line.")
    static final class GetController extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @CommandLine.Option(names = "--status", description = "with each connection's state and role, and whether the bridge is in fail-open")
        boolean status;
        @Override List<String> request() { return status ? List.of("get-controller", bridge, "--status") : List.of("get-controller", bridge); }
    }

    @Command(name = "set-fail-mode", mixinStandardHelpOptions = true,
            description = "What a bridge does without its controllers: standalone (the default: after three inactivity probe intervals "
                    + "it forwards by NORMAL until a controller is back) or secure (it keeps its flows).")
    static final class SetFailMode extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Parameters(index = "1", paramLabel = "MODE", description = "standalone or secure") String mode;
        @Override List<String> request() { return List.of("set-fail-mode", bridge, mode); }
    }

    @Command(name = "get-fail-mode", mixinStandardHelpOptions = true, description = "Print a bridge's fail mode.")
    static final class GetFailMode extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("get-fail-mode", bridge); }
    }

    @Command(name = "del-fail-mode", mixinStandardHelpOptions = true, description = "Set a bridge's fail mode back to standalone.")
    static final class DelFailMode extends Main.ClientCmd {
        @Parameters(index = "0", paramLabel = "BRIDGE") String bridge;
        @Override List<String> request() { return List.of("del-fail-mode", bridge); }
    }

    @Command(name = "set-ssl", mixinStandardHelpOptions = true,
            description = "The PEM files of OpenFlow ssl:/pssl: connections, as ovs-vsctl set-ssl: this switch's private key and certificate, "
                    + "and the CA certificate every peer's certificate must be signed by (--bootstrap: saved from the first ssl: controller "
                    + "if it does not exist yet). New connections use them.")
    static final class SetSsl extends Main.ClientCmd {
        @CommandLine.Option(names = "--bootstrap", description = "CA-CERT may not exist yet: take the first ssl: controller's CA") boolean bootstrap;
        @Parameters(index = "0", paramLabel = "PRIVATE-KEY") String key;
        @Parameters(index = "1", paramLabel = "CERTIFICATE") String cert;
        @Parameters(index = "2", paramLabel = "CA-CERT") String ca;
        @Override List<String> request() {
            List<String> r = new ArrayList<>(List.of("set-ssl"));
            if (bootstrap) r.add("--bootstrap");
            for (String f : List.of(key, cert, ca)) r.add(java.nio.file.Path.of(f).toAbsolutePath().toString());   // the daemon may run elsewhere
            return r;
        }
    }

    @Command(name = "get-ssl", mixinStandardHelpOptions = true, description = "Print the OpenFlow SSL/TLS files, as ovs-vsctl get-ssl.")
    static final class GetSsl extends Main.ClientCmd {
        @Override List<String> request() { return List.of("get-ssl"); }
    }

    @Command(name = "del-ssl", mixinStandardHelpOptions = true,
            description = "Forget the files set-ssl gave (back to the config's ssl: and the daemon's options), as ovs-vsctl del-ssl.")
    static final class DelSsl extends Main.ClientCmd {
        @Override List<String> request() { return List.of("del-ssl"); }
    }
}
