package io.xvio.datapath.action;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static java.util.Map.entry;

/**
 * The ovs-ofctl action keywords xvio knows, each with the parse of its action (the registry: one line per keyword),
 * and the ones it refuses by name. The flow parser splits a flow's actions into tokens and hands each here.
 */
public final class ActionSyntax {
    private ActionSyntax() {}

    /** Whether a keyword takes an argument: never, maybe (controller, dec_ttl()), or always. */
    enum Arity { NONE, OPTIONAL, REQUIRED }

    record Keyword(Arity arity, Function<ActionArgs, Action> parse) {}

    private static Keyword none(Action a) { return new Keyword(Arity.NONE, x -> a); }
    private static Keyword arg(Function<ActionArgs, Action> p) { return new Keyword(Arity.REQUIRED, p); }

    private static final Map<String, Keyword> KEYWORDS = Map.ofEntries(
            entry("output", arg(Output::parse)),
            entry("in_port", none(new InPort())),
            entry("normal", none(new Normal())),
            entry("flood", none(new Flood(false))),
            entry("all", none(new Flood(true))),
            entry("controller", new Keyword(Arity.OPTIONAL, Controller::parse)),
            entry("strip_vlan", none(new StripVlan())),
            entry("pop_vlan", none(new StripVlan())),
            entry("push_vlan", arg(PushVlan::parse)),
            entry("dec_ttl", new Keyword(Arity.OPTIONAL, DecTtl::parse)),
            entry("ct_clear", none(new CtClear())),
            entry("set_field", arg(SetField::parseSetField)),
            entry("load", arg(SetField::parseLoad)),
            entry("mod_vlan_vid", arg(SetField::parseMod)),
            entry("mod_vlan_pcp", arg(SetField::parseMod)),
            entry("mod_dl_src", arg(SetField::parseMod)),
            entry("mod_dl_dst", arg(SetField::parseMod)),
            entry("mod_nw_src", arg(SetField::parseMod)),
            entry("mod_nw_dst", arg(SetField::parseMod)),
            entry("mod_tp_src", arg(SetField::parseMod)),
            entry("mod_tp_dst", arg(SetField::parseMod)),
            entry("mod_nw_tos", arg(SetField::parseMod)),
            entry("mod_nw_ttl", arg(SetField::parseMod)),
            entry("move", arg(Move::parse)),
            entry("resubmit", arg(Resubmit::parse)),
            entry("goto_table", arg(GotoTable::parse)),
            entry("write_metadata", arg(WriteMetadata::parse)),
            entry("group", arg(GroupAction::parse)),
            entry("conjunction", arg(Conjunction::parse)),
            entry("note", arg(Note::parse)),
            entry("clone", arg(Clone::parse)),
            entry("push", arg(StackPush::parse)),
            entry("pop", arg(StackPop::parse)),
            entry("check_pkt_larger", arg(CheckPktLarger::parse)),
            entry("ct", arg(Ct::parse)),
            entry("meter", arg(Meter::parse)),
            entry("learn", new Keyword(Arity.OPTIONAL, Learn::parse)));

    /** ovs-actions(7) actions xvio does not have: refused by name, never ignored. */
    private static final Set<String> UNSUPPORTED = Set.of("local", "enqueue", "exit", "multipath",
            "bundle", "output_reg", "set_queue", "pop_queue", "push_mpls", "pop_mpls", "mod_nw_ecn", "clear_actions",
            "write_actions", "sample", "dec_mpls_ttl", "fin_timeout", "nat");

    /** The action of one token (name as written, lower-cased for the lookup). */
    public static Action parse(ActionArgs a) {
        String name = a.name(), l = name.toLowerCase(Locale.ROOT);
        if (isDigits(name)) {                                   // a bare port number
            if (a.arg() != null) throw a.error(a.pos() - name.length() - 1, "unknown action \"" + a.token() + "\"");
            return new Output(a.intIn(name, a.pos() - name.length() - 1, 1, 0xfeff, "output port"));
        }
        int start = a.pos() - name.length() - 1;
        if (UNSUPPORTED.contains(l)) throw a.error(start, "action \"" + name + "\" is not supported by xvio");
        Keyword k = KEYWORDS.get(l);
        if (k == null) throw a.error(start, "unknown action \"" + a.token() + "\"");
        String arg = a.arg();
        switch (k.arity()) {
            case NONE -> {
                if (arg != null)
                    throw a.error(a.pos(), "\"" + name + "\" takes no argument (\"" + a.token() + "\")");
            }
            case REQUIRED -> {
                if (arg == null || arg.isEmpty()) throw a.error(start, "\"" + name + "\" needs an argument (\"" + a.token() + "\")");
            }
            case OPTIONAL -> { }
        }
        return k.parse().apply(a);
    }

    /** The keywords xvio parses. */
    public static Set<String> keywords() { return KEYWORDS.keySet(); }

    /** The keywords of ovs-actions(7) xvio refuses by name. */
    public static Set<String> unsupported() { return UNSUPPORTED; }

    /** Actions as dump-flows prints them ("drop" for none). */
    public static String format(List<Action> actions) {
        if (actions.isEmpty()) return "drop";
        StringBuilder sb = new StringBuilder();
        for (Action a : actions) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(a.format());
        }
        return sb.toString();
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }
}
