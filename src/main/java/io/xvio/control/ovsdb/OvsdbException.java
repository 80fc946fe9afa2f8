package io.xvio.control.ovsdb;

/** A message from the database that breaks RFC 7047 or the Open_vSwitch schema: the connection is dropped. */
public final class OvsdbException extends Exception {
    public OvsdbException(String message) { super(message); }
}
