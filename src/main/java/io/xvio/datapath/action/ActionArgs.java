package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowSyntaxException;

import java.math.BigInteger;
import java.util.List;

/**
 * One action token as the flow parser hands it to the action's {@code parse}: its name, argument and position in
 * the flow text, and the parser's value syntaxes and checks (they know the flow's match, for prerequisites).
 */
public interface ActionArgs {
    /** The action's name as written. */
    String name();
    /** The argument after ':' or '=', or inside '(...)'; null when there is none. */
    String arg();
    /** Whether the argument was written in parentheses. */
    boolean parens();
    /** The argument's position in the flow text (for error carets). */
    int pos();
    /** The whole token, e.g. {@code resubmit(,2)}. */
    String token();
    /** The table the flow is in (0 when not given). */
    int table();

    FlowSyntaxException error(int pos, String message);

    int intIn(String s, int pos, long min, long max, String what);
    long unsigned(String s, int pos, int bits, String what);
    BigInteger big(String s, int pos, String what);
    long mac(String s, int pos, String what);
    long ipv4(String s, int pos, String what);
    /** An IPv6 address: {high 64 bits, low 64 bits}. */
    long[] ipv6(String s, int pos, String what);
    /** A TOS byte whose ECN bits are 0. */
    long tos(String s, int pos, String what);
    /** VALUE[/MASK] in the field's notation: {value, mask}. */
    long[] valueMask(Field f, String s, int pos, String what);
    /** FIELD or FIELD[A..B] (an unknown field is an error). */
    Subfield subfield(String s, int pos, String what);
    /** Fails unless the flow's match gives the field's prerequisites (e.g. tp_src needs tcp). */
    void needPrerequisites(Subfield s, String what, int pos);
    /** Whether actions may write field f. */
    boolean settable(Field f);
    /** set_field:VALUE[/MASK]->FIELD, with each field's own value syntax and prerequisites. */
    SetField setField(String arg, int pos);
    /** An action list nested in this one (clone), parsed against the same match and VLAN state. */
    List<Action> nested(String text, int pos);
    /** The action list of ct(exec(...)), where ct_mark and ct_label (and only there) may be set. */
    List<Action> ctExec(String text, int pos);
    /** The dl_type the flow's match gives exactly, or -1. */
    long matchedDlType();
    /** Whether these are a group bucket's actions (no match to check prerequisites against). */
    boolean inBucket();
}
