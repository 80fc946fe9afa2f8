package io.xvio.sys;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The XDP program that hands an interface's frames to AF_XDP sockets, built here instruction by instruction (no
 * compiler, no libbpf), with its XSKMAP, attached through a BPF link. The program is what libxdp's default one
 * does:
 * <pre>
 *   r2 = ((struct xdp_md *) r1)->rx_queue_index
 *   r1 = &amp;xskmap                  (ld_imm64, BPF_PSEUDO_MAP_FD)
 *   r3 = XDP_PASS                   (flags: the action when the queue has no socket)
 *   call bpf_redirect_map
 *   exit
 * </pre>
 * Frames of queues without a socket go on to the host stack. Closing this object closes the link, the program
 * and the map: the interface is left without a program (the link also goes away by itself when xvio dies).
 */
public final class XdpRedirect implements AutoCloseable {
    /** enum xdp_action */
    static final int XDP_PASS = 2;
    /** bpf_redirect_map's helper number (enum bpf_func_id). */
    static final int BPF_FUNC_REDIRECT_MAP = 51;
    static final int BPF_PSEUDO_MAP_FD = 1;
    /** struct xdp_md: u32 data @0, data_end @4, data_meta @8, ingress_ifindex @12, rx_queue_index @16. */
    static final short XDP_MD_RX_QUEUE_INDEX = 16;

    public enum Mode { NATIVE, GENERIC }

    private final int mapFd, progFd, linkFd;
    private final Mode mode;
    private boolean closed;

    private XdpRedirect(int mapFd, int progFd, int linkFd, Mode mode) {
        this.mapFd = mapFd;
        this.progFd = progFd;
        this.linkFd = linkFd;
        this.mode = mode;
    }

    /**
     * Attaches a redirect program to interface ifindex (device in messages) that hands queue queueId's frames to
     * the socket xskFd. Tries native (driver) mode first, then generic (skb) mode, unless generic is forced.
     * Each failing step is named in the exception; a refused program carries the verifier's log.
     */
    public static XdpRedirect attach(String device, int ifindex, int queueId, int xskFd, boolean genericOnly) {
        int map = -1, prog = -1;
        try {
            map = Bpf.createXskMap("xvio_xsks", queueId + 1);
            prog = Bpf.loadXdp("xvio_redirect", program(map));
            Bpf.updateElem(map, queueId, xskFd, "XSKMAP[" + queueId + "] = AF_XDP socket on " + device);
            String what = "ifindex " + ifindex + " (" + device + ")";
            if (!genericOnly) {
                try {
                    return new XdpRedirect(map, prog, Bpf.linkXdp(prog, ifindex, Bpf.XDP_FLAGS_DRV_MODE, what), Mode.NATIVE);
                } catch (SysException e) {
                    if (e.errno() == Errno.EBUSY || e.errno() == Errno.EEXIST) throw e;   // a program is there already
                }
            }
            return new XdpRedirect(map, prog, Bpf.linkXdp(prog, ifindex, Bpf.XDP_FLAGS_SKB_MODE, what), Mode.GENERIC);
        } catch (RuntimeException e) {
            Fd.closeQuietly(prog);
            Fd.closeQuietly(map);
            throw e;
        }
    }

    /** The program's bytes for the map mapFd: struct bpf_insn {u8 code; u8 dst:4, src:4; s16 off; s32 imm} x 6. */
    static byte[] program(int mapFd) {
        ByteBuffer b = ByteBuffer.allocate(6 * 8).order(ByteOrder.LITTLE_ENDIAN);
        insn(b, 0x61, 2, 1, XDP_MD_RX_QUEUE_INDEX, 0);        // BPF_LDX | BPF_MEM | BPF_W: r2 = *(u32 *)(r1 + 16)
        insn(b, 0x18, 1, BPF_PSEUDO_MAP_FD, 0, mapFd);        // BPF_LD | BPF_IMM | BPF_DW: r1 = map (low half) ...
        insn(b, 0x00, 0, 0, 0, 0);                            // ... high half
        insn(b, 0xb7, 3, 0, 0, XDP_PASS);                     // BPF_ALU64 | BPF_MOV | BPF_K: r3 = XDP_PASS
        insn(b, 0x85, 0, 0, 0, BPF_FUNC_REDIRECT_MAP);        // BPF_JMP | BPF_CALL: r0 = bpf_redirect_map(r1, r2, r3)
        insn(b, 0x95, 0, 0, 0, 0);                            // BPF_JMP | BPF_EXIT: return r0
        return b.array();
    }

    private static void insn(ByteBuffer b, int code, int dst, int src, int off, int imm) {
        b.put((byte) code).put((byte) ((src << 4) | dst)).putShort((short) off).putInt(imm);
    }

    public Mode mode() { return mode; }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Fd.closeQuietly(linkFd);       // detaches the program from the interface
        Fd.closeQuietly(progFd);
        Fd.closeQuietly(mapFd);
    }
}
