package io.xvio.control;

/** A configuration file that cannot be used: the message names the file, the key path and the problem. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) { super(message); }
}
