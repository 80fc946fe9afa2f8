package io.xvio.virtio;

/**
 * The driver broke the virtqueue contract (an address outside guest memory, a looping chain, an index that
 * jumped...). The queue that saw it stops; the message names the fault for the log.
 */
public final class VirtqueueFault extends RuntimeException {
    public VirtqueueFault(String message) {
        super(message, null, false, false);
    }
}
