package io.xvio.sys;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.channels.Channel;

/**
 * The file descriptor under a JDK socket channel, for the calls the JDK does not offer (recvmsg with SCM_RIGHTS on a
 * control connection: {@link FdPassing}). The JDK keeps it in sun.nio.ch ({@code SelChImpl.getFDVal()}), which
 * the JVM shows only when started with {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (bin/xvio gives it
 * to the daemon); without that, {@link #of} is -1 and {@link #unavailable} says why. The descriptor stays the
 * channel's: dup it to keep it past the channel's close.
 */
public final class ChannelFd {
    private static final MethodHandle FD;
    private static final String WHY;
    static {
        MethodHandle h = null;
        String why = null;
        try {
            Class<?> c = Class.forName("sun.nio.ch.SelChImpl");
            h = MethodHandles.lookup().findVirtual(c, "getFDVal", MethodType.methodType(int.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            why = "the JVM does not show channel file descriptors (needs --add-exports java.base/sun.nio.ch=ALL-UNNAMED): " + e.getMessage();
        }
        FD = h;
        WHY = why;
    }

    private ChannelFd() {}

    /** The descriptor of channel, or -1 if this JVM does not show it (or the channel is not a JDK socket channel). */
    public static int of(Channel channel) {
        if (FD == null || !FD.type().parameterType(0).isInstance(channel)) return -1;
        try {
            return (int) FD.invoke(channel);
        } catch (Throwable t) {
            return -1;
        }
    }

    /** Why {@link #of} gives -1, or null if it can give descriptors. */
    public static String unavailable() { return WHY; }
}
