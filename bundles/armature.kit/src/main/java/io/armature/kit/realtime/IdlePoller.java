package io.armature.kit.realtime;

/**
 * Keeps one CPU from halting when it has nothing to run: a thread in SCHED_IDLE, pinned to the
 * CPU, that spins. Any other thread on that CPU preempts it at once, so it takes no time from
 * anything; what it costs is the CPU's idle time (power, heat, and on a virtual machine the
 * host's CPU). It is for platforms where a halted CPU takes long to wake and no cpuidle driver
 * lets a PM QoS request ({@link CpuLatencyRequest}) prevent it: virtual machines.
 */
public final class IdlePoller implements AutoCloseable {

    private final int cpu;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile String state = "starting";

    private IdlePoller(int cpu) {
        this.cpu = cpu;
        this.thread = new Thread(this::run, "armature-idle-poller-cpu" + cpu);
        thread.setDaemon(true);
        thread.setPriority(Thread.MIN_PRIORITY);
    }

    /** Starts a poller on {@code cpu}; {@link #state()} says whether it got there. */
    public static IdlePoller start(int cpu) {
        IdlePoller p = new IdlePoller(cpu);
        p.thread.start();
        return p;
    }

    private void run() {
        // idle class first: until it is in force the spin must not compete with anything
        RealTimePriority.Result idle = CpuPlacement.idleClassCurrentThread();
        if (!idle.applied()) {
            state = "not running: " + idle.message();
            return;
        }
        RealTimePriority.Result pinned = CpuPlacement.pinCurrentThread(cpu);
        if (!pinned.applied()) {
            state = "not running: " + pinned.message();
            return;
        }
        state = "polling CPU " + cpu + " in SCHED_IDLE";
        while (running) {
            Thread.onSpinWait();
        }
    }

    /** @return one line: where it polls, or why it does not */
    public String state() {
        return state;
    }

    /** Stops polling and waits for the thread to end. */
    @Override
    public void close() {
        running = false;
        io.armature.kit.service.Threads.wakeAndJoin(thread, 2_000);
    }
}
