package io.xvio.datapath.action;

/** output:PORT (or a bare port number). output:FIELD[] is {@link OutputReg}; output:NORMAL etc. are their own actions. */
public record Output(int port) implements Action {
    public static Action parse(ActionArgs a) {
        String arg = a.arg();
        return switch (arg.toLowerCase(java.util.Locale.ROOT)) {
            case "in_port" -> new InPort();
            case "normal" -> new Normal();
            case "flood" -> new Flood(false);
            case "all" -> new Flood(true);
            case "controller" -> new Controller(0xffff);
            case "local", "table", "none", "any" -> throw a.error(a.pos(), "output to \"" + arg + "\" is not supported by xvio");
            default -> !arg.isEmpty() && !Character.isDigit(arg.charAt(0)) ? OutputReg.parse(a)
                    : new Output(a.intIn(arg, a.pos(), 1, 0xfeff, "output port"));
        };
    }

    @Override public String format() { return "output:" + port; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_OUTPUT; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.output(port, i, copy);
        return CONTINUE;
    }
}
