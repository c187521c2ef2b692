package io.armature.control.internal;

import org.osgi.service.component.annotations.Component;

import io.armature.control.Controller;
import io.armature.control.ControllerFactory;
import io.armature.control.PidGains;
import io.armature.control.pid.PidController;

/** The built-in PID: output limits -1..1 (signed duty), 2 ms derivative filter, 0.2 s transfer ramp. */
@Component(property = ControllerFactory.PROPERTY_NAME + "=" + PidControllerFactory.NAME)
public final class PidControllerFactory implements ControllerFactory {

    static final String NAME = "pid";

    @Override
    public Controller create(PidGains gains) {
        return new PidController(gains, -1.0, 1.0, 0.002, 0.2);
    }
}
