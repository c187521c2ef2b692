package io.armature.control;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Makes controllers of one kind, one per loop (controllers keep state). Register as a service
 * with {@link #PROPERTY_NAME}; {@code robot:controller <loop> <name>} switches a loop to it.
 */
@ConsumerType
public interface ControllerFactory {

    /** Service property: the controller name ({@code String}), for example {@code pid}. */
    String PROPERTY_NAME = "armature.controller.name";

    /**
     * @param gains the loop's current gains, which the controller may use or ignore
     * @return a new controller
     */
    Controller create(PidGains gains);
}
