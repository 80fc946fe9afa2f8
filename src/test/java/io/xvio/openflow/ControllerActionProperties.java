package io.xvio.openflow;

import io.xvio.datapath.FlowParser;
import io.xvio.datapath.action.Action;
import io.xvio.datapath.action.Controller;
import net.jqwik.api.*;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Any controller action (every combination of reason, max_len, id, userdata, pause and meter_id) prints to a text
 * that parses back to it, and survives its wire form in each version; mutated NXAST_CONTROLLER/CONTROLLER2 actions
 * decode or fail with an OpenFlow error, never another exception.
 */
class ControllerActionProperties {
    @Provide
    Arbitrary<Controller> controllers() {
        Arbitrary<Integer> maxLen = Arbitraries.oneOf(Arbitraries.just(0xffff), Arbitraries.integers().between(0, 0xffff));
        Arbitrary<Integer> reason = Arbitraries.integers().between(0, Controller.REASONS.size() - 1);
        Arbitrary<Integer> id = Arbitraries.oneOf(Arbitraries.just(0), Arbitraries.integers().between(0, 0xffff));
        Arbitrary<String> userdata = Arbitraries.bytes().array(byte[].class).ofMaxSize(40).map(Controller::hex);
        Arbitrary<Long> meter = Arbitraries.oneOf(Arbitraries.just(Controller.NO_METER), Arbitraries.longs().between(0, Controller.NO_METER));
        return Combinators.combine(maxLen, reason, id, userdata, Arbitraries.of(false, true), meter).as(Controller::new);
    }

    @Provide
    Arbitrary<Integer> versions() { return Arbitraries.of(OfVersion.OF10, OfVersion.OF13, OfVersion.OF14, OfVersion.OF15); }

    @Property(tries = 1000)
    void printsParsesAndEncodesBack(@ForAll("controllers") Controller c, @ForAll("versions") int v) {
        assertEquals(List.of(c), FlowParser.parseActionList(c.format()), c.format());
        Wire.Writer w = new Wire.Writer();
        OfActions.encodeActions(List.of(c), v, w);
        byte[] b = w.toBytes();
        assertEquals(0, b.length % 8);
        assertEquals(List.of(c), OfActions.decodeActions(new Wire.Reader(b), v));
    }

    @Property(tries = 2000)
    void mutatedWireFormsFailAsOpenFlowErrors(@ForAll("controllers") Controller c, @ForAll("versions") int v,
                                              @ForAll @Size(max = 4) List<@IntRange(max = 200) Integer> at, @ForAll byte value) {
        Wire.Writer w = new Wire.Writer();
        OfActions.encodeActions(List.of(c), v, w);
        byte[] b = w.toBytes();
        for (int a : at) b[a % b.length] ^= (byte) (value == 0 ? 1 : value);
        try {
            List<Action> back = OfActions.decodeActions(new Wire.Reader(b), v);
            assertNotNull(back);
        } catch (OfError.Failure expected) {
            assertNotNull(expected.error);
        }
    }
}
