package io.xvio.control;

/** A control request that failed: the message goes back to the CLI, which exits non-zero. */
public final class ControlException extends RuntimeException {
    public ControlException(String message) { super(message); }
}
