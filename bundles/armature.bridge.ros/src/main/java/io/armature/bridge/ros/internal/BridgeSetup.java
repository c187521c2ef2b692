package io.armature.bridge.ros.internal;

import org.osgi.service.log.Logger;

/**
 * What the transport and the base controller of one configuration share: the settings, the
 * robot's token as it was read for them, the topic graph they meet on, and the log.
 */
record BridgeSetup(Settings settings, RosToken token, TopicGraph graph, Logger log) {
}
