"""The project's error types. Each survives pickling (a sweep's worker process sends it to the driver)."""


class ValidationError(ValueError):
    """Raised before any work starts when an input is out of its allowed range.

    The message always begins with the field name, e.g. ``gamma: must lie in (0, 1), got 1.5``.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")

    def __reduce__(self):
        return type(self), (self.field, self.message)


class ConvergenceError(RuntimeError):
    """An iterative solve did not reach its stated residual tolerance."""


class RunsFailed(RuntimeError):
    """Some runs of a sweep raised (or lost their worker twice); the message lists them, the rest are kept."""


class WorkerDied(RuntimeError):
    """The process running a sweep's run ended abruptly (killed, out of memory, a crash in compiled code)."""


class ConditioningWarning(UserWarning):
    """A computed quantity is ill-conditioned: its forward error may exceed what its residual suggests."""
