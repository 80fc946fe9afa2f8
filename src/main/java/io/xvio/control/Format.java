package io.xvio.control;

import java.util.ArrayList;
import java.util.List;

/**
 * How a read-only command renders its answer. The CLI's {@code --format json} travels in the control request as
 * one more argument, {@code --format=json}, which the daemon takes out before it runs the command.
 */
enum Format {
    TEXT, JSON;

    static final String ARGUMENT = "--format=";

    /** A request split into its format (text unless a "--format=F" argument says otherwise) and its other arguments. */
    record Request(Format format, List<String> args) {}

    static Request split(List<String> args) {
        Format f = TEXT;
        List<String> rest = new ArrayList<>(args.size());
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (i > 0 && a.startsWith(ARGUMENT)) f = of(a.substring(ARGUMENT.length()));
            else rest.add(a);
        }
        return new Request(f, rest);
    }

    static Format of(String name) {
        return switch (name) {
            case "text" -> TEXT;
            case "json" -> JSON;
            default -> throw new ControlException("unknown format \"" + name + "\" (text or json)");
        };
    }

    /** The argument that asks the daemon for this format. */
    String argument() { return ARGUMENT + name().toLowerCase(); }
}
