package io.xvio.vhost;

/** The front-end sent something the protocol does not allow: the connection that sent it is closed. */
public final class ProtocolError extends RuntimeException {
    public ProtocolError(String message) { super(message); }
}
