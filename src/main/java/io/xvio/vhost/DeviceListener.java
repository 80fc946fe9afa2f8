package io.xvio.vhost;

/** What a vhost-user device tells the port that owns it. Called on the device's connection thread. */
public interface DeviceListener {
    /** A queue started or stopped, or the front-end connected or went away. */
    default void queuesChanged() {}

    /** The front-end asked to announce a MAC (VHOST_USER_SEND_RARP after migration). */
    default void announce(byte[] mac) {}

    DeviceListener NONE = new DeviceListener() {};
}
