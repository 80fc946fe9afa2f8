package io.xvio.datapath;

import io.xvio.datapath.action.*;

import io.xvio.packet.Ethernet;
import io.xvio.packet.FlowKey;
import io.xvio.packet.PacketBatch;
import io.xvio.packet.Segmentation;
import io.xvio.packet.Rewrite;

import io.xvio.datapath.DatapathDrops.Reason;
import io.xvio.datapath.conntrack.CtState;

import java.lang.foreign.MemorySegment;
import java.util.*;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

/**
 * The OpenFlow pipeline of one bridge. For each packet of a burst: extract its key, look it up in table 0,
 * execute the flow's actions (rewrites with checksum fixes, VLAN push/pop, resubmit and goto_table into later
 * tables, NORMAL switching with MAC learning and access/trunk VLANs) and record where copies of it go in
 * {@link Outputs}. The flow tables are immutable {@link Classifier}s published whole; a flow change never
 * shows a half-built table to a poll-mode thread. Without flows every packet is dropped (the control plane
 * gives a new bridge OVS's default flow, priority=0 actions=NORMAL).
 */
public final class BridgeDatapath {
    public static final int MAX_RESUBMIT_DEPTH = 64;
    /**
     * Table lookups and group buckets one packet's translation may run (OVS's MAX_RESUBMITS): groups chained in
     * groups multiply their buckets, 1,024 of each at two levels would be a million runs for one packet.
     */
    public static final int MAX_RESUBMITS = MAX_RESUBMIT_DEPTH * MAX_RESUBMIT_DEPTH;
    /** Passes a packet may make through the bridge after its first (OVS: 6). */
    public static final int MAX_RECIRCULATIONS = 6;

    /** What poll-mode threads read: replaced whole on every change, with what changed since earlier versions. */
    private record Tables(Classifier[] byTable, int[] indexByOfport, int[] ofports, PortVlan[] vlans, FlowList flows,
                          Flow normalOnly, ChangeLog changes, FragMode frag, boolean forwardBpdu, Map<Long, Group> groups, boolean[] live) {}

    private final String name;
    private final MacTable macs;
    private volatile Tables tables = new Tables(new Classifier[0], new int[0], new int[0], new PortVlan[0], FlowList.EMPTY, null,
            ChangeLog.INITIAL, FragMode.NORMAL, false, Map.of(), new boolean[0]);
    private final DatapathDrops drops = new DatapathDrops();
    /** Packets for the OpenFlow controllers, from the PMD threads to the control thread. */
    private final PacketIns packetIns = new PacketIns();
    private final Recirculations recircs = new Recirculations();
    /** Per PMD thread: the cache for recirculated packets (keyed on recirc_id too) and their queue. */
    private final MegaflowCache[] recircCaches = new MegaflowCache[MAX_THREADS];
    private final RecircFront[] recircFronts = new RecircFront[MAX_THREADS];
    private final RecircQueue[] recircQueues = new RecircQueue[MAX_THREADS + 2];
    private final MegaflowCache[] caches = new MegaflowCache[MAX_THREADS];
    private final MegaflowCache.Recorder[] recorders = new MegaflowCache.Recorder[MAX_THREADS];
    /** The entries a thread's burst took whose leading flows it credits when the burst ends. */
    private final EntryCredits credits = new EntryCredits();
    private final ExactMatchCache[] emcs = new ExactMatchCache[MAX_THREADS];
    private volatile boolean cacheEnabled = true, exactMatchEnabled = true;
    public static final int MAX_THREADS = io.xvio.util.PmdThreadLimit.MAX_THREADS;
    /**
     * The thread index of a trace (the control thread's, one at a time): its flow, group and drop counts go to rows
     * nothing sums, and NORMAL learns nothing from it.
     */
    static final int TRACE_THREAD = -2;
    /** The trace being made (only read on TRACE_THREAD's path). */
    private Trace tracing;

    /** The bridge's OpenFlow meters (meter:N). */
    private final io.xvio.datapath.meter.MeterTable meters = new io.xvio.datapath.meter.MeterTable();

    public io.xvio.datapath.meter.MeterTable meters() { return meters; }

    /** ct() and ct_clear on this bridge's packets, through the daemon's shared tracker. */
    private final CtExecution ct;
    /** Per thread: bursts since the last expiry step of the connection tracker. */
    private final int[] expiryTicks = new int[MAX_THREADS + 2];

    /** A bridge with a connection tracker of its own (tests; a daemon shares one between its bridges). */
    public BridgeDatapath(String name) {
        this(name, new io.xvio.datapath.conntrack.Conntrack(io.xvio.datapath.conntrack.Conntrack.DEFAULT_CAPACITY, MAX_THREADS + 2));
    }

    /** conntrack: the tracker every bridge of the daemon shares (thread indexes 0..MAX_THREADS+1). */
    public BridgeDatapath(String name, io.xvio.datapath.conntrack.Conntrack conntrack) {
        this.name = name;
        this.macs = new MacTable(8192, MacTable.DEFAULT_AGING_NS);
        this.ct = new CtExecution(conntrack);
        ct.fragments(new CtFragments(new CtFragments.Recirculation() {
            @Override public boolean queue(PacketBatch b, int j, int rid, int thread) {
                return queueRecirculation(b, j, rid, false, false, thread, null);
            }
        }));
    }

    public io.xvio.datapath.conntrack.Conntrack conntrack() { return ct.conntrack(); }

    public String name() { return name; }
    public MacTable macs() { return macs; }
    public List<Flow> flows() { return tables.flows(); }
    public DatapathDrops drops() { return drops; }
    public PacketIns packetIns() { return packetIns; }

    /** Flows learn(...) asks for, from the PMD threads to the control thread that adds them. */
    private final LearnQueue learns = new LearnQueue();

    public LearnQueue learnQueue() { return learns; }

    /** Per thread (index thread + 2): the source values of the learn being translated (no allocation per learning). */
    private final long[][] learnValues = new long[MAX_THREADS + 2][];
    public long droppedNoMatch() { return drops.get(Reason.NO_MATCH); }
    public long droppedTtl() { return drops.get(Reason.TTL); }
    public long droppedVlan() { return drops.get(Reason.VLAN); }
    public FragMode fragMode() { return tables.frag(); }
    public boolean forwardBpdu() { return tables.forwardBpdu(); }

    /**
     * Sets how IP fragments are handled and whether NORMAL forwards frames to reserved multicast addresses (OVS's
     * other_config:forward-bpdu, default false: dropped). Every cache of the bridge starts over.
     */
    public synchronized void setOptions(FragMode frag, boolean forwardBpdu) {
        Tables old = tables;
        publish(old.byTable(), old.indexByOfport(), old.ofports(), old.vlans(), old.flows(), old.changes().next(List.of(), true),
                frag, forwardBpdu, old.groups(), old.live());
    }

    /** Sets how IP fragments are handled (OpenFlow's SET_CONFIG), keeping forward-bpdu; see {@link #setOptions}. */
    public synchronized void setFragMode(FragMode frag) {
        if (frag != tables.frag()) setOptions(frag, tables.forwardBpdu());
    }

    /**
     * The groups (by id) as of now. The caches evict what ran a group that changed (an OVN load balancer's endpoints
     * change often: the other connections keep their entries); they start over when a changed group is one another
     * group's bucket watches (that bucket's liveness, which the entries do not record, may change).
     */
    public synchronized void setGroups(Map<Long, Group> groups) {
        Tables old = tables;
        ct.prepare(List.of(), groups.values());
        publish(old.byTable(), old.indexByOfport(), old.ofports(), old.vlans(), old.flows(), groupChange(old.changes(), old.groups(), groups),
                old.frag(), old.forwardBpdu(), Map.copyOf(groups), old.live());
    }

    /** The change log of a group change from was to now (see {@link #setGroups}). */
    private static ChangeLog groupChange(ChangeLog log, Map<Long, Group> was, Map<Long, Group> now) {
        java.util.Set<Long> changed = new java.util.HashSet<>();
        for (var e : was.entrySet()) if (now.get(e.getKey()) != e.getValue()) changed.add(e.getKey());
        for (var e : now.entrySet()) if (was.get(e.getKey()) != e.getValue()) changed.add(e.getKey());
        for (Map<Long, Group> m : List.of(was, now))
            for (Group g : m.values())
                for (Group.Bucket bk : g.buckets)
                    if (bk.watchGroup() != Group.Bucket.NO_WATCH_GROUP && changed.contains(bk.watchGroup())) return log.next(List.of(), true);
        return log.nextForGroups();
    }

    public Map<Long, Group> groups() { return tables.groups(); }

    /**
     * Which ports (by index) are live for group buckets' watch_port (fast_failover, select). A change starts every
     * cache over, so a bucket whose port went down is never taken from a cached decision.
     */
    public synchronized void setLive(boolean[] live) {
        Tables old = tables;
        if (Arrays.equals(old.live(), live)) return;
        publish(old.byTable(), old.indexByOfport(), old.ofports(), old.vlans(), old.flows(), old.changes().next(List.of(), true),
                old.frag(), old.forwardBpdu(), old.groups(), live.clone());
    }

    private void publish(Classifier[] byTable, int[] byOf, int[] ofports, PortVlan[] vlans, FlowList flows, ChangeLog changes,
                         FragMode frag, boolean forwardBpdu, Map<Long, Group> groups, boolean[] live) {
        // the common "priority=0 actions=NORMAL" bridge skips the table lookup (not when fragments must be dropped first)
        Flow normalOnly = null;
        if (flows.size() == 1 && frag != FragMode.DROP) {
            Flow f = flows.getFirst();
            boolean wild = true;
            for (int w = 0; w < FlowKey.WORDS; w++) wild &= f.match.isWild(w);
            if (wild && f.table == 0 && f.actions.equals(List.of(new Normal()))) normalOnly = f;
        }
        tables = new Tables(byTable, byOf, ofports, vlans, flows, normalOnly, changes, frag, forwardBpdu, groups, live);
    }

    /**
     * Whether a lookup that finds no flow sends the packet to the controllers (reason IMPLICIT_MISS) instead of dropping
     * it: OVS's miss_rule, used while some connection of controller id 0 speaks OpenFlow 1.0-1.2 (or none yet: every
     * ovs-ofctl command turns it on and off). Turned on, the caches evict what met a miss (a drop that is now a
     * packet-in); turned off, nothing: a miss while on is never cached.
     */
    public synchronized void setPacketInOnMiss(boolean on) {
        if (packetIns.onMiss() == on) return;
        packetIns.setOnMiss(on);
        if (!on) return;
        Tables old = tables;
        publish(old.byTable(), old.indexByOfport(), old.ofports(), old.vlans(), old.flows(), old.changes().nextForMisses(),
                old.frag(), old.forwardBpdu(), old.groups(), old.live());
    }

    /** Turns the megaflow cache off (for comparing against the plain table walk) or on. */
    public void setCacheEnabled(boolean on) { cacheEnabled = on; }

    /** Turns the exact-match cache in front of the megaflow cache off (to measure the megaflow lookup alone) or on. */
    public void setExactMatchEnabled(boolean on) { exactMatchEnabled = on; }

    /** Statistics of one PMD thread's cache for recirculated packets (racy reads). */
    public MegaflowStats recirculationStats(int thread) {
        MegaflowCache c = thread >= 0 && thread < MAX_THREADS ? recircCaches[thread] : null;
        return c == null ? new MegaflowStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                : new MegaflowStats(c.hits, c.misses, c.uncacheable, c.masks(), c.entries(), c.revalidations, c.evicted, c.kept, c.flushes, 0);
    }

    /** Megaflow cache statistics of one PMD thread (racy reads of its counters). */
    public MegaflowStats cacheStats(int thread) {
        MegaflowCache c = thread < MAX_THREADS ? caches[thread] : null;
        ExactMatchCache emc = c == null ? null : emcs[thread];
        return c == null ? new MegaflowStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                : new MegaflowStats(c.hits, c.misses, c.uncacheable, c.masks(), c.entries(), c.revalidations, c.evicted, c.kept,
                        c.flushes, emc == null ? 0 : emc.hits);
    }

    /**
     * Installs ports (ofports[i] is index i's OpenFlow number, vlans[i] its VLAN mode) and flows together. Flows
     * are told apart by identity: one not in the previous table set is added, one missing from it removed (a
     * mod-flows copy is both); caches evict what those can affect, and empty themselves if a port changed.
     */
    public synchronized void install(int[] ofports, PortVlan[] vlans, List<Flow> flows) {
        Tables old = tables;
        int[] byOf = indexByOfport(ofports);
        List<Flow> removed = new ArrayList<>(), added = new ArrayList<>();
        diff(old.flows(), flows, removed, added);
        Classifier[] byTable = classifiers(old.byTable(), flows, added, removed);
        boolean portsChanged = !Arrays.equals(old.ofports(), ofports) || !Arrays.equals(old.vlans(), vlans);
        ct.prepare(flows, old.groups().values());
        List<Flow> changed = new ArrayList<>(removed);
        changed.addAll(added);
        publish(byTable, byOf, ofports.clone(), vlans.clone(), FlowList.of(flows),
                old.changes().next(changed, portsChanged), old.frag(), old.forwardBpdu(), old.groups(),
                portsChanged ? new boolean[0] : old.live());
        for (Flow f : removed) f.removed = true;             // as markRemoved, without its identity set
        for (Flow f : flows) if (f.removed) f.removed = false;
    }

    /**
     * As {@link #install(int[], PortVlan[], List)} when the caller knows what changed: flows is the published list
     * without removed (by identity) and with added (appended at its end when nothing is removed). Costs what changed
     * (the pages of slots it writes, see {@link SlotPages}; the flow list is appended to in place, see {@link FlowList};
     * a copy of the list only when flows are removed), not a pass over every flow, so a controller adding flows one at
     * a time with a barrier after each (ovs-ofctl add-flows without --bundle) does not pay for the whole table each
     * time. A delta that does not add up is handed to the full install.
     */
    public synchronized void installChanges(int[] ofports, PortVlan[] vlans, List<Flow> flows, List<Flow> added, List<Flow> removed) {
        Tables old = tables;
        if (old.flows().size() - removed.size() + added.size() != flows.size()) {
            install(ofports, vlans, flows);
            return;
        }
        int[] byOf = indexByOfport(ofports);
        int len = old.byTable().length;
        for (Flow f : added) len = Math.max(len, f.table + 1);
        List<List<Flow>> add = new ArrayList<>(len), remove = new ArrayList<>(len);
        for (int t = 0; t < len; t++) { add.add(new ArrayList<>()); remove.add(new ArrayList<>()); }
        for (Flow f : added) add.get(f.table).add(f);
        for (Flow f : removed) if (f.table < len) remove.get(f.table).add(f);
        Classifier[] byTable = new Classifier[len];
        java.util.concurrent.atomic.AtomicReference<List<List<Flow>>> all = new java.util.concurrent.atomic.AtomicReference<>();
        for (int t = 0; t < len; t++) {
            Classifier o = t < old.byTable().length ? old.byTable()[t] : null;
            if (add.get(t).isEmpty() && remove.get(t).isEmpty()) {
                byTable[t] = o != null ? o : new Classifier(List.of());
                continue;
            }
            int tt = t;
            byTable[t] = Classifier.update(o, add.get(t), remove.get(t), () -> {
                if (all.get() == null) all.set(byTable(flows, Math.max(tt, flows.stream().mapToInt(f -> f.table).max().orElse(0))));
                return all.get().get(tt);
            });
        }
        while (len > 0 && byTable[len - 1].size() == 0) len--;           // as built whole: up to the last table with flows
        if (len < byTable.length) byTable = Arrays.copyOf(byTable, len);
        boolean portsChanged = !Arrays.equals(old.ofports(), ofports) || !Arrays.equals(old.vlans(), vlans);
        ct.prepare(added, old.groups().values());
        List<Flow> changed = new ArrayList<>(removed);
        changed.addAll(added);
        // nothing removed and flows ending with added: flows is the published list followed by added (as the contract
        // says), which is appended in place instead of copying every flow
        boolean appends = removed.isEmpty();
        for (int i = 0; appends && i < added.size(); i++) appends = flows.get(flows.size() - added.size() + i) == added.get(i);
        publish(byTable, byOf, ofports.clone(), vlans.clone(), appends ? old.flows().appended(added) : FlowList.of(flows),
                old.changes().next(changed, portsChanged), old.frag(), old.forwardBpdu(), old.groups(),
                portsChanged ? new boolean[0] : old.live());
        for (Flow f : removed) f.removed = true;
        for (Flow f : added) f.removed = false;
    }

    /** Flows of before that after lacks go to removed, flows of after that before lacks to added (by identity). */
    /**
     * The flows of before not in after (removed) and of after not in before (added), by identity: each list is marked
     * with a fresh stamp in the flows' {@link Flow#diffMark}. An identity set of 100,000 flows cost a third of a bundle's
     * table install (every identity hash is a write to the object's header). The lock keeps two bridges' diffs
     * (which never share flows, but nothing forbids it) from mixing stamps.
     */
    private static void diff(List<Flow> before, List<Flow> after, List<Flow> removed, List<Flow> added) {
        synchronized (DIFF) {
            long inAfter = ++diffStamp;
            for (Flow f : after) f.diffMark = inAfter;
            for (Flow f : before) if (f.diffMark != inAfter) removed.add(f);
            long inBefore = ++diffStamp;
            for (Flow f : before) f.diffMark = inBefore;
            for (Flow f : after) if (f.diffMark != inBefore) added.add(f);
        }
    }

    private static final Object DIFF = new Object();
    private static long diffStamp;

    /**
     * The classifiers of flows, table by table from old's (the tables before): a table nothing changed in keeps its
     * classifier, one that changed is updated ({@link Classifier#update}), tables past old's are built whole.
     */
    private static Classifier[] classifiers(Classifier[] old, List<Flow> flows, List<Flow> added, List<Flow> removed) {
        if (flows.isEmpty()) return new Classifier[0];
        if ((added.size() + removed.size()) * 2 > flows.size()) return classifiers(flows);
        int maxTable = 0;
        for (Flow f : flows) maxTable = Math.max(maxTable, f.table);
        List<List<Flow>> add = new ArrayList<>(), remove = new ArrayList<>();
        for (int t = 0; t <= maxTable; t++) { add.add(new ArrayList<>()); remove.add(new ArrayList<>()); }
        for (Flow f : added) add.get(f.table).add(f);
        for (Flow f : removed) if (f.table <= maxTable) remove.get(f.table).add(f);
        Classifier[] byTable = new Classifier[maxTable + 1];
        List<List<Flow>> all = null;
        for (int t = 0; t <= maxTable; t++) {
            Classifier o = t < old.length ? old[t] : null;
            if (o != null && add.get(t).isEmpty() && remove.get(t).isEmpty()) {
                byTable[t] = o;
                continue;
            }
            if (all == null) all = byTable(flows, maxTable);
            byTable[t] = Classifier.update(o, all.get(t), add.get(t), remove.get(t));
        }
        return byTable;
    }

    /** flows split by table number (each list in flows' order). */
    private static List<List<Flow>> byTable(List<Flow> flows, int maxTable) {
        List<List<Flow>> out = new ArrayList<>(maxTable + 1);
        for (int t = 0; t <= maxTable; t++) out.add(new ArrayList<>());
        for (Flow f : flows) out.get(f.table).add(f);
        return out;
    }

    /** The flows of table whose priority and match (value and mask) are these (usually none or one). */
    public List<Flow> flowsWithKey(int table, int priority, Match match) {
        Classifier[] byTable = tables.byTable();
        if (table < 0 || table >= byTable.length) return List.of();
        List<Flow> out = new ArrayList<>(1);
        for (Flow f : byTable[table].withMatch(match)) if (f.priority == priority) out.add(f);
        return out;
    }

    /** Flows of before that after lacks (by identity) are marked removed, those of after not (learn's refresh reads it). */
    private static void markRemoved(List<Flow> before, List<Flow> after) {
        Set<Flow> is = Collections.newSetFromMap(new IdentityHashMap<>());
        is.addAll(after);
        for (Flow f : before) if (!is.contains(f) && !f.removed) f.removed = true;
        for (Flow f : after) if (f.removed) f.removed = false;
    }

    /** Port index by OpenFlow port number (-1: none). */
    private static int[] indexByOfport(int[] ofports) {
        int max = 0;
        for (int p : ofports) max = Math.max(max, p);
        int[] byOf = new int[max + 1];
        Arrays.fill(byOf, -1);
        for (int i = 0; i < ofports.length; i++) byOf[ofports[i]] = i;
        return byOf;
    }

    /** One classifier per table number up to the highest a flow names. */
    private static Classifier[] classifiers(List<Flow> flows) {
        if (flows.isEmpty()) return new Classifier[0];
        int maxTable = flows.stream().mapToInt(f -> f.table).max().orElse(0);
        Classifier[] byTable = new Classifier[maxTable + 1];
        List<List<Flow>> all = byTable(flows, maxTable);
        for (int t = 0; t <= maxTable; t++) byTable[t] = new Classifier(all.get(t));
        return byTable;
    }

    /**
     * Installs ports, flows and groups in one publication (an OpenFlow bundle commit). With the groups unchanged
     * (the same objects by id) it is {@link #install(int[], PortVlan[], List)}; else every cache starts over, as
     * {@link #setGroups} does, and the flows and groups come into force together.
     */
    public synchronized void install(int[] ofports, PortVlan[] vlans, List<Flow> flows, Map<Long, Group> groups) {
        Tables old = tables;
        boolean same = old.groups().size() == groups.size();
        for (Map.Entry<Long, Group> e : groups.entrySet()) same &= old.groups().get(e.getKey()) == e.getValue();
        if (same) {
            install(ofports, vlans, flows);
            return;
        }
        int[] byOf = indexByOfport(ofports);
        Classifier[] byTable = classifiers(flows);
        boolean portsChanged = !Arrays.equals(old.ofports(), ofports) || !Arrays.equals(old.vlans(), vlans);
        ct.prepare(flows, groups.values());
        publish(byTable, byOf, ofports.clone(), vlans.clone(), FlowList.of(flows), old.changes().next(List.of(), true), old.frag(),
                old.forwardBpdu(), Map.copyOf(groups), portsChanged ? new boolean[0] : old.live());
        markRemoved(old.flows(), flows);
    }

    public void install(int[] ofports, List<Flow> flows) {
        PortVlan[] v = new PortVlan[ofports.length];
        Arrays.fill(v, PortVlan.TRUNK_ALL);
        install(ofports, v, flows);
    }

    public Recirculations recirculations() { return recircs; }

    /**
     * Traces frame received on OpenFlow port inOfport through the tables, as a PMD thread would translate it on a
     * cache miss, with the key words of meta (value/mask, e.g. registers) set first; counts and learns nothing.
     */
    public synchronized Trace trace(int inOfport, byte[] frame, Match meta) {
        Tables t = tables;
        int inPort = inOfport >= 0 && inOfport < t.indexByOfport().length ? t.indexByOfport()[inOfport] : -1;
        if (inPort < 0) throw new IllegalArgumentException("in_port " + inOfport + " is not a port of bridge " + name);
        if (frame.length < 14 || frame.length > PacketBatch.MAX_FRAME)
            throw new IllegalArgumentException("a frame of " + frame.length + " bytes (14 to " + PacketBatch.MAX_FRAME + ")");
        PacketBatch b = new PacketBatch();
        MemorySegment.copy(frame, 0, b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[0], frame.length);
        b.len[0] = frame.length;
        b.count = 1;
        FlowKey k = b.keys[0];
        k.extract(b.data, b.off[0], frame.length, inOfport);
        for (int w = 0; w < FlowKey.WORDS; w++) {
            long m = meta.mask(w);
            if (m != 0 && w != FlowKey.IN_PORT) k.w[w] = (k.w[w] & ~m) | (meta.value(w) & m);
        }
        Outputs out = new Outputs(t.ofports().length + 1);
        Trace tr = new Trace();
        tracing = tr;
        drops.clearTraceRow();
        long now = System.nanoTime();
        try {
            MegaflowCache.Recorder rec = new MegaflowCache.Recorder();
            rec.reset(k.w, Segmentation.wireLength(b, 0));
            rec.unwildcard(FlowKey.IN_PORT, 0xffff);
            startTranslation(TRACE_THREAD);
            run(t, 0, inPort, -1, b, 0, out, TRACE_THREAD, now, 0, false, true, rec);
            tr.megaflow = megaflow(rec);
            StringBuilder dp = new StringBuilder(rec.describe(t.ofports()));
            RecircQueue q = recircQueues[TRACE_THREAD + 2];
            for (int pass = 1; q != null && !q.isEmpty(); pass++) {
                int from = q.start, to = q.end;
                q.start = to;
                for (int e = from; e < to; e++) {
                    if (pass > MAX_RECIRCULATIONS) { drops.add(TRACE_THREAD, Reason.RECIRC_DEPTH, 1); continue; }
                    int j = q.packet[e];
                    FlowKey kj = b.keys[j];
                    kj.w[FlowKey.RECIRC_ID] = q.id[e];
                    tr.recirculation(pass, q.id[e]);
                    MegaflowCache.Recorder r = new MegaflowCache.Recorder();
                    r.reset(kj.w, Segmentation.wireLength(b, j));
                    r.unwildcard(FlowKey.RECIRC_ID, -1L);
                    r.unwildcard(FlowKey.IN_PORT, 0xffff);
                    startTranslation(TRACE_THREAD);
                    resume(t, q.id[e], inPortOf(t, kj), b, j, out, TRACE_THREAD, now, r);
                    dp.append("; recirc_id=0x").append(Integer.toHexString(q.id[e])).append(": ").append(r.describe(t.ofports()));
                    tr.megaflow += "; recirc_id=0x" + Integer.toHexString(q.id[e]) + ": " + megaflow(r);
                }
            }
            if (q != null) q.clear();
            tr.datapathActions = dp.toString();
            for (int x = 0; x < out.touchedCount(); x++) {
                int p = out.touchedPort(x), n = out.countFor(p);
                tr.outputs.add("port " + t.ofports()[p] + (n > 1 ? " (" + n + " frames)" : "") + patchNote(p));
                tr.outputPorts.add(new Trace.Output(t.ofports()[p], n));
            }
            drops.traceRow().forEach((reason, n) -> tr.drops.add(reason + (n > 1 ? " (" + n + ")" : "")));
            Match fin = new Match();
            for (int w = 0; w < FlowKey.WORDS; w++) if (k.w[w] != 0 || w == FlowKey.IN_PORT) fin.setWord(w, k.w[w], -1L);
            tr.finalFlow = FlowFormat.match(fin);
        } finally {
            tracing = null;
        }
        return tr;
    }

    /**
     * Runs an OpenFlow packet-out: frame, received as far as the actions know on OpenFlow port inOfport (a port of
     * the bridge, or a reserved one such as CONTROLLER 0xfffd, which NORMAL and IN_PORT do not send back to), through
     * actions (output:TABLE is resubmit(,0)), in slot 0 of b, which must be empty; what it sends is added to out,
     * which the caller transmits. thread: the calling PMD thread's index (-1 without one). Nothing is cached.
     */
    public void packetOut(int inOfport, byte[] frame, List<Action> actions, PacketBatch b, Outputs out, int thread, long now) {
        packetOut(inOfport, null, frame, actions, b, out, thread, now);
    }

    /** As above, the packet's key with metadata's pipeline fields (OpenFlow 1.5's packet-out match; null: none). */
    public void packetOut(int inOfport, Match metadata, byte[] frame, List<Action> actions, PacketBatch b, Outputs out, int thread, long now) {
        Tables t = tables;
        FlowKey k = loadFrame(frame, inOfport, b);
        // its pipeline fields but in_port over the frame's key, as OVS starts a packet-out's flow (flow_union_with_miniflow)
        if (metadata != null) for (int w = FlowKey.METADATA; w < FlowKey.WORDS; w++) restore(k, metadata, w, PipelineFields.bits(w));
        startTranslation(thread);
        Translation x = translation(thread);
        Flow outer = x.flow;
        x.flow = null;
        x.inPacketOut = true;                   // output:CONTROLLER's packet-in says packet_out (OVS's in_packet_out)
        x.cookieWithoutFlow = -1L;              // no flow: OVS's rule cookie stays all-ones
        try {
            execute(t, actions, 0, inPortOf(t, k), b, 0, out, thread, now, 0, false, true, null);
        } finally {
            x.flow = outer;
            x.inPacketOut = false;
            x.cookieWithoutFlow = 0;
        }
        finishFrame(t, b, out, thread, now);
    }

    /** Slot 0 of b (empty) gets frame, received on inOfport, and its key; the frame's size is checked. */
    private static FlowKey loadFrame(byte[] frame, int inOfport, PacketBatch b) {
        if (frame.length < 14 || frame.length > PacketBatch.MAX_FRAME)
            throw new IllegalArgumentException("a frame of " + frame.length + " bytes (14 to " + PacketBatch.MAX_FRAME + ")");
        MemorySegment.copy(frame, 0, b.data, java.lang.foreign.ValueLayout.JAVA_BYTE, b.off[0], frame.length);
        b.len[0] = frame.length;
        b.count = 1;
        FlowKey k = b.keys[0];
        k.extract(b.data, b.off[0], frame.length, inOfport);
        return k;
    }

    /** Key word w of k takes metadata's bits of w within which; a word after the packet's own extends the key. */
    private static void restore(FlowKey k, Match metadata, int w, long which) {
        long m = metadata.mask(w) & which;
        if (m == 0) return;
        k.extended |= w >= FlowKey.PACKET_WORDS;
        k.w[w] = (k.w[w] & ~m) | (metadata.value(w) & m);
    }

    /** After a packet-out's or resume's actions: its recirculations, then what it output to patch ports crosses. */
    private void finishFrame(Tables t, PacketBatch b, Outputs out, int thread, long now) {
        RecircQueue q = recircQueues[thread + 2];
        if (q != null && !q.isEmpty()) recirculate(t, q, b, out, thread, now, false);
        PatchLayout pl = patches;
        if (pl != null) pl.cross(b, out, thread, now);          // output:PATCH enters the peer's bridge, as in a burst
    }

    /** For a trace's output to port index p: where a patch port leads (the peer's bridge is traced on its own). */
    private String patchNote(int p) {
        PatchLayout pl = patches;
        if (pl == null) return "";
        for (PatchLayout.Hop h : pl.hops())
            if (h.at() == p && h.from() == this) return " (patch: enters bridge " + h.peer().name() + " with in_port=" + h.peerOfport() + ")";
        return "";
    }

    /**
     * Resumes a paused translation (NXT_RESUME, see {@link Paused}) as a packet-out: frame, received on inOfport, gets
     * the packet-in metadata the controller sent back (metadata, registers, pkt_mark, the tunnel fields, ct_state,
     * ct_zone, ct_mark and ct_label: metadata's words that hold them), the register stack (bottom first), then actions
     * run as the flow of table and cookie would have gone on. As {@link #packetOut}: slot 0 of b, outputs added to out; nothing cached.
     */
    public void resume(int inOfport, byte[] frame, Match metadata, long[] stack, List<Paused.Frame> frames,
                       PacketBatch b, Outputs out, int thread, long now) {
        Tables t = tables;
        FlowKey k = loadFrame(frame, inOfport, b);
        for (int w = FlowKey.METADATA; w <= FlowKey.XREG0 + 7; w++) restore(k, metadata, w, -1L);
        restore(k, metadata, FlowKey.PKT_MARK, -1L);
        // the tunnel and ct_state, ct_zone, ct_mark, ct_label, as OVS's xlate_resume (pkt_metadata_from_flow); not the
        // connection's tuple, which it leaves out (the metadata has no dl_type)
        for (int w = FlowKey.TUN_ID; w < FlowKey.TUN_METADATA0 + FlowKey.TUN_METADATA_WORDS; w++) restore(k, metadata, w, -1L);
        restore(k, metadata, FlowKey.CT_MISC, Field.CT_STATE.fullMask() | Field.CT_ZONE.fullMask());
        for (int w = FlowKey.CT_MARK; w <= FlowKey.CT_LABEL_LO; w++) restore(k, metadata, w, -1L);
        startTranslation(thread);
        RegisterStack s = stack(thread);
        for (long v : stack) s.push(v);
        Translation x = translation(thread);
        Flow outer = x.flow;
        x.flow = null;
        try {
            for (int f = 0; f < frames.size(); f++) {           // each unrolled list in its flow's table, innermost first
                Paused.Frame fr = frames.get(f);
                x.cookieWithoutFlow = fr.cookie();
                boolean last = f == frames.size() - 1;
                if (!execute(t, fr.rest(), fr.table(), inPortOf(t, k), b, 0, out, thread, now, 0, false, last, null)) break;
                if (x.unroll != null) {                     // paused again, in a list that others follow
                    x.unroll.addAll(frames.subList(f + 1, frames.size()));
                    x.finishPause(0);
                    break;
                }
            }
        } finally {
            x.flow = outer;
            x.cookieWithoutFlow = 0;
            x.unroll = null;
        }
        finishFrame(t, b, out, thread, now);
    }

    /** The megaflow a recorder would insert, as a match. */
    private static String megaflow(MegaflowCache.Recorder rec) {
        Match m = new Match();
        for (int w = 0; w < FlowKey.WORDS; w++) if (rec.wc[w] != 0) m.setWord(w, rec.original[w] & rec.wc[w], rec.wc[w]);
        String s = FlowFormat.match(m);
        StringBuilder guards = new StringBuilder();       // check_pkt_larger's: the packet lengths the entry holds for
        for (int g = 0; g < rec.nguards && !rec.uncacheable; g++)
            guards.append(", length ").append((rec.guardLarger >>> g & 1) != 0 ? ">= " : "< ").append(rec.guardNeed[g]);
        return (rec.uncacheable ? "(not cached) " : "") + (s.isEmpty() ? "(every packet)" : s) + guards;
    }

    /** Decides where packets 0..b.count of a burst received on port index inPort go. */
    public void process(int inPort, PacketBatch b, Outputs out, int thread, long now) {
        PatchLayout crossing = patches;
        if (crossing != null) PatchLayout.receiving(b);           // marks a header-free path leaves in the keys: 0
        Underlay u = underlay;
        if (u != null) u.intercept(inPort, b, out, crossing, thread, now);   // ARP/ND and tunnel frames of an underlay bridge
        Tables t = tables;
        ct.beforeBurst(b, thread, now);      // fragments of datagrams completed earlier go first
        // chunks: a burst whose packets need more copies than the batch has slots goes out in parts, each after all
        // its passes and crossings, when no copy is in use any more; sized by the copies a packet needed last burst
        boolean chunked = out.chunked() && thread >= 0 && thread < MAX_THREADS;
        int need = chunked ? copyNeed[thread + 2] : 0, measured = 0;
        for (int from = 0, n = b.count; ; ) {
            int copies0 = b.copyDemand();
            int to = firstPass(t, inPort, b, from, chunked ? need : -1, out, thread, now);
            RecircQueue q = recircQueues[thread + 2];
            if (q != null && !q.isEmpty()) recirculate(t, q, b, out, thread, now, chunked);
            PatchLayout pl = patches;
            if (pl != null) pl.cross(b, out, thread, now);         // what went to patch ports enters the peers' bridges
            if (to <= from || to >= n) {
                if (chunked) copyNeed[thread + 2] = Math.max(measured, perPacket(b.copyDemand() - copies0, to - from));
                break;
            }
            measured = Math.max(measured, perPacket(b.copyDemand() - copies0, to - from));
            need = Math.max(need, measured);
            out.sendChunk(b);
            from = to;
        }
        if (thread >= 0 && thread < MAX_THREADS) credits.credit(thread, now);
        if ((++expiryTicks[thread + 2] & 7) == 0) {             // every 8th burst: reclaim a few expired connections
            io.xvio.datapath.conntrack.ConnTracker tr = ct.conntrack().get();
            if (tr != null) tr.expire(now, 64);
        }
    }

    /** Per thread (index thread + 2): the copies a packet of its last burst needed, made or missed (see {@link #process}). */
    private final int[] copyNeed = new int[MAX_THREADS + 2];

    /** Copies per packet, rounded up, of n packets that made (or missed) copies copies. */
    private static int perPacket(int copies, int n) { return n <= 0 ? 0 : (copies + n - 1) / n; }

    /** The patch ports this bridge's receive queues can reach (see {@link PatchLayout}), or null: none. */
    private volatile PatchLayout patches;

    public PatchLayout patches() { return patches; }

    /** Control thread, with this bridge's queues not polled: the patch ports of the port array its queues send to. */
    public void setPatches(PatchLayout p) { patches = p; }

    /** The tunnel endpoint in front of this bridge's tables (a bridge with ip:), or null. */
    private volatile Underlay underlay;

    public Underlay underlay() { return underlay; }

    /** Control thread: installs (or, with null, removes) this bridge's tunnel endpoint. */
    public void setUnderlay(Underlay u) { underlay = u; }

    /**
     * Runs packet i, whose key is extracted already (a decapsulated packet with its tun_* words, see {@link Underlay}),
     * through this bridge as received on port index inPort, then its recirculations. Cached like the first pass.
     */
    public void processKeyed(int inPort, PacketBatch b, int i, Outputs out, int thread, long now) {
        Tables t = tables;
        if (inPort >= t.ofports().length) { drops.add(thread, Reason.NO_MATCH, 1); return; }
        if (!cacheEnabled || thread < 0 || thread >= MAX_THREADS) {
            startTranslation(thread);
            MegaflowCache.Recorder fr = ct.fragments().recorderFor(b.keys[i], thread);   // null but for fragments
            run(t, 0, inPort, -1, b, i, out, thread, now, 0, false, true, fr);
            if (fr != null) continueFragments(t, b, out, thread, now);
        } else {
            MegaflowCache c = caches[thread];
            if (c == null) {
                c = caches[thread] = new MegaflowCache();
                emcs[thread] = new ExactMatchCache();
                recorders[thread] = new MegaflowCache.Recorder();
            }
            c.validate(t.changes(), t.groups());
            FlowKey k = b.keys[i];
            MegaflowCache.Entry e = c.lookup(k.w, b, i);
            if (e != null) {
                c.hits++;
                replay(t, e, b, i, out, thread, now);
            } else {
                c.misses++;
                MegaflowCache.Recorder rec = recorders[thread];
                rec.reset(k.w, Segmentation.wireLength(b, i));
                rec.unwildcard(FlowKey.IN_PORT, 0xffff);
                startTranslation(thread);
                run(t, 0, inPort, -1, b, i, out, thread, now, 0, false, true, rec);
                if (rec.uncacheable) c.uncacheable++;
                else c.insert(rec.original, rec);
                continueFragments(t, b, out, thread, now);   // the fragments a ct() without table sent on, as firstPass
            }
        }
        RecircQueue q = recircQueues[thread + 2];
        if (q != null && !q.isEmpty()) recirculate(t, q, b, out, thread, now, false);
        if (thread >= 0 && thread < MAX_THREADS) credits.credit(thread, now);
    }

    /**
     * The passes after the first: each takes the packets the previous one queued (a copy of a packet, or the packet
     * itself when it had nothing else to do) and looks them up again with their recirc_id, in the thread's cache
     * for recirculated packets, translating from the frozen state on a miss. A packet's seventh recirculation is
     * dropped and counted.
     */
    private void recirculate(Tables t, RecircQueue q, PacketBatch b, Outputs out, int thread, long now, boolean chunked) {
        boolean cached = cacheEnabled && thread >= 0 && thread < MAX_THREADS;
        // chunked (a burst's, on a bridge without patch ports): sends what is queued when the next packet may find
        // too few copy slots and every packet still queued here is one of the burst's own (no copy in use)
        chunked &= patches == null;
        int need = 0, demand = b.copyDemand();
        MegaflowCache c = null;
        RecircFront front = null;
        if (cached) {
            c = recircCaches[thread];
            if (c == null) {
                c = recircCaches[thread] = new MegaflowCache();
                recircFronts[thread] = new RecircFront();
            }
            front = recircFronts[thread];
            c.validate(t.changes(), t.groups());
        }
        for (int pass = 1; !q.isEmpty(); pass++) {
            int from = q.start, to = q.end;
            q.start = to;
            if (pass > MAX_RECIRCULATIONS) {
                drops.add(thread, Reason.RECIRC_DEPTH, to - from);
                continue;
            }
            // last: the entry the packet before took from the cache (lastPacket; lastId its recirc_id), for the
            // packets whose key is a copy of that packet's (RecircQueue#twinOf: a ct run), which take it as it is
            MegaflowCache.Entry last = null;
            int lastPacket = -1, lastId = 0;
            for (int e = from; e < to; e++) {
                if (chunked) {
                    need = Math.max(need, b.copyDemand() - demand);       // the copies the packet before made
                    demand = b.copyDemand();
                    if (e > from && b.copies + need > PacketBatch.BURST && q.onlyReceived(e)) out.sendChunk(b);
                }
                int j = q.packet[e];
                FlowKey k = b.keys[j];
                k.w[FlowKey.RECIRC_ID] = q.id[e];
                // the packet before's entry also serves a packet whose key it matches (a run of one flow's packets in
                // a pass after a ct() with a commit: OVN's last pass), without a hash or a probe per mask
                if (last != null && q.id[e] == lastId && (q.twinOf[e] == lastPacket || last.matches(k.w) && last.admits(b, j))) {
                    c.hits++;
                    replay(t, last, b, j, out, thread, now);
                    lastPacket = j;
                    continue;
                }
                last = null;
                int inPort = inPortOf(t, k);
                if (!cached) {
                    startTranslation(thread);
                    MegaflowCache.Recorder fr = ct.fragments().recorderFor(k, thread);     // null but for fragments
                    resume(t, q.id[e], inPort, b, j, out, thread, now, fr);
                    if (fr != null) continueFragments(t, b, out, thread, now);
                    continue;
                }
                MegaflowCache.Entry hit = front.find(k.w, c.epoch);
                if (hit == null) {
                    hit = c.lookup(k.w, b, j);
                    if (hit != null && hit.recircFront) front.insert(k.w, c.epoch, hit);
                }
                if (hit != null) {
                    c.hits++;
                    replay(t, hit, b, j, out, thread, now);
                    last = hit;
                    lastPacket = j;
                    lastId = q.id[e];
                    continue;
                }
                c.misses++;
                MegaflowCache.Recorder rec = recorders[thread];
                if (rec == null) rec = recorders[thread] = new MegaflowCache.Recorder();
                rec.reset(k.w, Segmentation.wireLength(b, j));
                rec.unwildcard(FlowKey.RECIRC_ID, -1L);
                rec.unwildcard(FlowKey.IN_PORT, 0xffff);
                startTranslation(thread);
                resume(t, q.id[e], inPort, b, j, out, thread, now, rec);
                if (rec.uncacheable) {
                    c.uncacheable++;
                } else {
                    MegaflowCache.Entry fresh = c.insert(rec.original, rec);
                    if (fresh.recircFront) front.insert(rec.original, c.epoch, fresh);
                }
                continueFragments(t, b, out, thread, now);
            }
        }
        q.clear();
    }

    /** Translates recirculated packet j from the state its recirc_id froze. */
    private void resume(Tables t, int id, int inPort, PacketBatch b, int j, Outputs out, int thread, long now, MegaflowCache.Recorder rec) {
        Recirculations.Frozen f = recircs.get(id);
        if (f == null) {                                    // cannot happen: ids are never taken back
            drop(thread, Reason.NO_MATCH, rec);
            return;
        }
        RegisterStack st = stack(thread);                   // the stack the packet left with (the caller cleared it)
        for (long v : f.stack()) st.push(v);
        switch (f.kind()) {
            case RESUME_TABLE -> run(t, f.table(), inPort, -1, b, j, out, thread, now, 0, false, true, rec);
            case SELECT_BUCKET -> {
                Group g = t.groups().get(f.arg());
                if (g == null || g.dpHashMap == null) {
                    drop(thread, Reason.GROUP_MISSING, rec);
                    return;
                }
                int x = dpHashBucket(t, g, b.keys[j], rec);
                if (x < 0) {
                    drop(thread, Reason.GROUP_NO_LIVE_BUCKET, rec);
                    return;
                }
                bucket(t, g, x, f.table(), inPort, b, j, out, thread, now, 1, false, true, rec);
            }
        }
    }

    /**
     * The bucket of a dp_hash select group for key k: the slot dp_hash names, or if its bucket is dead the next slot's
     * with a live bucket (OVS's pick_dp_hash_select_group), so the choice still reads only the slot bits; -1 if none.
     */
    private static int dpHashBucket(Tables t, Group g, FlowKey k, MegaflowCache.Recorder rec) {
        long h = k.w[FlowKey.DP_HASH];
        int mask = g.dpHashMap.length - 1;
        if (rec != null) rec.unwildcard(FlowKey.DP_HASH, mask);
        for (int step = 0; step <= mask; step++) {
            int x = g.dpHashMap[(int) (h + step) & mask];
            if (live(t, g, g.buckets.get(x), 0)) return x;
        }
        return -1;
    }

    /**
     * The live bucket with the highest weighted score of hash h and the bucket's id (so removing a bucket moves only
     * its own flows), or -1 if none is live with a weight.
     */
    private static int bestLiveBucket(Tables t, Group g, long h) {
        int best = -1;
        long bestScore = -1;
        for (int x = 0; x < g.buckets.size(); x++) {
            Group.Bucket bk = g.buckets.get(x);
            if (!live(t, g, bk, 0)) continue;
            long score = (SelectHash.mix(h ^ (bk.bucketId() * 0x9E3779B97F4A7C15L)) >>> 32) * bk.weight();   // < 2^48: no overflow
            if (score > bestScore) { bestScore = score; best = x; }
        }
        return best;
    }

    /** Counts a drop by reason and records it for the cache. */
    private void drop(int thread, Reason r, MegaflowCache.Recorder rec) {
        drops.add(thread, r, 1);
        if (rec != null) rec.drop(r);
    }

    /**
     * Queues packet i for another pass with recirc_id id: a copy of it unless it has nothing else to do (tail);
     * with dpHash, the copy's dp_hash is computed first (the packet's own: after its queued sends moved to a copy,
     * out: the outputs so far, null when there can be none). Returns false if the packet could not be queued.
     */
    private boolean queueRecirculation(PacketBatch b, int i, int id, boolean copy, boolean dpHash, int thread, Outputs out) {
        if (dpHash && !copy && out != null) unshare(b, i, out, thread);     // a patch port's crossing reads dp_hash
        int j = copy ? b.copy(i) : i;
        if (j < 0) { drops.add(thread, Reason.COPIES, 1); return false; }
        if (dpHash) b.keys[j].w[FlowKey.DP_HASH] = SelectHash.dpHash(b.keys[j]);
        RecircQueue q = recircQueues[thread + 2];
        if (q == null) q = recircQueues[thread + 2] = new RecircQueue();    // once per thread
        if (!q.add(j, id)) { drops.add(thread, Reason.RECIRC_QUEUE, 1); return false; }
        return true;
    }

    /**
     * The first pass of packets from.. of the burst. need: the copies a packet is expected to make; the pass stops
     * before a packet that may find too few copy slots left (and returns its index, else b.count). -1: never stops.
     */
    private int firstPass(Tables t, int inPort, PacketBatch b, int from, int need, Outputs out, int thread, long now) {
        int n = b.count, base = b.copies;     // copies its later passes make are not made yet: counted as need each
        if (inPort >= t.ofports().length) { drops.add(thread, Reason.NO_MATCH, n - from); return n; }
        int inOf = t.ofports()[inPort];
        Flow normalOnly = t.normalOnly();
        if (normalOnly != null) {          // NORMAL makes a copy per packet at most: a whole burst's fit (from is 0)
            long bytes = 0, prev0 = 0, prev1 = 0;
            int prevPort = -1;
            boolean noKeyed = keyedPorts == null;         // a repeat to a tunnel port would leave the slot's old key: extract
            MemorySegment d = b.data;
            for (int i = 0; i < n; i++) {
                int len = b.len[i];
                bytes += len;
                long o = b.off[i];
                // a frame whose first 16 bytes (addresses, type, VLAN tag) equal the previous one's goes where it
                // went: same source just learned, same destination looked up, nothing in between
                long w0 = len >= 16 ? d.get(JAVA_LONG_UNALIGNED, o) : 0, w1 = len >= 16 ? d.get(JAVA_LONG_UNALIGNED, o + 8) : 0;
                if (prevPort >= 0 && len >= 16 && w0 == prev0 && w1 == prev1 && (noKeyed || !keyed(prevPort))) {
                    out.add(prevPort, i);
                    continue;
                }
                b.keys[i].extractL2(d, o, len, inOf);
                prevPort = len >= 16 ? normal(t, inPort, b, i, out, thread, now, false) : -1;
                prev0 = w0;
                prev1 = w1;
            }
            normalOnly.hit(thread, n, bytes, now);
            return n;
        }
        if (!cacheEnabled || thread >= MAX_THREADS) {
            for (int i = from, mark = b.copies; i < n; i++) {
                if (need > 0 || need == 0 && b.copies != mark) {     // chunked and copying: stop where copy slots may run out
                    need = Math.max(need, b.copies - mark);     // the copies packet i - 1 made
                    mark = b.copies;
                    if (i > from && Math.max(b.copies, base + (i - from) * need) + need > PacketBatch.BURST) return i;
                }
                b.keys[i].extract(b.data, b.off[i], b.len[i], inOf);
                startTranslation(thread);
                MegaflowCache.Recorder fr = ct.fragments().recorderFor(b.keys[i], thread);   // null but for fragments
                run(t, 0, inPort, -1, b, i, out, thread, now, 0, false, true, fr);
                if (fr != null) continueFragments(t, b, out, thread, now);
            }
            return n;
        }
        MegaflowCache c = caches[thread];
        if (c == null) {                      // first packet of this thread: its own caches and recorder
            c = caches[thread] = new MegaflowCache();
            emcs[thread] = new ExactMatchCache();
            recorders[thread] = new MegaflowCache.Recorder();
        }
        c.validate(t.changes(), t.groups());           // a new table version: evict what its changes can affect
        // a translation that depends on the input port alone and reads no header applies to the whole burst
        // without looking at the packets (the two in_port flows of a cross-connect, say)
        MegaflowCache.Entry whole = c.portEntry(inOf);
        if (whole != null && whole.headerFree) {
            c.hits += n - from;
            replayBurst(t, whole, b, from, out, thread, now);
            return n;
        }
        if (whole != null && whole.selectTail && recircCaches[thread] != null && from == 0) {
            selectBurst(t, c, whole, inOf, b, out, thread, now);
            return n;
        }
        ExactMatchCache emc = emcs[thread];
        boolean useEmc = exactMatchEnabled;
        MemorySegment d = b.data;
        // prev: the header-free entry of the frame emc loaded last (a plain IPv4 frame); the frames with its key
        // bytes that follow take it without a lookup, their counters added up as one run
        MegaflowCache.Entry prev = null;
        int run = 0;
        long runBytes = 0;
        // ctRun: the ct(table=T) entry (MegaflowCache.Entry#ctTail) emc loaded last, taken by packet ctPrev; the
        // frames with its key bytes that follow may take that packet's verdict (CtExecution#repeat), their flow
        // counters added up as one run (ctRunN packets, ctRunBytes) when it ends
        MegaflowCache.Entry ctRun = null;
        int ctPrev = -1, ctRunN = 0;
        long ctRunBytes = 0;
        int stop = n;
        for (int i = from, mark = b.copies; i < n; i++) {
            if (need > 0 || need == 0 && b.copies != mark) {     // chunked and copying: stop where copy slots may run out
                need = Math.max(need, b.copies - mark);     // the copies packet i - 1 made
                mark = b.copies;
                if (i > from && Math.max(b.copies, base + (i - from) * need) + need > PacketBatch.BURST) { stop = i; break; }
            }
            int len = b.len[i];
            long o = b.off[i];
            if (prev != null) {
                if (emc.sameAsLoaded(d, o, len)) {
                    replayOutputs(t, prev, b, i, out, thread);
                    run++;
                    runBytes += len;
                    continue;
                }
                endRun(c, emc, prev, run, runBytes, thread, now);
                prev = null;
            }
            if (ctRun != null) {
                if (emc.sameAsLoaded(d, o, len)) {
                    c.hits++;
                    emc.hits++;
                    if (repeatCtTail(ctRun, b, i, ctPrev, thread)) {
                        ctRunN++;
                        ctRunBytes += len;
                    } else {                     // the tracker must see this one: its own key, the whole translation
                        b.keys[i].extract(d, o, len, inOf);
                        replay(t, ctRun, b, i, out, thread, now);
                    }
                    ctPrev = i;
                    continue;
                }
                if (ctRunN > 0) replayCounters(ctRun, ctRunN, ctRunBytes, thread, now);
                ctRunN = 0;
                ctRunBytes = 0;
                ctRun = null;
            }
            boolean exact = useEmc && emc.load(d, o, len, inOf);
            if (exact) {
                MegaflowCache.Entry e = emc.find(inOf, c.epoch);
                if (e != null && e.headerFree) {
                    prev = e;
                    replayOutputs(t, e, b, i, out, thread);
                    run = 1;
                    runBytes = len;
                    continue;
                }
                if (e != null && e.admits(b, i)) {     // a translation that reads or rewrites headers: no probes, but the key
                    b.keys[i].extract(d, o, len, inOf);
                    c.hits++;
                    emc.hits++;
                    replay(t, e, b, i, out, thread, now);
                    if (e.ctTail && ct.repeatable(thread)) {
                        ctRun = e;
                        ctPrev = i;
                    }
                    continue;
                }
            }
            FlowKey k = b.keys[i];
            k.extract(d, o, len, inOf);
            MegaflowCache.Entry e = c.lookup(k.w, b, i);
            if (e != null) {
                c.hits++;
                replay(t, e, b, i, out, thread, now);
                if (exact) emc.insert(inOf, c.epoch, e);
                if (exact && e.headerFree) {
                    prev = e;
                    run = 0;
                    runBytes = 0;
                }
                continue;
            }
            c.misses++;
            MegaflowCache.Recorder rec = recorders[thread];
            rec.reset(k.w, Segmentation.wireLength(b, i));
            rec.unwildcard(FlowKey.IN_PORT, 0xffff);
            startTranslation(thread);
            run(t, 0, inPort, -1, b, i, out, thread, now, 0, false, true, rec);
            if (rec.uncacheable) {
                c.uncacheable++;
            } else {
                MegaflowCache.Entry fresh = c.insert(rec.original, rec);
                if (exact) emc.insert(inOf, c.epoch, fresh);
            }
            continueFragments(t, b, out, thread, now);
        }
        if (prev != null) endRun(c, emc, prev, run, runBytes, thread, now);
        if (ctRun != null && ctRunN > 0) replayCounters(ctRun, ctRunN, ctRunBytes, thread, now);
        return stop;
    }

    /**
     * A burst whose first pass is entry first for all packets (in_port alone, then a dp_hash select group's
     * hash(l4),recirc): each packet takes its dp_hash slot's second-pass entry from the entry's {@link SelectChain}
     * at once, as if it had been recirculated and looked up. A slot not chained yet is looked up in the
     * recirculation cache (and chained when its entry qualifies); a packet whose second pass is not cached yet
     * is queued for recirculation as the first pass would queue it, and is translated after the burst.
     */
    private void selectBurst(Tables t, MegaflowCache c, MegaflowCache.Entry first, int inOf, PacketBatch b, Outputs out,
                             int thread, long now) {
        MegaflowCache rc = recircCaches[thread];
        rc.validate(t.changes(), t.groups());
        SelectChain chain = first.chain;
        if (chain == null) chain = first.chain = new SelectChain();
        chain.validate(c.epoch, rc.epoch);
        int n = b.count, rid = (int) first.a[first.nops - 1], recircHits = 0;
        long bytes = 0;
        MemorySegment d = b.data;
        int[] count = chain.count;
        long[] slotBytes = chain.bytes;
        long touched = 0;
        boolean deferred = false;
        for (int i = 0; i < n; i++) {
            int len = b.len[i];
            long o = b.off[i];
            bytes += len;
            if (deferred) {                       // after a packet that needs a translation: in order, behind it
                b.keys[i].extract(d, o, len, inOf);
                queueRecirculation(b, i, rid, false, true, thread, null);
                continue;
            }
            long h = SelectHash.frameDpHash(d, o, len);
            MegaflowCache.Entry e = h >= 0 ? chain.slots[(int) h & (Group.DP_HASH_SLOTS - 1)] : null;
            if (e != null) {
                recircHits++;
            } else {
                e = selectSlot(t, rc, chain, rid, h, inOf, b, i, out, thread, now);
                if (e == QUEUED) deferred = true;
                if (e == null || e == QUEUED) continue;
                h = b.keys[i].w[FlowKey.DP_HASH];
            }
            int slot = (int) h & (Group.DP_HASH_SLOTS - 1);
            count[slot]++;
            slotBytes[slot] += len;
            touched |= 1L << slot;
            replayOutputs(t, e, b, i, out, thread);
        }
        for (; touched != 0; touched &= touched - 1) {       // each slot's counters once per burst
            int slot = Long.numberOfTrailingZeros(touched);
            replayCounters(chain.slots[slot], count[slot], slotBytes[slot], thread, now);
            count[slot] = 0;
            slotBytes[slot] = 0;
        }
        replayCounters(first, n, bytes, thread, now);
        c.hits += n;
        rc.hits += recircHits;
    }

    /** {@link #selectSlot}'s answer for a packet queued for recirculation. */
    private static final MegaflowCache.Entry QUEUED = new MegaflowCache.Entry();

    /**
     * Packet i of a select burst whose slot is not chained (or whose frame the burst cannot hash, h < 0): its key's
     * dp_hash slot, then the recirculation cache. Returns the slot's entry when the chain may hold it (now chained)
     * for the caller to run; {@link #QUEUED} having queued the packet for recirculation (no entry yet: the rest of
     * the burst follows it there, so packets leave in the order the tables would send them); null having replayed
     * the entry it found (one that reads more than the slot).
     */
    private MegaflowCache.Entry selectSlot(Tables t, MegaflowCache rc, SelectChain chain, int rid, long h, int inOf,
                                           PacketBatch b, int i, Outputs out, int thread, long now) {
        FlowKey k = b.keys[i];
        k.extract(b.data, b.off[i], b.len[i], inOf);
        if (h < 0) {
            h = SelectHash.dpHash(k);
        }
        k.w[FlowKey.DP_HASH] = h;                           // the caller reads the slot from here
        if (chain.slots[(int) h & (Group.DP_HASH_SLOTS - 1)] != null) {
            rc.hits++;
            return chain.slots[(int) h & (Group.DP_HASH_SLOTS - 1)];
        }
        k.w[FlowKey.RECIRC_ID] = rid;
        MegaflowCache.Entry e = rc.lookup(k.w, b, i);
        if (e == null) {                                    // translated after the burst, as a recirculation
            queueRecirculation(b, i, rid, false, true, thread, null);
            return QUEUED;
        }
        rc.hits++;
        if (!e.dpHashOnly) {
            replay(t, e, b, i, out, thread, now);
            return null;
        }
        chain.slots[(int) h & (Group.DP_HASH_SLOTS - 1)] = e;
        return e;
    }

    /**
     * A {@link MegaflowCache.Entry#ctTail} translation for packet i, the burst's next frame with the key bytes of
     * packet prev (which took e just before): if the tracker's verdict on prev may be repeated for it, packet i takes
     * prev's key (the same key bytes give the same words; prev's ct_* words are the verdict) and is queued for the
     * recirculation; its flow hits are counted with the run's when it ends ({@link #replayCounters}). False: nothing was done, i must
     * be tracked (its key is not extracted yet).
     */
    private boolean repeatCtTail(MegaflowCache.Entry e, PacketBatch b, int i, int prev, int thread) {
        if (!ct.repeat(b, i, prev, thread)) return false;
        RecircQueue q = recircQueues[thread + 2];          // made when prev's translation queued prev
        if (q == null || !q.add(i, (int) e.a[e.nops - 1], prev)) drops.add(thread, Reason.RECIRC_QUEUE, 1);
        return true;
    }

    /** Counts a run of packets that took entry e through the exact-match path. */
    private void endRun(MegaflowCache c, ExactMatchCache emc, MegaflowCache.Entry e, int run, long bytes, int thread, long now) {
        if (run == 0) return;
        replayCounters(e, run, bytes, thread, now);
        c.hits += run;
        emc.hits += run;
    }

    /** The outputs of a header-free translation (see {@link MegaflowCache.Entry#headerFree}) for packet i. */
    private void replayOutputs(Tables t, MegaflowCache.Entry e, PacketBatch b, int i, Outputs out, int thread) {
        for (int x = 0, nops = e.nops; x < nops; x++) {
            switch (e.op[x]) {
                case MegaflowCache.OP_OUT -> emit(b, i, (int) e.a[x], out, e.b[x] != 0, thread);
                case MegaflowCache.OP_FLOOD -> flood(t, b, i, (int) e.a[x], out, e.b[x] != 0, thread);
                default -> { }
            }
        }
    }

    /** The counters of a header-free translation taken by n packets of the given bytes: flow hits and drops. */
    private void replayCounters(MegaflowCache.Entry e, int n, long bytes, int thread, long now) {
        if (e.counted.length != 0) credits.add(e, n, bytes, thread, now);
        for (int x = 0, nops = e.nops; x < nops; x++) {
            switch (e.op[x]) {
                case MegaflowCache.OP_HIT -> ((Flow) e.ref[x]).hit(thread, n, bytes, now);
                case MegaflowCache.OP_NO_MATCH -> { if (e.c[x] != 0) drops.add(thread, Reason.NO_MATCH, n); }
                case MegaflowCache.OP_LOOP -> drops.add(thread, Reason.LOOP, n);
                case MegaflowCache.OP_GROUP -> ((Group) e.ref[x]).hit(thread, (int) e.a[x], n, bytes);
                case MegaflowCache.OP_DROP -> drops.add(thread, REASONS[(int) e.a[x]], n);
                default -> { }
            }
        }
    }

    /** Executes a header-independent translation (see {@link MegaflowCache.Entry#headerFree}) on a whole burst. */
    private void replayBurst(Tables t, MegaflowCache.Entry e, PacketBatch b, int from, Outputs out, int thread, long now) {
        int n = b.count;
        long bytes = 0;
        for (int i = from; i < n; i++) bytes += b.len[i];
        replayCounters(e, n - from, bytes, thread, now);
        // outputs packet by packet, in the order the per-packet path would emit them
        for (int i = from; i < n; i++) replayOutputs(t, e, b, i, out, thread);
    }

    /** Per thread: the packet indices OP_CLONE left behind (nested group buckets), for replay. */
    private final int[][] cloneStacks = new int[MAX_THREADS][];

    /** Executes a cached translation on packet i: the same effects as the table walk that recorded it. */
    private void replay(Tables t, MegaflowCache.Entry e, PacketBatch b, int i, Outputs out, int thread, long now) {
        if (e.counted.length != 0) credits.add(e, 1, b.len[i], thread, now);
        replay(t, e, b, i, out, thread, now, 0, 0);
    }

    /**
     * Executes ops from..end of a translation on packet i; from > 0: the ops after a ct() without table, for a
     * fragment it sent on (already untracked: a first OP_CT_DONE is skipped; it ends with the clone it was in).
     * base: the depth of the thread's clone stack in use by the replay that sent the fragment on (0 if none), so
     * this one's clones stack above the packets that replay will go back to.
     */
    private void replay(Tables t, MegaflowCache.Entry e, PacketBatch b, int i, Outputs out, int thread, long now, int from, int base) {
        FlowKey k = b.keys[i];
        int depth = base;
        int[] stack = null;
        if (from > 0 && from < e.nops && e.op[from] == MegaflowCache.OP_CT_DONE) from++;
        for (int x = from, n = e.nops; x < n; x++) {
            switch (e.op[x]) {
                case MegaflowCache.OP_GROUP -> ((Group) e.ref[x]).hit(thread, (int) e.a[x], 1, b.len[i]);
                case MegaflowCache.OP_DROP -> drops.add(thread, REASONS[(int) e.a[x]], 1);
                case MegaflowCache.OP_CLONE -> {
                    int j = b.copy(i);
                    if (j < 0) {                        // no copy slot left: the bucket's effects are dropped, as uncached
                        drops.add(thread, Reason.COPIES, 1);
                        x = skipClone(e, x);
                        continue;
                    }
                    if (stack == null) stack = cloneStacks[thread] == null ? (cloneStacks[thread] = new int[MAX_RESUBMIT_DEPTH + 2]) : cloneStacks[thread];
                    stack[depth++] = i;
                    i = j;
                    k = b.keys[i];
                }
                case MegaflowCache.OP_CLONE_END -> {
                    if (depth == base) return;          // the end of the clone a continued fragment was in
                    i = stack[--depth];
                    k = b.keys[i];
                }
                case MegaflowCache.OP_HIT -> ((Flow) e.ref[x]).hit(thread, b.len[i], now);
                case MegaflowCache.OP_OUT -> emit(b, i, (int) e.a[x], out, e.b[x] != 0, thread);
                case MegaflowCache.OP_FLOOD -> flood(t, b, i, (int) e.a[x], out, e.b[x] != 0, thread);
                case MegaflowCache.OP_SET -> setField(b, i, out, thread, (Field) e.ref[x], e.a[x], e.b[x], e.c[x], e.d[x]);
                case MegaflowCache.OP_SETW -> ((MegaflowCache.PipelineSets) e.ref[x]).apply(k);
                case MegaflowCache.OP_PUSH -> { unshare(b, i, out, thread); push(b, i, (int) e.a[x]); }
                case MegaflowCache.OP_STRIP -> { unshare(b, i, out, thread); strip(b, i); }
                case MegaflowCache.OP_DECTTL -> { unshare(b, i, out, thread); decTtl(b, i, k); }
                case MegaflowCache.OP_NORMAL -> normal(t, (int) e.b[x], b, i, out, thread, now, e.a[x] != 0);
                case MegaflowCache.OP_DROP_TTL -> drops.add(thread, Reason.TTL, 1);
                case MegaflowCache.OP_NO_MATCH -> { if (e.c[x] != 0) drops.add(thread, Reason.NO_MATCH, 1); }
                case MegaflowCache.OP_LOOP -> drops.add(thread, Reason.LOOP, 1);
                case MegaflowCache.OP_RECIRC -> queueRecirculation(b, i, (int) e.a[x], e.b[x] != 0, e.c[x] != 0, thread, out);
                case MegaflowCache.OP_CT -> {
                    int mark = ct.fragments().released(thread);
                    // a ct(table=T) was recorded with the recirculation after it: its id holds the frozen stack
                    int rid = x + 1 < e.nops && e.op[x + 1] == MegaflowCache.OP_RECIRC ? (int) e.a[x + 1] : 0;
                    unshare(b, i, out, thread);                 // NAT or a completed datagram rewrites it
                    if (!ct.track(b, i, (Ct) e.ref[x], (int) e.a[x], rid, thread, now)) {     // a fragment held
                        // a ct() without table that completed a datagram: each fragment goes on from here
                        for (int r = mark, to = ct.fragments().released(thread); r < to; r++)
                            replay(t, e, b, ct.fragments().releasedSlot(thread, r), out, thread, now, x + 1, depth);
                        ct.fragments().truncate(thread, mark);
                        if (depth == base) return;
                        x = cloneEnd(e, x) - 1;     // a copy's: its clone ends here
                    }
                }
                case MegaflowCache.OP_CT_DONE -> ct.done(b, i, e.a[x] != 0, thread);
                case MegaflowCache.OP_CT_CLEAR -> CtExecution.clear(k);
                case MegaflowCache.OP_LEARN -> {
                    LearnRef r = (LearnRef) e.ref[x];
                    if (r.refresh(now) && !learns.offer(thread, r.learn, r.values, r.values.length, r)) {   // its flow is gone: learn again
                        r.requeueFailed();
                        drops.add(thread, Reason.LEARN_QUEUE, 1);
                    }
                }
                case MegaflowCache.OP_METER -> {
                    if (!((io.xvio.datapath.meter.LiveMeter) e.ref[x]).admit(b.len[i], thread, now)) {
                        drops.add(thread, Reason.METER, 1);
                        if (depth == base) return;                // dropped by the meter: nothing more happens to it
                        x = cloneEnd(e, x) - 1;                    // a copy's meter ends the copy only
                    }
                }
                default -> { }
            }
        }
    }

    private static final Reason[] REASONS = Reason.values();

    /** After a translation: fragments a ct() without table sent on in it go on with the ops recorded after it. */
    private void continueFragments(Tables t, PacketBatch b, Outputs out, int thread, long now) {
        CtFragments f = ct.fragments();
        MegaflowCache.Entry e = f.continuation(thread);
        if (e == null) return;
        int from = f.continuationFrom(thread), mark = f.continuationMark(thread);
        for (int r = mark, to = f.released(thread); r < to; r++) replay(t, e, b, f.releasedSlot(thread, r), out, thread, now, from, 0);
        f.truncate(thread, mark);
    }

    /** The index of the OP_CLONE_END that closes the clone op x is in. */
    private static int cloneEnd(MegaflowCache.Entry e, int x) {
        int open = 0;
        for (int y = x + 1; y < e.nops; y++) {
            if (e.op[y] == MegaflowCache.OP_CLONE) open++;
            else if (e.op[y] == MegaflowCache.OP_CLONE_END && open-- == 0) return y;
        }
        return e.nops;
    }

    /** The index of the OP_CLONE_END that closes the OP_CLONE at x. */
    private static int skipClone(MegaflowCache.Entry e, int x) {
        int open = 0;
        for (int y = x; y < e.nops; y++) {
            if (e.op[y] == MegaflowCache.OP_CLONE) open++;
            else if (e.op[y] == MegaflowCache.OP_CLONE_END && --open == 0) return y;
        }
        return e.nops;
    }

    private void flood(Tables t, PacketBatch b, int i, int in, Outputs out, boolean copy, int thread) {
        if (copy) b.shared |= 1L << i;           // one copy serves every port of the flood, made if a rewrite follows
        for (int p = 0; p < t.ofports().length; p++) if (p != in && !out.add(p, i)) drops.add(thread, Reason.COPIES, 1);
    }

    private static void push(PacketBatch b, int i, int ethertype) {
        FlowKey k = b.keys[i];
        b.off[i] = (int) Rewrite.pushVlan(b.data, b.off[i], ethertype, 0);
        b.len[i] += 4;
        shift(k, 4);
        k.w[FlowKey.VLAN_TCI] = FlowKey.VLAN_PRESENT;
    }

    private static void decTtl(PacketBatch b, int i, FlowKey k) {
        long ttl = k.w[FlowKey.NW_TTL];
        k.w[FlowKey.NW_TTL] = ttl - 1;
        if (hasL3(k)) Rewrite.setTtl(b.data, b.off[i], k.l3, k.w[FlowKey.DL_TYPE] == Ethernet.TYPE_IPV6, (int) ttl - 1);
    }

    /**
     * Whether the packet's IP or ARP header may be rewritten: OVS commits no L3/L4 rewrite to a packet whose
     * nw_proto is 0 (odp-util's "really has an L3 header" check), and xvio none to a header it found malformed.
     */
    private static boolean hasL3(FlowKey k) {
        return k.l3 >= 0 && k.w[FlowKey.NW_PROTO] != 0 && (k.w[FlowKey.NW_FRAG] & FlowKey.L3_INVALID) == 0;
    }

    /**
     * Looks packet i up in table and executes the result; returns false if the packet was dropped for good.
     * lookupPort: the OpenFlow in_port the lookup sees (resubmit(P,T)), -1: the packet's own. As in OVS it is for the
     * lookup only: the actions see the real in_port again (output to P is allowed, in_port sends back to the sender).
     * laterMods: the caller (a resubmitting flow) rewrites the packet after this returns, so outputs here send copies.
     */
    private boolean run(Tables t, int table, int inPort, int lookupPort, PacketBatch b, int i, Outputs out, int thread, long now,
                        int depth, boolean laterMods, boolean tail, MegaflowCache.Recorder rec) {
        FlowKey k = b.keys[i];
        if (overBudget(thread, rec)) return false;
        if (t.frag() == FragMode.DROP) {
            // IP fragments, OVS's way: every lookup either sees a fragment's L4 fields as 0 (normal, below) or drops it
            if (rec != null) rec.unwildcard(FlowKey.NW_FRAG, FlowKey.FRAG_ANY);
            if ((k.w[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) != 0) {
                drop(thread, Reason.FRAGMENT, rec);
                return false;
            }
        }
        if (table >= t.byTable().length || depth > MAX_RESUBMIT_DEPTH) {
            if (depth > MAX_RESUBMIT_DEPTH) {
                drop(thread, Reason.RESUBMIT_DEPTH, rec);
            } else {
                missed(table, b, i, thread, rec);
                if (rec != null) {                   // a flow added to this table later changes the outcome
                    long before = rec.rewritten;
                    if (lookupPort >= 0) rec.rewrote(FlowKey.IN_PORT);
                    rec.miss(table, missEnds(thread));
                    rec.rewritten = before;
                }
            }
            return true;
        }
        Flow f;
        long[] w = k.w;
        long realPort = w[FlowKey.IN_PORT], rewrittenBefore = rec == null ? 0 : rec.rewritten;
        if (lookupPort >= 0) {
            w[FlowKey.IN_PORT] = lookupPort;
            if (rec != null) rec.rewrote(FlowKey.IN_PORT);       // for this lookup only
        }
        if ((w[FlowKey.NW_FRAG] & FlowKey.FRAG_ANY) != 0 && t.frag() == FragMode.NORMAL) {
            long tpSrc = w[FlowKey.TP_SRC], tpDst = w[FlowKey.TP_DST];
            w[FlowKey.TP_SRC] = 0;
            w[FlowKey.TP_DST] = 0;
            f = rec == null ? t.byTable()[table].lookup(w) : t.byTable()[table].lookup(w, rec.wc);
            w[FlowKey.TP_SRC] = tpSrc;          // actions see the real fields again, as in OVS
            w[FlowKey.TP_DST] = tpDst;
            if (rec != null) {                  // for this lookup only: it saw 0, not the entry's recorded ports
                rec.rewrote(FlowKey.TP_SRC);
                rec.rewrote(FlowKey.TP_DST);
            }
        } else {
            f = rec == null ? t.byTable()[table].lookup(w) : t.byTable()[table].lookup(w, rec.wc);
        }
        // normal: a fragment differs from the packet only in the ports this lookup sees; a translation whose lookups
        // read no port holds for fragments too (so in_port-only flows keep a port-only megaflow)
        if (rec != null && t.frag() == FragMode.NORMAL && (rec.wc[FlowKey.TP_SRC] | rec.wc[FlowKey.TP_DST]) != 0)
            rec.unwildcard(FlowKey.NW_FRAG, FlowKey.FRAG_ANY);
        if (rec != null) {
            // a table with conjunctions may look again with conj_id set: for revalidation that word is unknown
            if (t.byTable()[table].hasConjunctions()) rec.rewrote(FlowKey.CONJ_ID);
            if (f != null) rec.lookup(table, f);
            else rec.miss(table, missEnds(thread));
            rec.rewritten = rewrittenBefore;
        }
        w[FlowKey.IN_PORT] = realPort;
        if (thread == TRACE_THREAD) tracing.lookup(depth, table, f);
        if (f == null) {
            missed(table, b, i, thread, rec);
            return true;
        }
        f.hit(thread, b.len[i], now);
        Translation x = translation(thread);
        Flow outer = x.flow;                      // the flow whose actions run (a packet-in's cookie and reason)
        boolean outerBucket = x.inBucket;
        x.flow = f;
        x.inBucket = false;
        try {
            return execute(t, f.actions, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
        } finally {
            x.flow = outer;
            x.inBucket = outerBucket;
            if (thread == TRACE_THREAD) tracing.leave();
        }
    }

    /**
     * Executes acts (a flow's actions, or a group bucket's) on packet i, found in table; returns false if the packet
     * was dropped for good. laterMods: the caller rewrites the packet after this returns, so outputs send copies.
     * tail: nothing at all happens to packet i after these actions (in this pass), so it may recirculate itself.
     */
    private boolean execute(Tables t, List<Action> acts, int table, int inPort, PacketBatch b, int i, Outputs out, int thread,
                            long now, int depth, boolean laterMods, boolean tail, MegaflowCache.Recorder rec) {
        Translation x = translation(thread);
        x.bind(t, b, out, thread, now, rec);
        int n = acts.size(), lastRewrite = -1;
        for (int a = n - 1; a >= 0 && lastRewrite < 0; a--) if (acts.get(a).modifies()) lastRewrite = a;
        for (int a = 0; a < n; a++) {
            if (thread == TRACE_THREAD) tracing.action(depth, acts.get(a));
            int r = acts.get(a).translate(x, i, table, inPort, depth, laterMods || lastRewrite > a, tail && a == n - 1);
            if (x.unroll != null) return x.unroll(i, acts, a + 1, table, tail);     // controller(pause) ran
            if (r == Action.STOP) return true;
            if (r == Action.DEAD) return false;
        }
        return true;
    }

    /** Per PMD thread (index thread + 2; 0 is a trace's): the translation context its actions see. */
    private final Translation[] translations = new Translation[MAX_THREADS + 2];

    /** Whether a table miss now ends the packet's pipeline (a drop), not a resubmit's that the packet goes on after. */
    private boolean missEnds(int thread) { return translation(thread).resubmits == 0; }

    /**
     * Packet i found no flow in table: dropped, or sent to the controllers of id 0 while they want table misses
     * ({@link #setPacketInOnMiss}), as OVS's miss_rule, unless a resubmit looked (OVS's may_packet_in is false there).
     * Under a resubmit the packet goes on after it (OVN looks up port security that way): not counted as a drop.
     */
    private void missed(int table, PacketBatch b, int i, int thread, MegaflowCache.Recorder rec) {
        boolean ends = missEnds(thread);
        if (!packetIns.onMiss() || translation(thread).inResubmit) {
            if (ends) drops.add(thread, Reason.NO_MATCH, 1);
            return;
        }
        if (rec != null) rec.uncacheable = true;     // a packet-in per packet, as the controller action
        if (thread == TRACE_THREAD) return;
        if (!packetIns.wanted()) {
            if (ends) drops.add(thread, Reason.NO_MATCH, 1);
        } else if (!packetIns.offer(thread, b, i, 0xffff, PacketIns.IMPLICIT_MISS, table, 0, null, null, 0))
            drops.add(thread, Reason.PACKET_IN_QUEUE, 1);
    }

    private Translation translation(int thread) {
        Translation x = translations[thread + 2];
        return x != null ? x : (translations[thread + 2] = new Translation());
    }

    /**
     * What an action's translate does to a packet, and how it is recorded for the megaflow cache: the operations of
     * this datapath behind the {@link Xlate} an action sees. Bound to the packet's tables, burst, outputs and
     * recorder when a list of actions starts (nested lists bind the same ones); one per thread, never shared.
     */
    private final class Translation implements Xlate {
        Tables t;
        PacketBatch b;
        Outputs out;
        int thread;
        long now;
        MegaflowCache.Recorder rec;
        /** The flow whose actions are running (null: a packet-out's own actions). */
        Flow flow;
        /** With no flow (a packet-out's own actions: all-ones, or a resumed continuation's): the packet-ins' cookie. */
        long cookieWithoutFlow;

        /** The cookie a packet-in or continuation from here carries: the running flow's, else {@link #cookieWithoutFlow}. */
        long cookie() { return flow == null ? cookieWithoutFlow : flow.cookie; }
        /** A pause being unrolled: the frames so far, innermost first (null: none); the packet-in's table and cookie. */
        List<Paused.Frame> unroll;
        int pauseTable;
        long pauseCookie;
        int pauseReason;
        io.xvio.datapath.action.Controller pauseAction;
        /** Running a packet-out's translation / a group bucket's own actions: a plain controller action's reason. */
        boolean inPacketOut, inBucket;
        /** Looking up for a resubmit: a miss there sends no packet-in ({@link #missed}). */
        boolean inResubmit;
        /**
         * Resubmits under way: a miss below one returns to the actions after it, the packet goes on (OVS's
         * no_packet_in_rule), so it is no drop; a miss with none ends the pipeline.
         */
        int resubmits;

        /**
         * The packet-in reason of controller action c (OVS's): its own if it names one; for the plain action
         * (output:CONTROLLER) packet_out in a packet-out, group in a bucket; explicit miss in a table-miss flow
         * (priority 0, matching everything: a pause passes false, OVS's pause keeps the action's reason); else action.
         * OVN's pinctrl takes only "action": its controller(userdata=...) actions, icmp4.frag_mtu's pause inside a
         * packet-out included, must say so.
         */
        int reason(io.xvio.datapath.action.Controller c, boolean miss) {
            if (c.reason() != io.xvio.datapath.action.Controller.ACTION) return c.reason();
            if (c.plain() && inPacketOut) return io.xvio.datapath.action.Controller.PACKET_OUT;
            if (c.plain() && inBucket) return io.xvio.datapath.action.Controller.GROUP;
            return miss ? PacketIns.EXPLICIT_MISS : PacketIns.ACTION;
        }

        /** Whether controller action c's meter (if it names one) lets packet i's packet-in go; a meter drop is counted. */
        boolean metered(int i, io.xvio.datapath.action.Controller c) {
            if (c.meterId() == io.xvio.datapath.action.Controller.NO_METER) return true;
            if (MeterOps.translate(meters, c.meterId(), b.len[i], thread, now, null, null)) return true;
            drops.add(thread, Reason.METER, 1);
            return false;
        }

        /**
         * A list's part of a pause (OVS's freeze_unroll_actions): the actions from index from on. Where nothing follows
         * the list (tail), the continuation is whole: the packet-in goes out and the packet is done (false). Else true:
         * the enclosing list, after its resubmit, adds its rest.
         */
        boolean unroll(int i, List<Action> acts, int from, int table, boolean tail) {
            unroll.add(new Paused.Frame(table, cookie(), List.copyOf(acts.subList(from, acts.size()))));
            if (!tail) return true;
            finishPause(i);
            return false;
        }

        void finishPause(int i) {
            List<Paused.Frame> frames = List.copyOf(unroll);
            unroll = null;
            if (thread == TRACE_THREAD) return;
            Paused p = new Paused(frames, stack(thread).toArray(), (b.keys[i].w[FlowKey.CT_MISC] & 0xff) != 0);
            if (!packetIns.offer(thread, b, i, pauseAction.maxLen(), pauseReason, pauseTable, pauseCookie,
                    pauseAction.userdata(), p, pauseAction.id()))
                drops.add(thread, Reason.PACKET_IN_QUEUE, 1);
        }

        void bind(Tables t, PacketBatch b, Outputs out, int thread, long now, MegaflowCache.Recorder rec) {
            this.t = t;
            this.b = b;
            this.out = out;
            this.thread = thread;
            this.now = now;
            this.rec = rec;
        }

        @Override public FlowKey key(int i) { return b.keys[i]; }

        @Override public void output(int ofport, int i, boolean copy) { outputTo(t, ofport, b, i, out, thread, copy, rec); }

        @Override public void outputInPort(int i, boolean copy) {
            int p = inPortOf(t, b.keys[i]);
            if (p < 0) return;
            emit(b, i, p, out, copy, thread);
            if (rec != null) recordOutput(rec, p, copy);
        }

        @Override public void normal(int i, int inPort, boolean copy) {
            // the key's in_port, as OVS's xlate_normal (a flow may have loaded another one); none of this bridge's
            // (a packet-out's CONTROLLER or LOCAL): as before, the port the translation was given
            int in = inPortOf(t, b.keys[i]);
            if (in < 0) in = inPort;
            // cached as itself: a replay learns and looks up again, so the MAC table is never stale
            if (rec != null) rec.normal(copy, in);
            BridgeDatapath.this.normal(t, in, b, i, out, thread, now, copy);
        }

        @Override public void flood(int i, boolean copy) {
            int in = inPortOf(t, b.keys[i]);
            BridgeDatapath.this.flood(t, b, i, in, out, copy, thread);
            if (rec != null) {
                rec.flood(in, copy);
                if (keyedPorts != null) rec.keyedOutput = true;
            }
        }

        @Override public void set(int i, Field f, long value, long mask, long valueLo, long maskLo) {
            write(i, f, value, mask, valueLo, maskLo);
            // any write to tun_metadataN makes it present (a 0 is an option too), as OVS: set_field, move, load,
            // pop, learn's result, check_pkt_larger's bit
            long p = f.presentBit();
            if (p != 0) write(i, Field.TUN_METADATA_PRESENT, p, p, 0, 0);
        }

        /** Records and performs one field write on packet i. */
        private void write(int i, Field f, long value, long mask, long valueLo, long maskLo) {
            if (rec != null) recordSet(rec, b.keys[i], f, value, mask, valueLo, maskLo);
            setField(b, i, out, thread, f, value, mask, valueLo, maskLo);
        }

        @Override public long read(int i, Field f, int ofs, int nBits) {
            int from = f.shift + ofs;
            if (rec != null) rec.unwildcard(f.word, bits(nBits) << from);
            return (b.keys[i].w[f.word] >>> from) & bits(nBits);
        }

        @Override public long readLo(int i, Field f) {
            if (rec != null) rec.unwildcard(f.word + 1, -1L);
            return b.keys[i].w[f.word + 1];
        }

        @Override public void writeMetadata(int i, long value, long mask) {
            long[] w = b.keys[i].w;
            w[FlowKey.METADATA] = (w[FlowKey.METADATA] & ~mask) | (value & mask);
            if (rec != null) {
                rec.rewrote(FlowKey.METADATA);
                rec.set(Field.METADATA, value, mask, 0, 0);   // replayed: a recirculation carries it (OVS freezes it)
            }
        }

        @Override public void pushVlan(int i, int ethertype) {
            unshare(b, i, out, thread);
            push(b, i, ethertype);
            if (rec != null) {
                rec.rewrote(FlowKey.VLAN_TCI);
                rec.pushVlan(ethertype);
            }
        }

        @Override public void stripVlan(int i) {
            if (rec != null) {
                rec.unwildcard(FlowKey.VLAN_TCI, FlowKey.VLAN_PRESENT);
                rec.rewrote(FlowKey.VLAN_TCI);
                rec.stripVlan();
            }
            unshare(b, i, out, thread);
            strip(b, i);
        }

        @Override public boolean decTtl(int i) {
            FlowKey k = b.keys[i];
            if (rec != null) {
                rec.unwildcard(FlowKey.DL_TYPE, 0xffff);
                rec.unwildcard(FlowKey.NW_TTL, 0xff);
                rec.unwildcard(FlowKey.NW_PROTO, 0xff);
                rec.unwildcard(FlowKey.NW_FRAG, 7);
                rec.rewrote(FlowKey.NW_TTL);
            }
            if (k.w[FlowKey.DL_TYPE] != Ethernet.TYPE_IPV4 && k.w[FlowKey.DL_TYPE] != Ethernet.TYPE_IPV6) return true;
            if (k.w[FlowKey.NW_TTL] <= 1) {                 // a malformed IP header has ttl 0 here
                drops.add(thread, Reason.TTL, 1);
                if (rec != null) rec.ttlExpired();
                return false;
            }
            unshare(b, i, out, thread);
            BridgeDatapath.decTtl(b, i, k);
            if (rec != null) rec.decTtl();
            return true;
        }

        @Override public boolean lookup(int table, int inPort, int port, int i, int depth, boolean copy, boolean tail) {
            return lookup(table, inPort, port, i, depth, copy, tail, true);
        }

        @Override public boolean gotoTable(int table, int inPort, int i, int depth, boolean copy, boolean tail) {
            return lookup(table, inPort, -1, i, depth, copy, tail, false);
        }

        private boolean lookup(int table, int inPort, int port, int i, int depth, boolean copy, boolean tail, boolean resubmit) {
            boolean was = inResubmit;
            inResubmit = resubmit;
            if (resubmit) resubmits++;
            try {
                return run(t, table, inPort, port, b, i, out, thread, now, depth, copy, tail, rec);
            } finally {
                inResubmit = was;
                if (resubmit) resubmits--;
            }
        }

        @Override public void group(long id, int table, int inPort, int i, int depth, boolean copy, boolean tail) {
            BridgeDatapath.this.group(t, id, table, inPort, b, i, out, thread, now, depth, copy, tail, rec);
        }

        @Override public boolean execute(List<Action> acts, int table, int inPort, int i, int depth, boolean copy, boolean tail) {
            return BridgeDatapath.this.execute(t, acts, table, inPort, b, i, out, thread, now, depth, copy, tail, rec);
        }

        @Override public void executeOnCopy(List<Action> acts, int table, int inPort, int i, int depth) {
            int j = b.copy(i);
            if (j < 0) {
                drops.add(thread, Reason.COPIES, 1);
                if (rec != null) rec.uncacheable = true;    // a replay could find a slot: do not cache this one
                return;
            }
            MegaflowCache.Recorder r = rec;
            if (r != null) r.cloneBegin();
            BridgeDatapath.this.execute(t, acts, table, inPort, b, j, out, thread, now, depth, false, true, r);
            if (r != null) r.cloneEnd();
        }

        @Override public boolean lengthAtLeast(int i, int n) {
            int len = Segmentation.wireLength(b, i);        // as OVS: a GSO frame's segments' length
            boolean larger = len >= n;
            if (rec != null) rec.lengthGuard(n, len, larger);
            return larger;
        }

        @Override public boolean meter(int i, long id) {
            if (MeterOps.translate(meters, id, b.len[i], thread, now, rec, thread == TRACE_THREAD ? tracing : null)) return true;
            drops.add(thread, Reason.METER, 1);
            return false;
        }

        @Override public boolean conntrack(int i, Ct c, int zone, boolean tail) {
            int mark = ct.fragments().released(thread);
            // ct(table=T) resumes in T with the register stack as it is now: a held fragment's datagram goes on so too
            int rid = c.table() == Ct.NO_TABLE ? 0
                    : recircs.id(new Recirculations.Frozen(Recirculations.Kind.RESUME_TABLE, 0, c.table(), stack(thread).frozen()));
            unshare(b, i, out, thread);                                      // NAT or a completed datagram rewrites it
            boolean held = !ct.track(b, i, c, zone, rid, thread, now);      // a fragment held: its datagram goes on later
            if (held && ct.fragments().released(thread) > mark) {
                // a ct() without table completed the datagram: its first fragment goes on here, the others after
                ct.fragments().takeFirst(b, i, thread, mark, rec);
                ct.resave(b, i, thread);
                held = false;
            }
            if (held && !tail) {                     // actions after the ct(): not seen, so not recorded
                if (rec != null) rec.uncacheable = true;
                return false;
            }
            if (rec != null) rec.conntrack(c, zone);
            if (thread == TRACE_THREAD) tracing.note(0, "ct: " + CtState.format((int) (b.keys[i].w[FlowKey.CT_MISC] & 0xff))
                    + " (a trace does not track: every ct() gives +trk+new)");
            if (c.table() != Ct.NO_TABLE) {
                if (rid < 0) {
                    if (rec != null) rec.uncacheable = true;
                    drops.add(thread, Reason.RECIRC_QUEUE, 1);
                } else if (held) {                   // the translation as the packet's would be, for replays
                    if (rec != null) rec.recirc(rid, false, false);
                } else if (queueRecirculation(b, i, rid, !tail, false, thread, out)) {
                    if (rec != null) rec.recirc(rid, !tail, false);
                } else if (rec != null) {
                    rec.uncacheable = true;
                }
                if (tail) return !held;
            }
            boolean restore = c.natAction() != null;
            if (!held) ct.done(b, i, restore, thread);
            if (rec != null) {
                rec.ctDone(restore);
                rewroteCt(rec);      // later lookups see ct_* cleared, not the values the entry was recorded with
            }
            return !held;
        }

        @Override public void ctClear(int i) {
            CtExecution.clear(b.keys[i]);
            if (rec != null) {
                rec.ctClear();
                rewroteCt(rec);
            }
        }

        @Override public void drop(Reason reason) { BridgeDatapath.this.drop(thread, reason, rec); }

        @Override public void learn(int i, io.xvio.datapath.action.Learn l) {
            long[] v = learnValues[thread + 2];
            if (v == null) v = learnValues[thread + 2] = new long[io.xvio.datapath.action.Learn.MAX_SOURCES];
            int n = l.readSources(this, i, v);           // the megaflow now covers the sources (OVS's learn_mask)
            boolean ok = l.limit() == 0 || LearnLimit.allows(t.flows(), l, v);
            if (thread == TRACE_THREAD) {
                tracing.note(0, "learn: " + (ok ? "would learn " + LearnedFlow.text(l, v) : "limit reached, nothing learned"));
            } else if (ok) {
                // a cached translation refreshes the learned flow at each hit: its handle, made once per entry here
                LearnRef ref = rec != null && !rec.uncacheable ? new LearnRef(l, v, n) : null;
                if (!learns.offer(thread, l, v, n, ref)) {
                    drop(Reason.LEARN_QUEUE);
                    if (rec != null) rec.uncacheable = true;  // the next packet of this path tries again
                } else if (ref != null) {
                    rec.learn(ref);
                }
            } else if (rec != null) {
                rec.uncacheable = true;                   // as OVS: the limit may admit a later packet
            }
            if (l.resultField() != null) {
                io.xvio.datapath.Field f = l.resultField();
                long bit = f.put(1L << l.resultOfs());
                set(i, f, ok ? bit : 0, bit, 0, 0);
            }
        }

        @Override public void controller(int i, int maxLen, int table) { controller(i, new io.xvio.datapath.action.Controller(maxLen), table); }

        /** c's packet-in: its max_len, userdata (hex text; the consumer makes it bytes), reason and meter. */
        @Override public void controller(int i, io.xvio.datapath.action.Controller c, int table) {
            // never cached: a megaflow entry would bypass the controller (each such packet is translated)
            if (rec != null) rec.uncacheable = true;
            if (thread == TRACE_THREAD) return;
            if (!metered(i, c)) return;                 // OVS meters the packet-in before the upcall
            if (!packetIns.wanted()) {
                drops.add(thread, Reason.CONTROLLER, 1);
                return;
            }
            Flow f = flow;
            boolean miss = f != null && f.priority == 0 && catchAll(f.match);
            if (!packetIns.offer(thread, b, i, c.maxLen(), reason(c, miss), table, cookie(), c.userdata(), null, c.id()))
                drops.add(thread, Reason.PACKET_IN_QUEUE, 1);
        }

        @Override public void invalidTtl(int i, int id, int table) {
            if (rec != null) rec.uncacheable = true;         // a packet-in per such packet, as OVS slow-paths it
            if (thread == TRACE_THREAD || !packetIns.wanted()) return;
            if (!packetIns.offer(thread, b, i, 0xffff, io.xvio.datapath.action.Controller.INVALID_TTL, table, cookie(), null, null, id))
                drops.add(thread, Reason.PACKET_IN_QUEUE, 1);
        }

        @Override public boolean pause(int i, io.xvio.datapath.action.Controller c, int table) {
            if (rec != null) rec.uncacheable = true;        // a packet-in per packet, as controller
            if (thread == TRACE_THREAD) tracing.note(0, "pause: the translation stops; a controller may resume it");
            else if (!metered(i, c)) return false;
            else if (!packetIns.wanted()) {
                drops.add(thread, Reason.CONTROLLER, 1);
                return false;
            }
            unroll = new ArrayList<>(4);                    // execute adds this list's rest, then the enclosing ones'
            pauseTable = table;
            pauseCookie = cookie();
            pauseReason = reason(c, false);
            pauseAction = c;
            return true;
        }

        @Override public void stackPush(long value) { stack(thread).push(value); }
        @Override public boolean stackEmpty() { return stack(thread).isEmpty(); }
        @Override public long stackEnter() { return stack(thread).enter(); }
        @Override public void stackLeave(long saved) { stack(thread).leave(saved); }
        @Override public long stackPop() { return stack(thread).pop(); }
    }

    /** Whether m matches every packet (a table-miss flow has it, with priority 0). */
    private static boolean catchAll(Match m) {
        for (int w = 0; w < FlowKey.WORDS; w++) if (!m.isWild(w)) return false;
        return true;
    }

    /** Sends packet i (a copy if copy) to OpenFlow port ofport: a port that does not exist, or the input port, is a counted drop. */
    private void outputTo(Tables t, int ofport, PacketBatch b, int i, Outputs out, int thread, boolean copy, MegaflowCache.Recorder rec) {
        int p = ofport >= 0 && ofport < t.indexByOfport().length ? t.indexByOfport()[ofport] : -1;
        if (p < 0) {                                    // not a port of this bridge (yet): OVS drops too
            drop(thread, Reason.NO_PORT, rec);
            return;
        }
        if (p == inPortOf(t, b.keys[i])) {              // OpenFlow: output to in_port needs IN_PORT
            drops.add(thread, Reason.LOOP, 1);
            if (rec != null) rec.loop();
            return;
        }
        emit(b, i, p, out, copy, thread);
        if (rec != null) recordOutput(rec, p, copy);
    }

    /** Every conntrack word (ct_state/zone/proto, mark, label, original tuple), as ct() and ct_clear clear them all. */
    private static void rewroteCt(MegaflowCache.Recorder rec) {
        for (int w = FlowKey.CT_MISC; w <= FlowKey.CT_TP; w++) rec.rewrote(w);
    }

    private void recordOutput(MegaflowCache.Recorder rec, int p, boolean copy) {
        rec.output(p, copy);
        if (keyed(p)) rec.keyedOutput = true;
    }

    /**
     * By port index: whether the port's transmit reads the packet's flow key (a tunnel port with key=flow,
     * remote_ip=flow or Geneve options: TunnelPort.readsFlowKey; a port mirrored on transmit to such a port).
     * Translations that output there are never replayed header-free (key not extracted).
     * Control thread sets it before the tables that use a new port layout. Null when no port reads the key (one
     * field, so a reader never sees the array and the "none" answer disagree).
     */
    private volatile boolean[] keyedPorts;

    /**
     * Sets which ports read the flow key. A change on the same port layout (a mirror to a key-reading tunnel port
     * added or removed) starts every cache over: an entry replayed header-free may now lead to a port that reads it.
     */
    public synchronized void setKeyedPorts(boolean[] keyed) {
        boolean any = false;
        for (boolean k : keyed) any |= k;
        boolean[] next = any ? keyed.clone() : null;
        if (Arrays.equals(keyedPorts, next)) return;
        keyedPorts = next;
        Tables old = tables;
        if (old.ofports().length == keyed.length)            // a new layout: the install that follows starts over
            publish(old.byTable(), old.indexByOfport(), old.ofports(), old.vlans(), old.flows(), old.changes().next(List.of(), true),
                    old.frag(), old.forwardBpdu(), old.groups(), old.live());
    }

    private boolean keyed(int p) {
        boolean[] k = keyedPorts;
        return k != null && p >= 0 && p < k.length && k[p];
    }

    /** Per PMD thread (index thread + 2; 0 is a trace's): the register stack of the packet being translated. */
    private final RegisterStack[] stacks = new RegisterStack[MAX_THREADS + 2];
    /** Per thread (a cache line apart): lookups and buckets the packet being translated has run ({@link #MAX_RESUBMITS}). */
    private final int[] work = new int[(MAX_THREADS + 2) * 16];

    /** A translation starts: an empty register stack, no work done yet. */
    private void startTranslation(int thread) {
        stack(thread).clear();
        work[(thread + 2) * 16] = 0;
    }

    /**
     * Counts one lookup or bucket; true once the packet has run {@link #MAX_RESUBMITS} (the rest of its translation
     * does nothing: counted once as a drop, never cached).
     */
    private boolean overBudget(int thread, MegaflowCache.Recorder rec) {
        int n = ++work[(thread + 2) * 16];
        if (n <= MAX_RESUBMITS) return false;
        if (n == MAX_RESUBMITS + 1) drops.add(thread, Reason.RESUBMITS, 1);
        if (rec != null) rec.uncacheable = true;
        return true;
    }

    private RegisterStack stack(int thread) {
        RegisterStack s = stacks[thread + 2];
        return s != null ? s : (stacks[thread + 2] = new RegisterStack());
    }

    // ------------------------------------------------------------------------------------------ groups

    /** Runs group id on packet i (see {@link Group}); what the buckets do is recorded for the cache. */
    private void group(Tables t, long id, int table, int inPort, PacketBatch b, int i, Outputs out, int thread, long now,
                       int depth, boolean laterMods, boolean tail, MegaflowCache.Recorder rec) {
        Group g = t.groups().get(id);
        if (g == null || depth > MAX_RESUBMIT_DEPTH) {      // deleted since the flow was checked, or groups in a loop
            Reason r = g == null ? Reason.GROUP_MISSING : Reason.RESUBMIT_DEPTH;
            drop(thread, r, rec);
            return;
        }
        g.hit(thread, -1, 1, b.len[i]);
        if (rec != null) rec.group(g, -1);
        switch (g.type) {
            case ALL -> {
                for (int x = 0; x < g.buckets.size(); x++)
                    bucket(t, g, x, table, inPort, b, i, out, thread, now, depth, laterMods, tail && x == g.buckets.size() - 1, rec);
            }
            case INDIRECT -> bucket(t, g, 0, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
            case SELECT -> {
                if (!g.usesDpHash()) {
                    selectBucket(t, g, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
                    return;
                }
                // dp_hash: hash the 5-tuple into dp_hash and recirculate; the bucket is chosen in the next pass, so
                // this pass's cached entry holds no 5-tuple and the next one only dp_hash's slot bits
                int rid = recircs.id(new Recirculations.Frozen(Recirculations.Kind.SELECT_BUCKET, g.id, table, stack(thread).frozen()));
                if (rid < 0) {                                  // out of ids: choose here, uncached
                    if (rec != null) rec.uncacheable = true;
                    selectBucket(t, g, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
                    return;
                }
                if (queueRecirculation(b, i, rid, !tail, true, thread, out) && rec != null)
                    rec.recirc(rid, !tail, true);
                else if (rec != null) rec.uncacheable = true;
            }
            case FAST_FAILOVER -> {
                int x = firstLive(t, g);
                if (x < 0) {
                    drop(thread, Reason.GROUP_NO_LIVE_BUCKET, rec);
                    return;
                }
                bucket(t, g, x, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
            }
        }
    }

    /**
     * Runs bucket x of g on packet i as on a clone: a bucket that rewrites the packet runs on a copy, so neither the
     * next bucket nor the actions after the group see its changes (OVS rolls its flow back the same way).
     */
    private void bucket(Tables t, Group g, int x, int table, int inPort, PacketBatch b, int i, Outputs out, int thread, long now,
                        int depth, boolean laterMods, boolean tail, MegaflowCache.Recorder rec) {
        if (overBudget(thread, rec)) return;
        Group.Bucket bk = g.buckets.get(x);
        if (thread == TRACE_THREAD) tracing.note(depth, "group " + g.id + ": bucket " + x + (bk.modifies() ? " (on a copy)" : ""));
        g.hit(thread, x, 1, b.len[i]);
        if (rec != null) rec.group(g, x);
        Translation tx = translation(thread);
        boolean outerBucket = tx.inBucket;
        tx.inBucket = true;                       // output:CONTROLLER here says group (OVS's group_bucket_action)
        try {
            bucketActions(t, bk, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
        } finally {
            tx.inBucket = outerBucket;
        }
    }

    private void bucketActions(Tables t, Group.Bucket bk, int table, int inPort, PacketBatch b, int i, Outputs out, int thread, long now,
                               int depth, boolean laterMods, boolean tail, MegaflowCache.Recorder rec) {
        if (!bk.modifies()) {
            execute(t, bk.executed(), table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
            return;
        }
        int j = b.copy(i);
        if (j < 0) {
            drops.add(thread, Reason.COPIES, 1);
            if (rec != null) rec.uncacheable = true;        // a replay could find a slot: do not cache this one
            return;
        }
        if (rec != null) rec.cloneBegin();
        execute(t, bk.executed(), table, inPort, b, j, out, thread, now, depth, false, true, rec);
        if (rec != null) rec.cloneEnd();
    }

    /** A select group's bucket chosen in this pass (selection_method=hash): the hashed fields go into the cache key. */
    private void selectBucket(Tables t, Group g, int table, int inPort, PacketBatch b, int i, Outputs out, int thread, long now,
                              int depth, boolean laterMods, boolean tail, MegaflowCache.Recorder rec) {
        int x = select(t, g, b.keys[i], rec);
        if (x < 0) {
            drop(thread, Reason.GROUP_NO_LIVE_BUCKET, rec);
            return;
        }
        bucket(t, g, x, table, inPort, b, i, out, thread, now, depth, laterMods, tail, rec);
    }

    /** The first live bucket of a fast_failover group, or -1. */
    private static int firstLive(Tables t, Group g) {
        for (int x = 0; x < g.buckets.size(); x++) if (live(t, g, g.buckets.get(x), 0)) return x;
        return -1;
    }

    /**
     * Whether bucket bk of g is live, as OVS's bucket_is_alive: a select group's bucket of weight 0 never is; one that
     * watches nothing always is; else its watch_port is up or its watch_group is live (one of its buckets is).
     */
    private static boolean live(Tables t, Group g, Group.Bucket bk, int depth) {
        if (g.type == Group.Type.SELECT && bk.weight() == 0) return false;
        if (bk.watchPort() == Group.Bucket.NO_WATCH_PORT && bk.watchGroup() == Group.Bucket.NO_WATCH_GROUP) return true;
        if (bk.watchPort() != Group.Bucket.NO_WATCH_PORT) {
            int p = bk.watchPort() < t.indexByOfport().length ? t.indexByOfport()[bk.watchPort()] : -1;
            if (p >= 0 && p < t.live().length && t.live()[p]) return true;
        }
        if (bk.watchGroup() != Group.Bucket.NO_WATCH_GROUP) {
            Group w = t.groups().get(bk.watchGroup());
            if (w == null || depth > 16) return false;
            for (Group.Bucket o : w.buckets) if (live(t, w, o, depth + 1)) return true;
        }
        return false;
    }

    /**
     * The bucket a select group (selection_method=hash) takes for key k: {@link #bestLiveBucket} of the hash of its
     * fields, which are recorded for the cache; -1 if none is live.
     */
    private static int select(Tables t, Group g, FlowKey k, MegaflowCache.Recorder rec) {
        return bestLiveBucket(t, g, SelectHash.hash(g.selection, k, rec));
    }

    private static long bits(int n) { return n >= 64 ? -1L : (1L << n) - 1; }

    /** Records a set-field and the key bits its effect depends on (which headers exist, the VLAN tag). */
    private static void recordSet(MegaflowCache.Recorder rec, FlowKey k, Field f, long value, long mask, long valueLo, long maskLo) {
        rec.unwildcard(FlowKey.DL_TYPE, 0xffff);
        rec.unwildcard(FlowKey.NW_PROTO, 0xff);
        rec.unwildcard(FlowKey.NW_FRAG, 7);
        rec.unwildcard(FlowKey.VLAN_TCI, FlowKey.VLAN_PRESENT);
        if (f == Field.ND_TARGET || f == Field.ND_SLL || f == Field.ND_TLL) {    // whether it applies: the ICMPv6 type and code
            rec.unwildcard(FlowKey.TP_SRC, Field.ICMP_TYPE.fullMask());
            rec.unwildcard(FlowKey.TP_DST, Field.ICMP_CODE.fullMask());
        }
        for (int w = 0; w < f.words(); w++) rec.rewrote(f.word + w);
        rec.set(f, value, mask, valueLo, maskLo);
    }

    private static int inPortOf(Tables t, FlowKey k) {
        long of = k.w[FlowKey.IN_PORT];
        return of >= 0 && of < t.indexByOfport().length ? t.indexByOfport()[(int) of] : -1;
    }

    /** Queues packet i for port index port; copy: the actions may rewrite it later (see {@link #unshare}). */
    private void emit(PacketBatch b, int i, int port, Outputs out, boolean copy, int thread) {
        if (copy) b.shared |= 1L << i;
        if (!out.add(port, i)) drops.add(thread, Reason.COPIES, 1);
    }

    /** setField on packet i, after its queued sends moved to a copy if the write may change what they send. */
    private void setField(PacketBatch b, int i, Outputs out, int thread, Field f, long value, long mask, long valueLo, long maskLo) {
        if (changesSend(b.keys[i], f, value, mask, valueLo, maskLo)) unshare(b, i, out, thread);
        setField(b, i, f, value, mask, valueLo, maskLo);
    }

    /**
     * Whether writing f = value under mask (lo: a 128-bit field's low word) into key k may change what a port sends
     * for the packet: a frame field always; a tun_* field only if its value changes (OVN's flood to remote chassis
     * sets the same tun_id and option before each tunnel port); a register or metadata never.
     */
    private static boolean changesSend(FlowKey k, Field f, long value, long mask, long valueLo, long maskLo) {
        if (f.pipelineOnly()) return false;
        if (f.word < FlowKey.PACKET_WORDS || !k.extended) return true;     // not extended: the tun_* words are stale
        long[] w = k.w;
        return ((w[f.word] ^ value) & mask) != 0 || (f.words() == 2 && ((w[f.word + 1] ^ valueLo) & maskLo) != 0);
    }

    /**
     * Before packet i is rewritten (a header field, a tunnel field a tunnel port reads, a VLAN tag, TTL, conntrack's
     * NAT or reassembly): the outputs that queued it as it is now move to a copy of it, made only now, so outputs
     * followed by register loads alone (OVN's flood: a load and a resubmit per port) copy nothing. No copy slot left:
     * those sends are counted drops, as an output's own copy was before.
     */
    private void unshare(PacketBatch b, int i, Outputs out, int thread) {
        long bit = 1L << i;
        if ((b.shared & bit) == 0) return;
        b.shared &= ~bit;
        if (!out.holds(i)) return;               // its sends went on already (to a patch port: crossed)
        int j = b.copy(i);
        if (j < 0) drops.add(thread, Reason.COPIES, out.remove(i));
        else out.relocate(i, j);
    }

    private static void shift(FlowKey k, int d) {
        if (k.l3 >= 0) k.l3 += d;
        if (k.l4 >= 0) k.l4 += d;
    }

    private static void strip(PacketBatch b, int i) {
        FlowKey k = b.keys[i];
        if ((k.w[FlowKey.VLAN_TCI] & FlowKey.VLAN_PRESENT) == 0) return;
        b.off[i] = (int) Rewrite.popVlan(b.data, b.off[i]);
        b.len[i] -= 4;
        shift(k, -4);
        k.w[FlowKey.VLAN_TCI] = 0;
    }

    /**
     * Sets field f of packet i's key and, where OVS would commit the change to the packet, of its headers: L3 and
     * L4 rewrites need a header that is really there ({@link #hasL3}), a port rewrite a TCP or UDP header. The key
     * always takes the new value, so later lookups see it (as OVS's flow does).
     */
    private static void setField(PacketBatch b, int i, Field f, long value, long mask, long valueLo, long maskLo) {
        FlowKey k = b.keys[i];
        long[] w = k.w;
        long old = w[f.word];
        long v = (old & ~mask) | (value & mask);
        MemorySegment d = b.data;
        long frame = b.off[i];
        boolean l3 = hasL3(k);
        long type = w[FlowKey.DL_TYPE];
        boolean v4 = l3 && type == Ethernet.TYPE_IPV4, v6 = l3 && type == Ethernet.TYPE_IPV6, arp = l3 && (type == Ethernet.TYPE_ARP || type == 0x8035);
        int proto = (int) w[FlowKey.NW_PROTO];
        switch (f) {
            case DL_SRC -> Rewrite.setMac(d, frame + 6, v);
            case DL_DST -> Rewrite.setMac(d, frame, v);
            case VLAN_TCI -> {
                if ((old & FlowKey.VLAN_PRESENT) == 0) {
                    if ((v & FlowKey.VLAN_PRESENT) == 0) return;          // nothing to set on an untagged frame
                    frame = Rewrite.pushVlan(d, frame, Ethernet.TYPE_VLAN, 0);
                    b.off[i] = (int) frame;
                    b.len[i] += 4;
                    shift(k, 4);
                }
                if ((v & FlowKey.VLAN_PRESENT) == 0) { strip(b, i); return; }
                Rewrite.setTci(d, frame, (int) (v & ~FlowKey.VLAN_PRESENT & 0xffff));
            }
            case NW_SRC, NW_DST, ARP_SPA, ARP_TPA -> {
                boolean src = f == Field.NW_SRC || f == Field.ARP_SPA;
                if (v4) Rewrite.setIpv4Addr(d, frame, k.l3, k.l4, proto, src, v & 0xffffffffL);
                else if (arp) Rewrite.setArpAddr(d, frame, k.l3, src, v);
            }
            case ARP_OP -> { if (arp) Rewrite.setArpOp(d, frame, k.l3, (int) v & 0xff); }
            case ICMP_TYPE, ICMP_CODE -> {
                if (((v4 && proto == 1) || (v6 && proto == 58)) && k.l4 >= 0 && b.len[i] >= k.l4 + 4)
                    Rewrite.setIcmp(d, frame, k.l4, f == Field.ICMP_TYPE, (int) v & 0xff);
            }
            case ARP_SHA, ARP_THA -> { if (arp) Rewrite.setArpMac(d, frame, k.l3, f == Field.ARP_SHA, v); }
            case TP_SRC, TP_DST -> {
                if ((v4 || v6) && k.l4 >= 0 && (proto == 6 || proto == 17))
                    Rewrite.setPort(d, frame, k.l4, proto, f == Field.TP_SRC, (int) v & 0xffff);
            }
            case NW_TOS -> {
                // OVS writes the DSCP even into a header it found malformed (nothing else), where the bytes exist
                boolean six = type == Ethernet.TYPE_IPV6;
                if ((six || type == Ethernet.TYPE_IPV4) && k.l3 >= 0 && b.len[i] >= k.l3 + (six ? 2 : 12))
                    Rewrite.setDscp(d, frame, k.l3, six, (int) v);
            }
            case NW_TTL -> { if (v4 || v6) Rewrite.setTtl(d, frame, k.l3, v6, (int) v & 0xff); }
            case ND_TARGET, ND_SLL, ND_TLL -> {
                // OVS sets these only when the packet (as the key says now) is a solicitation or advertisement, the
                // one the field belongs to (its run-time prerequisite check): else neither the key nor the packet
                int nd = ndType(k);
                if (nd == 0 || (f == Field.ND_SLL && nd != 135) || (f == Field.ND_TLL && nd != 136)) return;
                int end = v6 && k.l4 >= 0 ? Rewrite.ipv6End(d, frame, k.l3, b.len[i]) : -1;
                if (f == Field.ND_TARGET) {
                    long lo = (w[f.word + 1] & ~maskLo) | (valueLo & maskLo);
                    if (end >= 0) Rewrite.setNdTarget(d, frame, k.l4, end, v, lo);
                    w[f.word + 1] = lo;
                } else if (end >= 0) {
                    Rewrite.setNdLla(d, frame, k.l4, end, f == Field.ND_SLL ? 1 : 2, f.get(value), f.get(mask));
                }
            }
            case IPV6_SRC, IPV6_DST -> {
                long lo = (w[f.word + 1] & ~maskLo) | (valueLo & maskLo);
                if (v6) Rewrite.setIpv6Addr(d, frame, k.l3, k.l4, proto, f == Field.IPV6_SRC, v, lo);
                w[f.word + 1] = lo;
            }
            default -> {       // metadata, registers, pkt_mark: key only (the parser rejects set_field on other fields)
                if (f.words() == 2) w[f.word + 1] = (w[f.word + 1] & ~maskLo) | (valueLo & maskLo);
                if (f.word >= FlowKey.PACKET_WORDS) k.extended = true;     // tunnel/conntrack metadata: cleared on receive
            }
        }
        w[f.word] = v;
    }

    /** 135 or 136 when key k is a neighbour solicitation or advertisement (OVS's is_nd: icmp6, that type, code 0), else 0. */
    private static int ndType(FlowKey k) {
        long[] w = k.w;
        if (w[FlowKey.DL_TYPE] != Ethernet.TYPE_IPV6 || w[FlowKey.NW_PROTO] != 58 || Field.ICMP_CODE.get(w[FlowKey.TP_DST]) != 0) return 0;
        int type = (int) Field.ICMP_TYPE.get(w[FlowKey.TP_SRC]);
        return type == 135 || type == 136 ? type : 0;
    }

    // ------------------------------------------------------------------------------------------ NORMAL

    /**
     * copy: later actions rewrite packet i, so what NORMAL sends must be copies of it. Returns the port index
     * when the packet itself went to exactly one port (nothing counted, no copy made), else -1.
     */
    private int normal(Tables t, int inPort, PacketBatch b, int i, Outputs out, int thread, long now, boolean copy) {
        PortVlan[] vl = t.vlans();
        if (inPort < 0 || inPort >= vl.length) return -1;     // a packet-out from the controller: no input bundle, as OVS
        FlowKey k = b.keys[i];
        boolean tagged = (k.w[FlowKey.VLAN_TCI] & FlowKey.VLAN_PRESENT) != 0;
        long type = k.w[FlowKey.DL_TYPE];
        if (!tagged && (type == Ethernet.TYPE_VLAN || type == Ethernet.TYPE_QINQ)) {   // a VLAN type but no whole tag
            drops.add(thread, Reason.VLAN, 1);
            return -1;
        }
        int pktVlan = tagged ? (int) (k.w[FlowKey.VLAN_TCI] & 0xfff) : 0;
        // a priority tag (VID 0, PCP set) leaves a trunk as it came, as in OVS; VID 0 without a PCP leaves untagged
        boolean prio = tagged && pktVlan == 0 && (k.w[FlowKey.VLAN_TCI] & 0xe000) != 0;
        PortVlan in = vl[inPort];
        int vlan;
        if (in.access()) {
            if (tagged && pktVlan != 0) { drops.add(thread, Reason.VLAN, 1); return -1; }   // tagged traffic on an access port
            vlan = in.tag();
        } else {
            vlan = pktVlan;
            if (!in.carries(vlan)) { drops.add(thread, Reason.VLAN, 1); return -1; }
        }
        long src = k.w[FlowKey.DL_SRC], dst = k.w[FlowKey.DL_DST];
        // IEEE's reserved range (STP, LACP, LLDP, 802.1X, ...) and a few vendors' protocols stay on their link,
        // as in OVS, unless forward-bpdu is set; checked before learning, so such frames teach nothing either
        if (!t.forwardBpdu() && Ethernet.isReserved(dst)) { drops.add(thread, Reason.RESERVED_MAC, 1); return -1; }
        if (!Ethernet.isMulticast(src) && thread != TRACE_THREAD) macs.learn(src, vlan, inPort, now);   // a trace learns nothing
        int nports = t.ofports().length;
        if (!Ethernet.isMulticast(dst)) {
            int p = macs.lookup(dst, vlan, now);
            if (p >= 0 && p < nports) {
                if (p == inPort) { drops.add(thread, Reason.LOOP, 1); return -1; }
                if (!vl[p].carries(vlan)) return -1;
                return normalOut(b, i, p, vl[p], vlan, prio, out, copy, thread) == i ? p : -1;
            }
        }
        int untaggedCopy = -1, taggedCopy = -1;
        for (int p = 0; p < nports; p++) {
            if (p == inPort || !vl[p].carries(vlan)) continue;
            boolean wantTag = !vl[p].access() && (vlan != 0 || prio);
            // reuse one variant per tagging for every port of the flood
            int have = wantTag ? taggedCopy : untaggedCopy;
            if (have < 0) {
                have = variant(b, i, wantTag, vlan, copy);
                if (have < 0) { drops.add(thread, Reason.COPIES, 1); continue; }
                if (wantTag) taggedCopy = have; else untaggedCopy = have;
            }
            if (!out.add(p, have)) drops.add(thread, Reason.COPIES, 1);
        }
        return -1;
    }

    /** Sends packet i (or its variant for port p's VLAN mode) to p; returns the packet sent, or -1. */
    private int normalOut(PacketBatch b, int i, int p, PortVlan pv, int vlan, boolean prio, Outputs out, boolean copy, int thread) {
        int j = variant(b, i, !pv.access() && (vlan != 0 || prio), vlan, copy);
        if (j < 0 || !out.add(p, j)) { drops.add(thread, Reason.COPIES, 1); return -1; }
        return j;
    }

    /**
     * Packet i as it must leave: tagged with vlan or untagged. Returns i itself when it already is (the common
     * case: no copy), else a rewritten copy.
     */
    private static int variant(PacketBatch b, int i, boolean tagged, int vlan, boolean copy) {
        FlowKey k = b.keys[i];
        boolean isTagged = (k.w[FlowKey.VLAN_TCI] & FlowKey.VLAN_PRESENT) != 0;
        int curVlan = isTagged ? (int) (k.w[FlowKey.VLAN_TCI] & 0xfff) : 0;
        if (isTagged == tagged && (!tagged || curVlan == vlan)) {
            if (copy) b.shared |= 1L << i;       // copied if a rewrite follows
            return i;
        }
        int j = b.copy(i);
        if (j < 0) return -1;
        if (!tagged) {
            strip(b, j);
        } else {
            FlowKey kj = b.keys[j];
            if (!isTagged) {
                b.off[j] = (int) Rewrite.pushVlan(b.data, b.off[j], Ethernet.TYPE_VLAN, vlan);
                b.len[j] += 4;
                shift(kj, 4);
            } else {
                Rewrite.setTci(b.data, b.off[j], (int) ((kj.w[FlowKey.VLAN_TCI] & 0xf000 & ~FlowKey.VLAN_PRESENT) | vlan));
            }
            kj.w[FlowKey.VLAN_TCI] = FlowKey.VLAN_PRESENT | vlan;
        }
        return j;
    }
}
