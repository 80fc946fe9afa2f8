package io.xvio.datapath.action;

import io.xvio.datapath.Group;

/** group:N: runs group N (its buckets as {@link Group} says); buckets that rewrite the packet run on copies. */
public record GroupAction(long id) implements Action {
    static Action parse(ActionArgs a) {
        long g = a.unsigned(a.arg(), a.pos(), 32, "group");
        if (g > Group.MAX_ID) throw a.error(a.pos(), "group " + g + " is outside 0.." + Group.MAX_ID);
        return new GroupAction(g);
    }

    @Override public String format() { return "group:" + id; }
    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_GROUP; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        x.group(id, table, inPort, i, depth + 1, copy, tail);
        return CONTINUE;
    }
}
