package io.xvio.util;

/**
 * Lets the control plane wait until no poll-mode thread still uses something it just unpublished (a stopped
 * queue, an old memory table): every PMD thread passes a quiescent point between bursts, so after this
 * returns none holds a reference from before the call. The bottom layer, implemented by the pmd layer.
 */
public interface Quiescence {
    void await();

    /** For code running without PMD threads (tests, single-threaded tools). */
    Quiescence NONE = () -> { };
}
