package io.xvio.openflow;

import io.xvio.datapath.Field;
import io.xvio.datapath.FlowFormat;
import io.xvio.datapath.FlowSyntaxException;
import io.xvio.datapath.Group;
import io.xvio.datapath.GroupParser;
import io.xvio.datapath.action.Action;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An OFPT_GROUP_MOD as decoded (OpenFlow 1.1-1.4's ofp11_group_mod and 1.5's ofp15_group_mod with bucket and
 * group properties, including the Netronome selection-method property OVS uses for select groups). Every length
 * is checked before it is trusted and every value is checked as OVS's ofp-group.c checks it, with its error
 * codes; what the group then means to the datapath is checked by {@link #toGroup}, which reads the group back
 * through the CLI's {@link GroupParser} (so OpenFlow and {@code xvio add-group} accept the same groups).
 */
record GroupMod(int command, int type, long groupId, long commandBucketId, List<WireBucket> buckets, String method,
                List<Field> fields) {
    static final int ADD = 0, MODIFY = 1, DELETE = 2, INSERT_BUCKET = 3, REMOVE_BUCKET = 5, ADD_OR_MOD = 0x8000;
    static final int ALL = 0, SELECT = 1, INDIRECT = 2, FAST_FAILOVER = 3;
    /** Group ids: OFPG_MAX, OFPG_ALL, OFPG_ANY. */
    static final long MAX = 0xffffff00L, GROUP_ALL = 0xfffffffcL, ANY = 0xffffffffL;
    /** OpenFlow 1.5 bucket ids: OFPG15_BUCKET_MAX, _FIRST, _LAST, _ALL. */
    static final long BUCKET_MAX = 0xffffff00L, BUCKET_FIRST = 0xfffffffdL, BUCKET_LAST = 0xfffffffeL, BUCKET_ALL = 0xffffffffL;
    static final int NTR_VENDOR = 0x154d, NTR_COMPAT_VENDOR = 0x1540, NTRT_SELECTION_METHOD = 1;
    static final int PROP_WEIGHT = 0, PROP_WATCH_PORT = 1, PROP_WATCH_GROUP = 2, PROP_EXPERIMENTER = 0xffff;

    /** One bucket: watchPort {@link Group.Bucket#NO_WATCH_PORT} and watchGroup {@link Group.Bucket#NO_WATCH_GROUP} for none. */
    record WireBucket(long bucketId, int weight, int watchPort, long watchGroup, List<Action> actions) {
        WireBucket {
            for (Action a : actions)
                if (a instanceof io.xvio.datapath.action.Controller c && c.pause())
                    throw OfError.BAD_ACTION_ARGUMENT.fail("controller(pause) in a group bucket is not supported by xvio");
        }

        boolean watches() { return watchPort != Group.Bucket.NO_WATCH_PORT || watchGroup != Group.Bucket.NO_WATCH_GROUP; }

        static WireBucket of(Group.Bucket b) { return new WireBucket(b.bucketId(), b.weight(), b.watchPort(), b.watchGroup(), b.actions()); }
    }

    static GroupMod decode(Wire.Reader r, int version) {
        if (version == OfVersion.OF10) throw OfError.BAD_TYPE.fail("OpenFlow 1.0 has no group_mod");
        GroupMod gm = version >= OfVersion.OF15 ? decode15(r, version) : decode11(r, version);
        gm.check();
        return gm;
    }

    private static GroupMod decode11(Wire.Reader r, int version) {
        int command = r.u16(), type = r.u8();
        r.skip(1);
        long id = r.u32();
        List<WireBucket> buckets = new ArrayList<>();
        int bucketId = 0;
        while (r.remaining() > 0) {
            if (r.remaining() < 16) throw OfError.BAD_BUCKET.fail("buckets end with " + r.remaining() + " leftover bytes");
            int len = r.u16();
            if (len < 16 || len - 2 > r.remaining()) throw OfError.BAD_BUCKET.fail("bucket length " + len + " with " + (r.remaining() + 2) + " bytes left");
            Wire.Reader b = r.sub(len - 2, OfError.BAD_BUCKET, "bucket");
            int weight = b.u16();
            int watchPort = watchPort(b.u32());
            long watchGroup = watchGroup(b.u32());
            b.skip(4);
            List<Action> actions = OfActions.decodeActions(b, version);
            buckets.add(new WireBucket(bucketId++, weight, watchPort, watchGroup, actions));
        }
        // OpenFlow 1.3.5 prescribes an error for a delete that carries buckets (as OVS)
        if (command == DELETE && !buckets.isEmpty()) throw OfError.INVALID_GROUP.fail("a group delete carries " + buckets.size() + " bucket(s)");
        return new GroupMod(command, type, id, BUCKET_ALL, buckets, null, List.of());
    }

    private static GroupMod decode15(Wire.Reader r, int version) {
        int command = r.u16(), type = r.u8();
        r.skip(1);
        long id = r.u32();
        int bucketArrayLen = r.u16();
        r.skip(2);
        long cmdBucket = r.u32();
        boolean okBucket = switch (command) {
            case REMOVE_BUCKET -> cmdBucket == BUCKET_ALL || cmdBucket <= BUCKET_MAX || cmdBucket == BUCKET_FIRST || cmdBucket == BUCKET_LAST;
            case INSERT_BUCKET -> cmdBucket <= BUCKET_MAX || cmdBucket == BUCKET_FIRST || cmdBucket == BUCKET_LAST;
            default -> cmdBucket == BUCKET_ALL;
        };
        if (!okBucket) throw OfError.BAD_BUCKET.fail("command bucket id 0x" + Long.toHexString(cmdBucket) + " is out of range for command " + command);
        if (bucketArrayLen > r.remaining()) throw OfError.BAD_LEN.fail("bucket array length " + bucketArrayLen + " with " + r.remaining() + " bytes left");
        Wire.Reader array = r.sub(bucketArrayLen, OfError.BAD_BUCKET, "bucket array");
        List<WireBucket> buckets = new ArrayList<>();
        Set<Long> ids = new HashSet<>();
        while (array.remaining() > 0) {
            if (array.remaining() < 8) throw OfError.BAD_BUCKET.fail("buckets end with " + array.remaining() + " leftover bytes");
            int len = array.u16(), actionsLen = array.u16();
            long bucketId = array.u32();
            if (len < 8 || len - 8 > array.remaining()) throw OfError.BAD_BUCKET.fail("bucket length " + len + " with " + (array.remaining() + 8) + " bytes left");
            if (actionsLen > len - 8) throw OfError.BAD_BUCKET.fail("bucket actions length " + actionsLen + " exceeds the bucket's " + (len - 8));
            Wire.Reader b = array.sub(len - 8, OfError.BAD_BUCKET, "bucket");
            List<Action> actions = OfActions.decodeActions(b.sub(actionsLen, OfError.BAD_BUCKET, "bucket actions"), version);
            int weight = type == SELECT ? 1 : 0, watchPort = Group.Bucket.NO_WATCH_PORT;
            long watchGroup = Group.Bucket.NO_WATCH_GROUP;
            while (b.remaining() > 0) {
                Prop p = Prop.read(b);
                switch (p.type) {
                    case PROP_WEIGHT -> weight = (int) p.fixed(2);
                    case PROP_WATCH_PORT -> watchPort = watchPort(p.fixed(4));
                    case PROP_WATCH_GROUP -> watchGroup = watchGroup(p.fixed(4));
                    case PROP_EXPERIMENTER -> throw OfError.PROP_BAD_EXP_TYPE.fail("group bucket experimenter property 0x" + Long.toHexString(p.experimenter));
                    default -> throw OfError.PROP_BAD_TYPE.fail("unknown group bucket property type " + p.type);
                }
            }
            if (bucketId > BUCKET_MAX) throw OfError.BAD_BUCKET.fail("bucket id 0x" + Long.toHexString(bucketId) + " is out of range");
            if (!ids.add(bucketId)) throw OfError.BAD_BUCKET.fail("bucket id " + bucketId + " is used twice");
            buckets.add(new WireBucket(bucketId, weight, watchPort, watchGroup, actions));
        }
        String method = null;
        List<Field> fields = List.of();
        while (r.remaining() > 0) {
            Prop p = Prop.read(r);
            if (p.type != PROP_EXPERIMENTER) throw OfError.PROP_BAD_TYPE.fail("unknown group property type " + p.type);
            if ((p.experimenter != NTR_VENDOR && p.experimenter != NTR_COMPAT_VENDOR) || p.expType != NTRT_SELECTION_METHOD)
                throw OfError.PROP_BAD_EXP_TYPE.fail("group property of experimenter 0x" + Long.toHexString(p.experimenter) + " type " + p.expType);
            if (type != SELECT) {
                if (type > FAST_FAILOVER) throw OfError.GROUP_BAD_TYPE.fail("group type " + type);
                throw OfError.PROP_BAD_VALUE.fail("the selection method property is only for select groups");
            }
            if (command != ADD && command != MODIFY && command != ADD_OR_MOD) {
                if (command == DELETE || command == INSERT_BUCKET || command == REMOVE_BUCKET)
                    throw OfError.PROP_BAD_VALUE.fail("the selection method property is only for group adds and modifies");
                throw OfError.GROUP_BAD_COMMAND.fail("group command " + command);
            }
            Wire.Reader v = p.body;
            if (v.remaining() < 28) throw OfError.PROP_BAD_LEN.fail("selection method property of " + (v.remaining() + 12) + " bytes");
            v.skip(4);
            byte[] name = v.bytes(16);
            int n = 0;
            while (n < 16 && name[n] != 0) n++;
            if (n == 16) throw OfError.PROP_BAD_VALUE.fail("selection method is not NUL-terminated");
            method = new String(name, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
            if (!method.equals("hash") && !method.equals("dp_hash")) throw OfError.PROP_BAD_VALUE.fail("selection method \"" + method + "\" (hash or dp_hash)");
            v.u64();                                            // selection_method_param: xvio's parser takes and ignores it too
            if (v.remaining() > 0 && !method.equals("hash")) throw OfError.PROP_BAD_VALUE.fail("selection method " + method + " takes no fields");
            fields = GroupFields.decode(v);
        }
        return new GroupMod(command, type, id, cmdBucket, buckets, method, fields);
    }

    /** A property (ofpprop_pull's rules): 4-byte header, length at least 4, padded to 8, experimenter ones with id and type. */
    record Prop(int type, long experimenter, long expType, Wire.Reader body, int len) {
        static Prop read(Wire.Reader r) {
            if (r.remaining() < 4) throw OfError.PROP_BAD_LEN.fail("property header with " + r.remaining() + " bytes left");
            int type = r.u16(), len = r.u16();
            int padded = (len + 7) & ~7;
            if (len < 4 || padded - 4 > r.remaining()) throw OfError.PROP_BAD_LEN.fail("property type " + type + " length " + len + " with " + (r.remaining() + 4) + " bytes left");
            Wire.Reader body = r.sub(len - 4, OfError.PROP_BAD_LEN, "property");
            r.skip(padded - len);
            if (type != PROP_EXPERIMENTER) return new Prop(type, 0, 0, body, len);
            if (len < 12) throw OfError.PROP_BAD_LEN.fail("experimenter property of " + len + " bytes");
            long exp = body.u32(), expType = body.u32();
            if (exp == 0) throw OfError.PROP_BAD_EXPERIMENTER.fail("experimenter property with experimenter 0");
            return new Prop(type, exp, expType, body, len);
        }

        /**
         * The body as an n-byte number (ofpprop_parse_be16/be32): a 32-bit value must be exactly 4 bytes; a 16-bit
         * one at least 2 (OpenFlow gives them 8-byte properties, 2 bytes of padding inside).
         */
        long fixed(int n) {
            if (n == 2 ? body.remaining() < 2 : body.remaining() != n)
                throw OfError.PROP_BAD_LEN.fail("property type " + type + " has " + body.remaining() + " bytes, not " + n);
            return body.uN(n);
        }
    }

    /** A bucket's 32-bit watch_port: OFPP_ANY is none; xvio watches its own ports only. */
    private static int watchPort(long p) {
        if (p == ANY) return Group.Bucket.NO_WATCH_PORT;
        long q = Ports.from32(p);
        if (q < 1 || q >= Ports.MAX) throw OfError.BAD_WATCH.fail("watch_port 0x" + Long.toHexString(p) + " (xvio watches bridge ports 1-0xfeff)");
        return (int) q;
    }

    private static long watchGroup(long g) {
        if (g == ANY) return Group.Bucket.NO_WATCH_GROUP;
        if (g > MAX) throw OfError.BAD_WATCH.fail("watch_group 0x" + Long.toHexString(g));
        return g;
    }

    /** OVS's ofputil_check_group_mod: types, commands, bucket counts, weights and liveness. */
    private void check() {
        if (type > FAST_FAILOVER) throw OfError.GROUP_BAD_TYPE.fail("group type " + type);
        if (type == INDIRECT && command != DELETE && command != INSERT_BUCKET && command != REMOVE_BUCKET && buckets.size() != 1)
            throw OfError.INVALID_GROUP.fail("an indirect group has exactly one bucket, not " + buckets.size());
        switch (command) {
            case ADD, MODIFY, ADD_OR_MOD, DELETE, INSERT_BUCKET -> { }
            case REMOVE_BUCKET -> { if (!buckets.isEmpty()) throw OfError.BAD_BUCKET.fail("a remove-buckets command carries buckets"); }
            default -> throw OfError.GROUP_BAD_COMMAND.fail("group command " + command);
        }
        if (buckets.size() > Group.MAX_BUCKETS) throw OfError.OUT_OF_BUCKETS.fail(buckets.size() + " buckets (xvio holds at most " + Group.MAX_BUCKETS + ")");
        for (WireBucket b : buckets) {
            if (b.weight != 0 && type != SELECT && command != INSERT_BUCKET) throw OfError.INVALID_GROUP.fail("weight " + b.weight + " in a bucket of a non-select group");
            if ((type == ALL || type == INDIRECT) && b.watches()) throw OfError.WATCH_UNSUPPORTED.fail("a watch in a bucket of an all or indirect group");
            if (type == FAST_FAILOVER && !b.watches()) throw OfError.INVALID_GROUP.fail("a fast_failover bucket without watch_port or watch_group");
        }
    }

    static String typeName(int type) {
        return switch (type) {
            case ALL -> "all";
            case SELECT -> "select";
            case INDIRECT -> "indirect";
            default -> "fast_failover";
        };
    }

    /**
     * The group these buckets make, read back through the CLI's group parser (which also computes what each bucket
     * runs as an action set); a bucket the datapath cannot run is OFPGMFC_BAD_BUCKET.
     */
    static Group toGroup(long id, int type, String method, List<Field> fields, List<WireBucket> buckets) {
        StringBuilder sb = new StringBuilder("group_id=").append(id).append(",type=").append(typeName(type));
        if (method != null) sb.append(",selection_method=").append(method);
        if (!fields.isEmpty()) {
            sb.append(",fields(");
            for (int i = 0; i < fields.size(); i++) sb.append(i > 0 ? "," : "").append(fields.get(i).ofName);
            sb.append(')');
        }
        for (WireBucket b : buckets) {
            sb.append(",bucket=bucket_id:").append(b.bucketId).append(",weight:").append(type == SELECT ? b.weight : 0);
            if (b.watchPort != Group.Bucket.NO_WATCH_PORT) sb.append(",watch_port:").append(b.watchPort);
            if (b.watchGroup != Group.Bucket.NO_WATCH_GROUP) sb.append(",watch_group:").append(b.watchGroup);
            sb.append(",actions=").append(FlowFormat.actions(b.actions));
        }
        try {
            return GroupParser.parse(sb.toString());
        } catch (FlowSyntaxException e) {
            throw OfError.BAD_BUCKET.fail("\"" + sb + "\": " + e.getMessage());
        }
    }

    Group toGroup() { return toGroup(groupId, type, method, fields, buckets); }
}
