package io.armature.web.internal;

/** A request the REST API refuses: its HTTP status and a one-sentence reason for the caller. */
final class ApiException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    ApiException(int status, String message) {
        super(message, null, false, false); // no stack trace: it never reaches a caller or a log
        this.status = status;
    }

    /** @return the HTTP status, 400..499 */
    int status() {
        return status;
    }
}
