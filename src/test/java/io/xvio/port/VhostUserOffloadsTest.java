package io.xvio.port;

import io.xvio.testing.TestFrontend;
import io.xvio.util.Quiescence;
import io.xvio.vhost.VhostUserEndpoint;
import io.xvio.virtio.VirtioFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** A vhost-user port's key offloads: what it offers a front-end, and what `show` says about it. */
class VhostUserOffloadsTest {
    @TempDir Path dir;

    private VhostUserPort port(String name, boolean offloads) {
        return new VhostUserPort(name, 1, dir.resolve(name + ".sock").toString(), VhostUserEndpoint.Mode.SERVER, 1,
                true, false, offloads, 0, Quiescence.NONE, null);
    }

    @Test
    void aPortWithOffloadsOffersThemAndOneWithoutSaysWhy() throws Exception {
        VhostUserPort on = port("on", true), off = port("off", false);
        on.start();
        off.start();
        try (TestFrontend fOn = TestFrontend.connect(dir.resolve("on.sock").toString()).start();
             TestFrontend fOff = TestFrontend.connect(dir.resolve("off.sock").toString()).start()) {
            assertEquals(VirtioFeatures.OFFLOADS, fOn.offeredFeatures() & VirtioFeatures.OFFLOADS, VirtioFeatures.describe(fOn.offeredFeatures()));
            assertEquals(0, fOff.offeredFeatures() & VirtioFeatures.OFFLOADS, VirtioFeatures.describe(fOff.offeredFeatures()));
            // the test front-end takes no offloads: offered, none negotiated
            assertEquals("none negotiated", on.details().get("offloads"), on.details().toString());
            assertEquals("off (not offered: port key offloads: false)", off.details().get("offloads"), off.details().toString());
        } finally {
            on.close();
            off.close();
        }
    }
}
