package io.xvio.datapath.action;

/** in_port / output:in_port: sends the packet back out of the port it came in on. */
public record InPort() implements Action {
    @Override public String format() { return "IN_PORT"; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_OUTPUT; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.outputInPort(i, copy);
        return CONTINUE;
    }
}
