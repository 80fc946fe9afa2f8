package io.xvio.pmd;

import io.xvio.testing.InertPort;

/** A port for PMD tests: they decide what receive does; transmit drops, the rest is inert. */
abstract class StubPort extends InertPort {
    StubPort(String name) { super(name); }

    @Override public String type() { return "stub"; }
}
