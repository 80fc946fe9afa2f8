package io.xvio.datapath;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A parsed flow: priority, match (today: in_port or any) and actions.
 *
 * @param inPort the OpenFlow port to match, or -1 for any
 */
public record Flow(int priority, int inPort, List<Action> actions, String text) {
    public static final int DEFAULT_PRIORITY = 32768;

    public boolean matches(int ofport) { return inPort < 0 || inPort == ofport; }

    /** OVS-like text: "priority=100,in_port=1 actions=output:2". */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        if (priority != DEFAULT_PRIORITY) sb.append("priority=").append(priority);
        if (inPort >= 0) sb.append(sb.isEmpty() ? "" : ",").append("in_port=").append(inPort);
        if (!sb.isEmpty()) sb.append(' ');
        sb.append("actions=").append(actions.isEmpty() ? "drop" : actions.stream().map(Action::toString).collect(Collectors.joining(",")));
        return sb.toString();
    }
}
