package io.xvio.datapath.action;

import io.xvio.datapath.Field;
import io.xvio.datapath.conntrack.NatAction;

import java.util.ArrayList;
import java.util.List;

/**
 * ct(...) of ovs-actions(7): sends the packet through the connection tracker in a zone (a number, or zone=FIELD[A..B]
 * read from the packet), which sets its ct_state/ct_zone/ct_mark/ct_label/ct_nw_* and, with nat, translates it.
 * commit stores a new connection (force: first ends one seen in the reply direction), exec(...) then sets the
 * connection's ct_mark/ct_label. With table=T the tracked packet goes on in table T (recirculation: a copy of it
 * unless nothing follows); the packet itself goes on untracked, as in OVS: its ct_* fields are cleared and, after
 * nat, the flow's later lookups see its fields as before (the frame itself carries the translation).
 */
public record Ct(boolean commit, boolean force, int table, int zone, Subfield zoneSrc, NatSyntax.Nat nat, List<Action> exec,
                 Exec sets) implements Action {
    /** No recirculation (OVS's NX_CT_RECIRC_NONE). */
    public static final int NO_TABLE = -1;

    /** What exec(...) writes into a committed connection: ct_mark and ct_label, each value under mask. */
    public record Exec(int mark, int markMask, long labelHi, long labelLo, long labelMaskHi, long labelMaskLo) {
        static final Exec NONE = new Exec(0, 0, 0, 0, 0, 0);
        public boolean setsMark() { return markMask != 0; }
        public boolean setsLabel() { return labelMaskHi != 0 || labelMaskLo != 0; }
    }

    public Ct {
        exec = List.copyOf(exec);
    }

    /** The nat part as ovs-ofctl prints it, or null for none. */
    public String natText() { return nat == null ? null : NatSyntax.format(nat); }

    /** The tracker's NAT action, or null for none. */
    public NatAction natAction() { return nat == null ? null : nat.action(); }

    static Action parse(ActionArgs a) {
        String arg = a.arg();
        if (!a.parens()) throw a.error(a.pos(), "ct takes its arguments in parentheses: ct(commit,zone=1,table=2)");
        boolean commit = false, force = false;
        int table = NO_TABLE, zone = 0;
        Subfield zoneSrc = null;
        NatSyntax.Nat nat = null;
        List<Action> exec = List.of();
        for (String[] kv : KeyValues.split(a, arg, a.pos())) {
            String key = kv[0], value = kv[1];
            int at = Integer.parseInt(kv[2]), vat = at + key.length() + 1;
            switch (key) {
                case "commit" -> commit = true;
                case "force" -> force = true;
                case "table" -> table = a.intIn(need(a, key, value, at), vat, 0, 254, "ct table");
                case "zone" -> {
                    String v = need(a, key, value, at);
                    if (!v.isEmpty() && Character.isDigit(v.charAt(0))) {
                        zone = a.intIn(v, vat, 0, 65535, "ct zone");
                    } else {
                        zoneSrc = a.subfield(v, vat, "ct zone");
                        zoneSrc = new Subfield(zoneSrc.field(), zoneSrc.field().ofName, zoneSrc.ofs(), zoneSrc.nBits());
                        if (zoneSrc.nBits() > 16) throw a.error(vat, "ct: zone=" + v + " is " + zoneSrc.nBits() + " bits wide; a zone is at most 16");
                        a.needPrerequisites(zoneSrc, "ct zone", vat);
                    }
                }
                case "nat" -> nat = NatSyntax.parse(a, value, vat);
                case "exec" -> exec = a.ctExec(need(a, key, value, at), vat);
                case "alg" -> throw a.error(at, "ct: alg= (FTP/TFTP helpers) is not supported by xvio");
                default -> throw a.error(at, "invalid argument to \"ct\" action: `" + key + "'");
            }
        }
        if (force && !commit) throw a.error(a.pos(), "\"force\" flag requires \"commit\" flag.");
        long type = a.matchedDlType();
        if (a.inBucket()) type = -1;
        else if (type != 0x0800 && type != 0x86dd)
            throw a.error(a.pos(), "ct needs \"ip\" or \"ipv6\" (dl_type=0x0800 or 0x86dd) in the match");
        if (type >= 0 && nat != null && nat.action().kind != NatAction.Kind.APPLY && (nat.action().minHi != 0 || nat.action().minLo != 0)
                && nat.action().v6 != (type == 0x86dd))
            throw a.error(a.pos(), "ct: the nat range is " + (nat.action().v6 ? "IPv6" : "IPv4") + " but the match is "
                    + (type == 0x86dd ? "ipv6" : "ip"));
        if (!commit && (!exec.isEmpty() || (nat != null && nat.action().kind != NatAction.Kind.APPLY)))
            throw a.error(a.pos(), "ct: exec(...) and nat(src=...)/nat(dst=...) need \"commit\" (a plain \"nat\" does not)");
        for (Action x : exec)
            if (!setsCtField(x))
                throw a.error(a.pos(), "ct action doesn't support nested action " + x.format() + " (exec may only set ct_mark or ct_label)");
        return of(commit, force, table, zone, zoneSrc, nat, exec);
    }

    /**
     * Whether x may be in exec(...): a set_field/load of ct_mark or ct_label, or a move into one of them (OVN's
     * {@code ct_label.label = reg3}: {@code move:NXM_NX_XXREG0[0..31]->NXM_NX_CT_LABEL[96..127]}).
     */
    public static boolean setsCtField(Action x) {
        return x instanceof SetField sf && (sf.field() == Field.CT_MARK || sf.field() == Field.CT_LABEL)
                || x instanceof Move m && (m.dst() == Field.CT_MARK || m.dst() == Field.CT_LABEL);
    }

    /** A ct action; exec holds only set_field/load of ct_mark and ct_label, and moves into them (the callers check). */
    public static Ct of(boolean commit, boolean force, int table, int zone, Subfield zoneSrc, NatSyntax.Nat nat, List<Action> exec) {
        int mark = 0, markMask = 0;
        long lh = 0, ll = 0, mh = 0, ml = 0;
        for (Action x : exec) {
            if (!(x instanceof SetField s)) continue;          // a move: resolved at translation (resolved())
            if (s.field() == Field.CT_MARK) {
                int m = (int) Field.CT_MARK.get(s.mask());
                mark = (mark & ~m) | ((int) Field.CT_MARK.get(s.value()) & m);
                markMask |= m;
            } else {
                lh = (lh & ~s.mask()) | (s.value() & s.mask());
                ll = (ll & ~s.maskLo()) | (s.valueLo() & s.maskLo());
                mh |= s.mask();
                ml |= s.maskLo();
            }
        }
        return new Ct(commit, force, table, zone, zoneSrc, nat, exec, new Exec(mark, markMask, lh, ll, mh, ml));
    }

    private static String need(ActionArgs a, String key, String value, int at) {
        if (value == null || value.isEmpty()) throw a.error(at, "ct: \"" + key + "\" needs a value");
        return value;
    }

    /** As ovs-ofctl prints it: ct(commit,force,table=T,zone=Z,nat(...),exec(...)). */
    @Override public String format() {
        List<String> p = new ArrayList<>();
        if (commit) p.add("commit");
        if (force) p.add("force");
        if (table != NO_TABLE) p.add("table=" + table);
        if (zoneSrc != null) p.add("zone=" + Subfield.format(zoneSrc.field(), zoneSrc.ofs(), zoneSrc.nBits()));
        else if (zone != 0) p.add("zone=" + zone);
        if (nat != null) p.add(NatSyntax.format(nat));
        if (!exec.isEmpty()) p.add("exec(" + ActionSyntax.format(exec) + ")");
        return "ct(" + String.join(",", p) + ")";
    }

    /** nat rewrites the packet; ct always changes its ct_* metadata. */
    @Override public boolean modifies() { return true; }

    @Override public ActionSetRole actionSetRole() { return ActionSetRole.FINAL_CT; }

    @Override public int translate(Xlate x, int i, int table, int inPort, int depth, boolean copy, boolean tail) {
        int z = zoneSrc == null ? zone : zoneFrom(x, i, zoneSrc);
        return x.conntrack(i, moves() ? resolved(x, i) : this, z, tail) ? CONTINUE : DEAD;
    }

    /** The zone bits of a field; of a 128-bit one (xxreg, ct_label, an IPv6 address) from the half they are in. */
    private static int zoneFrom(Xlate x, int i, Subfield z) {
        if (z.field().words() != 2) return (int) x.read(i, z.field(), z.ofs(), z.nBits());
        if (z.ofs() >= 64) return (int) x.read(i, z.field(), z.ofs() - 64, z.nBits());
        return (int) ((x.readLo(i, z.field()) >>> z.ofs()) & Subfield.bits(z.nBits()));
    }

    private boolean moves() {
        for (int k = 0; k < exec.size(); k++) if (exec.get(k) instanceof Move) return true;
        return false;
    }

    /**
     * This ct with its exec moves turned into the values they copy for packet i (read through x, so the cache entry
     * depends on the source bits), as OVS's translation composes them: the cached action sets constants.
     */
    private Ct resolved(Xlate x, int i) {
        int mark = sets.mark(), markMask = sets.markMask();
        long lh = sets.labelHi(), ll = sets.labelLo(), mh = sets.labelMaskHi(), ml = sets.labelMaskLo();
        for (Action a : exec) {
            if (!(a instanceof Move m)) continue;
            long v = x.read(i, m.src(), m.srcOfs(), m.nBits()), bits = Subfield.bits(m.nBits());
            if (m.dst() == Field.CT_MARK) {
                int k = (int) (bits << m.dstOfs());
                mark = (mark & ~k) | ((int) (v << m.dstOfs()) & k);
                markMask |= k;
            } else if (m.dstOfs() >= 64) {
                long k = bits << (m.dstOfs() - 64);
                lh = (lh & ~k) | ((v << (m.dstOfs() - 64)) & k);
                mh |= k;
            } else {
                long k = bits << m.dstOfs();
                ll = (ll & ~k) | ((v << m.dstOfs()) & k);
                ml |= k;
            }
        }
        return new Ct(commit, force, table, zone, zoneSrc, nat, exec, new Exec(mark, markMask, lh, ll, mh, ml));
    }
}
