package io.xvio.control;

import io.xvio.datapath.action.*;

import io.xvio.datapath.Flow;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.PacketIns;
import io.xvio.openflow.OfChannels;
import io.xvio.openflow.OfEndpoint;
import io.xvio.openflow.OfError;
import io.xvio.openflow.OfSwitch;
import io.xvio.packet.PacketBatch;
import io.xvio.pmd.PmdSet;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * The OpenFlow side of the daemon's bridges: per bridge a BRIDGE.mgmt socket and the connections to its configured
 * controllers ({@link OfChannels}), wired to the same bridge operations as the CLI's flow commands and run under the
 * same {@link CommandLock}, so YAML, CLI and OpenFlow flows live in one table set. Packet-outs run on a PMD thread
 * ({@link PacketOutTask}).
 */
final class OpenFlowBridges implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger("xvio.openflow");
    private final Map<String, OfEndpoint> endpoints = new LinkedHashMap<>();
    private final Map<String, OfChannels> channels = new LinkedHashMap<>();
    private final String controlPath;
    private final CommandLock lock;
    private final DaemonStatus status;
    private final PmdSet pmds;
    /** The SSL/TLS settings every bridge's ssl: and pssl: targets use (OVS's Open_vSwitch ssl column: one for all). */
    private io.xvio.openflow.OfTls tls = new io.xvio.openflow.OfTls(io.xvio.openflow.TlsSettings.NONE);
    /** The startup settings (YAML ssl:, then the daemon's --private-key etc.): what set-ssl or OVSDB leave unset. */
    private io.xvio.openflow.TlsSettings tlsDefaults = io.xvio.openflow.TlsSettings.NONE;

    /** NXT_TLV_TABLE_MOD on a bridge (the daemon's Tunnels, under its lock); TlvMapException with OVS's code if refused. */
    interface TlvMod {
        void apply(Bridge br, int command, List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> mappings);
    }

    /** The bridges' Geneve option maps, read and changed by NXT_TLV_TABLE_REQUEST/MOD; none until the daemon sets them. */
    private volatile java.util.function.Function<String, io.xvio.datapath.tunnel.TunnelTlvMap> tlvRead = b -> io.xvio.datapath.tunnel.TunnelTlvMap.EMPTY;
    private volatile TlvMod tlvMod;

    /** Where the bridges' OpenFlow connections read and change the Geneve option maps (ovn-controller's first request). */
    void tlvMaps(java.util.function.Function<String, io.xvio.datapath.tunnel.TunnelTlvMap> read, TlvMod mod) {
        this.tlvRead = read;
        this.tlvMod = mod;
    }

    private OpenFlowBridges(String controlPath, CommandLock lock, DaemonStatus status, PmdSet pmds) {
        this.controlPath = controlPath;
        this.lock = lock;
        this.status = status;
        this.pmds = pmds;
    }

    static OpenFlowBridges start(Collection<Bridge> bridges, String controlPath, CommandLock lock, DaemonStatus status) {
        return start(bridges, Map.of(), controlPath, lock, status, null);
    }

    /** settings: each bridge's controllers (absent: none); pmds: the threads that run packet-outs (null: refused). */
    static OpenFlowBridges start(Collection<Bridge> bridges, Map<String, ControllerSettings> settings, String controlPath, CommandLock lock,
                                 DaemonStatus status, PmdSet pmds) {
        return start(bridges, settings, controlPath, lock, status, pmds, io.xvio.openflow.TlsSettings.NONE);
    }

    /** As the other, with the SSL/TLS settings of ssl: and pssl: targets (YAML ssl: over the daemon's options). */
    static OpenFlowBridges start(Collection<Bridge> bridges, Map<String, ControllerSettings> settings, String controlPath, CommandLock lock,
                                 DaemonStatus status, PmdSet pmds, io.xvio.openflow.TlsSettings ssl) {
        OpenFlowBridges o = new OpenFlowBridges(controlPath, lock, status, pmds);
        o.tls = new io.xvio.openflow.OfTls(ssl);
        o.tlsDefaults = ssl;
        try {
            for (Bridge br : bridges) o.add(br, settings.getOrDefault(br.name, ControllerSettings.NONE));
        } catch (ControlException e) {
            o.close();
            throw new ConfigException(e.getMessage());
        }
        return o;
    }

    /** Opens br's BRIDGE.mgmt socket and connects it to its controllers; ControlException if the socket cannot be made. */
    synchronized void add(Bridge br, ControllerSettings cs) {
        if (channels.containsKey(br.name)) throw new ControlException("bridge " + br.name + " already has OpenFlow channels");
        BridgeSwitch sw = new BridgeSwitch(br, lock, status, pmds, this, new PacketOutWindow(br.name, pmds));
        OfChannels ch = new OfChannels(sw, System.nanoTime());
        ch.setTls(tls);
        try {
            endpoints.put(br.name, OfEndpoint.start(controlPath, sw, ch));
        } catch (IllegalStateException e) {
            ch.close();
            throw new ControlException(e.getMessage());
        }
        channels.put(br.name, ch);
        br.onExpired = ch::flowsExpired;
        configure(br.name, cs);
    }

    /** Closes a bridge's OpenFlow socket and controller connections (the bridge is going away). */
    synchronized void remove(String bridge) {
        OfChannels ch = channels.remove(bridge);
        if (ch != null) ch.close();
        OfEndpoint e = endpoints.remove(bridge);
        if (e != null) e.close();
    }

    /** A bridge's fail mode now (standalone for a bridge without OpenFlow state yet). */
    synchronized OfChannels.FailMode failMode(String bridge) {
        OfChannels c = channels.get(bridge);
        return c == null ? OfChannels.FailMode.STANDALONE : c.failMode();
    }

    /** A bridge's controllers, fail mode and probe interval (as set by YAML, the CLI or OVSDB). */
    synchronized void configure(String bridge, ControllerSettings cs) {
        OfChannels ch = channels(bridge);
        ch.setFailMode(cs.failMode());
        ch.setProbeMillis(cs.probeMillis());
        ch.setPacketInLimits(cs.packetInLimits());
        if (!cs.targets().equals(ch.controllers())) ch.setControllers(cs.targets());
    }

    /** A bridge's OpenFlow versions (bitmap) and datapath id (0: its default), as OVSDB's Bridge protocols and other_config. */
    synchronized void identity(String bridge, int versions, long datapathId) {
        OfChannels ch = channels(bridge);
        ch.setVersions(versions);
        ch.setDatapathId(datapathId);
    }

    /** The datapath id of a bridge's features replies. */
    synchronized long datapathId(String bridge) { return channels(bridge).datapathId(); }

    /** A bridge's configured controllers with their state (OVSDB's Controller is_connected, role, status). */
    synchronized List<io.xvio.openflow.ControllerInfo> controllerInfo(String bridge) { return channels(bridge).controllerInfo(); }

    /**
     * The SSL/TLS settings of every bridge's ssl: and pssl: targets from now on (new connections; open ones stay),
     * the unset ones from the startup settings (YAML ssl:, the daemon's options): set-ssl, del-ssl (back to the
     * startup settings), and the seam for OVSDB's SSL table.
     */
    synchronized void setTls(io.xvio.openflow.TlsSettings s) {
        tls = new io.xvio.openflow.OfTls(s.or(tlsDefaults));
        for (OfChannels c : channels.values()) c.setTls(tls);
        LOG.info("OpenFlow SSL/TLS settings: " + (tls.settings().complete() ? "private key " + tls.settings().privateKey() + ", certificate "
                + tls.settings().certificate() + ", CA certificate " + tls.settings().caCert() + (tls.settings().bootstrapCaCert() ? " (bootstrap)" : "")
                : tls.settings().missing()));
    }

    synchronized io.xvio.openflow.TlsSettings tls() { return tls.settings(); }

    private synchronized OfChannels channels(String bridge) {
        OfChannels c = channels.get(bridge);
        if (c == null) throw new ControlException("no bridge named \"" + bridge + "\"");
        return c;
    }

    /**
     * set-controller BR TARGET..., del-controller BR, get-controller BR, set-fail-mode BR standalone|secure,
     * get-fail-mode BR, del-fail-mode BR: as ovs-vsctl's commands of those names.
     */
    String command(List<String> args) {
        String cmd = args.getFirst();
        switch (cmd) {             // ovs-vsctl's SSL commands: global, no bridge
            case "set-ssl" -> {
                List<String> a = new ArrayList<>(args.subList(1, args.size()));
                boolean bootstrap = a.remove("--bootstrap");
                if (a.size() != 3) throw new ControlException("set-ssl [--bootstrap] PRIVATE-KEY CERTIFICATE CA-CERT");
                setTls(new io.xvio.openflow.TlsSettings(a.get(0), a.get(1), a.get(2), bootstrap));
                return "";
            }
            case "get-ssl" -> {
                io.xvio.openflow.TlsSettings t = tls();
                if (t.privateKey() == null && t.certificate() == null && t.caCert() == null) return "";
                return "Private key: " + t.privateKey() + "\nCertificate: " + t.certificate() + "\nCA Certificate: " + t.caCert()
                        + "\nBootstrap: " + t.bootstrapCaCert() + "\n";
            }
            case "del-ssl" -> {
                setTls(io.xvio.openflow.TlsSettings.NONE);
                return "";
            }
            default -> { }
        }
        if (args.size() < 2) throw new ControlException(cmd + " needs a bridge name");
        OfChannels ch = channels(args.get(1));
        List<String> rest = args.subList(2, args.size());
        switch (cmd) {
            case "set-controller" -> ch.setControllers(ControllerSettings.checkTargets(List.copyOf(rest)));
            case "del-controller" -> ch.setControllers(List.of());
            case "get-controller" -> {
                StringBuilder sb = new StringBuilder();
                for (String s : rest.contains("--status") ? ch.controllerStatus() : ch.controllers()) sb.append(s).append('\n');
                if (rest.contains("--status") && ch.failOpen()) sb.append("fail-open: forwarding by NORMAL\n");
                if (rest.contains("--status") && ch.packetInLimits() != null) sb.append("packet-in rate limit: ").append(ch.packetInLimits()).append('\n');
                return sb.toString();
            }
            case "set-fail-mode" -> {
                if (rest.size() != 1) throw new ControlException("set-fail-mode BRIDGE standalone|secure");
                try {
                    ch.setFailMode(OfChannels.FailMode.parse(rest.getFirst()));
                } catch (IllegalArgumentException e) {
                    throw new ControlException(e.getMessage());
                }
            }
            case "get-fail-mode" -> { return ch.failMode().text() + "\n"; }
            case "del-fail-mode" -> ch.setFailMode(OfChannels.FailMode.STANDALONE);
            default -> throw new ControlException("unknown command \"" + cmd + "\"");
        }
        return "";
    }

    @Override
    public synchronized void close() {
        for (OfChannels c : channels.values()) c.close();
        channels.clear();
        for (OfEndpoint e : endpoints.values()) e.close();
        endpoints.clear();
    }

    /** One bridge as an OpenFlow connection sees it. */
    private record BridgeSwitch(Bridge br, CommandLock lock, DaemonStatus status, PmdSet pmds, OpenFlowBridges of,
                                PacketOutWindow window) implements OfSwitch {
        @Override public String name() { return br.name; }

        @Override public List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> tlvMappings() { return of.tlvRead.apply(br.name).mappings(); }

        @Override
        public void tlvTableMod(int command, List<io.xvio.datapath.tunnel.TunnelTlvMap.Mapping> mappings) {
            TlvMod mod = of.tlvMod;
            if (mod == null) OfSwitch.super.tlvTableMod(command, mappings);
            try {
                change(() -> {
                    mod.apply(br, command, mappings);
                    return null;
                });
            } catch (io.xvio.datapath.tunnel.TunnelTlvMap.TlvMapException e) {
                OfError err = switch (e.code) {
                    case "NXTTMFC_ALREADY_MAPPED" -> OfError.TLV_ALREADY_MAPPED;
                    case "NXTTMFC_DUP_ENTRY" -> OfError.TLV_DUP_ENTRY;
                    case "NXTTMFC_TABLE_FULL" -> OfError.TLV_TABLE_FULL;
                    case "NXTTMFC_INVALID_TLV_DEL" -> OfError.TLV_INVALID_DEL;
                    case "NXTTMFC_BAD_OPT_LEN" -> OfError.TLV_BAD_OPT_LEN;
                    case "NXTTMFC_BAD_FIELD_IDX" -> OfError.TLV_BAD_FIELD_IDX;
                    default -> OfError.TLV_BAD_COMMAND;
                };
                throw err.fail("bridge " + br.name + ": " + e.getMessage());
            }
            LOG.info("bridge " + br.name + ": Geneve option map " + (command == 0 ? "+ " : command == 1 ? "- " : "cleared ") + mappings);
        }

        @Override
        public void ctFlushZone(int zone) {
            int n = change(() -> {
                io.xvio.datapath.conntrack.ConnTracker t = br.datapath.conntrack().get();
                return t == null ? 0 : t.flush(zone, null, System.nanoTime());
            });
            LOG.fine("bridge " + br.name + ": NXT_CT_FLUSH_ZONE zone " + zone + ": " + n + " connections flushed");
        }

        @Override
        public List<PortInfo> ports() {
            List<PortInfo> out = new ArrayList<>();
            for (Status.PortCount p : status.portCounts(br, null).ports())
                out.add(new PortInfo(p.ofport(), p.name(), p.rxPackets(), p.rxBytes(), p.rxDropped(), p.txPackets(), p.txBytes(), p.txDropped()));
            out.sort(Comparator.comparingInt(PortInfo::ofport));
            return out;
        }

        @Override public List<Flow> flows() { return br.flows(); }
        @Override
        public void addFlows(List<Flow> flows, boolean resetCounts) {
            try {
                br.addFlows(flows, false, resetCounts);     // see Bridge.addFlows: a barrier needs no quiescence
            } catch (ControlException e) {
                throw refused(e);
            }
        }

        /** A flow the bridge refuses: naming a group or meter it lacks, as OVS's errors for those. */
        private static OfError.Failure refused(ControlException e) {
            String m = e.getMessage();
            OfError err = m.contains("OFPMMFC_INVALID_METER") ? OfError.INVALID_METER : m.contains("names group") ? OfError.BAD_OUT_GROUP
                    : OfError.MATCH_INCONSISTENT;
            return err.fail(m);
        }
        @Override public int deleteFlows(Predicate<Flow> selected) { return br.delFlows(selected); }

        @Override
        public int modifyFlows(Predicate<Flow> selected, List<Action> actions, boolean resetCounts, long newCookie) {
            try {
                return br.modFlows(selected, actions, "actions=" + FlowFormat.actions(actions), resetCounts, newCookie);
            } catch (ControlException e) {
                throw refused(e);
            }
        }

        @Override
        public void packetOut(int inPort, io.xvio.datapath.Match metadata, byte[] frame, List<Action> actions) {
            if (frame.length > PacketBatch.MAX_FRAME) throw OfError.BAD_LEN.fail("packet_out frame of " + frame.length + " bytes");
            window.submit(new PacketOutTask(br.datapath, read(br::sendArray), inPort, metadata, frame, actions), "packet_out");
        }

        @Override
        public void resume(int inPort, byte[] frame, io.xvio.datapath.Match metadata, long[] stack, List<io.xvio.datapath.Paused.Frame> frames) {
            if (frame.length < 14 || frame.length > PacketBatch.MAX_FRAME) throw OfError.BAD_LEN.fail("NXT_RESUME frame of " + frame.length + " bytes");
            window.submit(new PacketOutTask(read(br::sendArray), (b, out, thread) ->
                    br.datapath.resume(inPort, frame, metadata, stack, frames, b, out, thread, System.nanoTime())), "resume");
        }

        @Override public void settle() { window.settle(); }

        @Override public PacketIns packetIns() { return br.datapath.packetIns(); }

        @Override public void setPacketInOnMiss(boolean on) { br.datapath.setPacketInOnMiss(on); }

        @Override public io.xvio.datapath.FragMode fragMode() { return br.datapath.fragMode(); }

        @Override
        public boolean setFragMode(io.xvio.datapath.FragMode m) {
            change(() -> { br.datapath.setFragMode(m); return null; });
            return true;
        }

        @Override
        public boolean linkUp(int ofport) {
            for (io.xvio.port.Port p : br.ports) {
                if (p.ofport() != ofport) continue;
                try {
                    return p.live();
                } catch (RuntimeException e) {
                    return false;
                }
            }
            return false;
        }

        @Override public List<io.xvio.datapath.meter.LiveMeter> meters() { return br.datapath.meters().list(); }

        @Override
        public void putMeter(io.xvio.datapath.meter.MeterConfig c, boolean modify) {
            synchronized (br) {                      // as MeterCommands.put
                try {
                    br.datapath.meters().put(c, modify, System.nanoTime());
                } catch (IllegalArgumentException e) {   // the openflow layer checked first; a race it lost
                    throw OfError.OUT_OF_METERS.fail(e.getMessage());
                }
            }
        }

        @Override
        public int deleteMeters(long id) {
            synchronized (br) {                      // as MeterCommands.delete: the flows first (one publication)
                br.delFlows(f -> io.xvio.datapath.ActionOutputs.namesMeter(f.actions, id));
                return br.datapath.meters().delete(id);
            }
        }

        @Override public List<io.xvio.datapath.Group> groups() { return br.groups(); }

        @Override
        public void putGroup(io.xvio.datapath.Group g, boolean modify) {
            try {
                br.putGroup(g, modify);
            } catch (ControlException e) {          // the openflow layer checked first; this is a race it lost
                throw OfError.INVALID_GROUP.fail(e.getMessage());
            }
        }

        @Override
        public int deleteGroups(java.util.Set<Long> ids) {
            try {
                return br.delGroups(ids)[0];
            } catch (ControlException e) {
                throw OfError.CHAINED_GROUP.fail(e.getMessage());
            }
        }

        @Override
        public void replaceTables(List<Flow> flows, Map<Long, io.xvio.datapath.Group> groups) {
            try {
                br.replaceTables(flows, groups);
            } catch (ControlException e) {          // the openflow layer checked first under the same lock
                throw refused(e);
            }
        }

        @Override
        public void setFailOpen(boolean on) {
            change(() -> {
                br.setFailOpen(on);
                return null;
            });
        }

        @Override public <T> T change(Supplier<T> body) { return lock.run(true, body); }
        @Override public <T> T read(Supplier<T> body) { return lock.run(false, body); }
    }
}
