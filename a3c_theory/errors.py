"""One error type for bad input, so every message names the offending field."""


class ValidationError(ValueError):
    """Raised before any work starts when an input is out of its allowed range.

    The message always begins with the field name, e.g. ``gamma: must lie in (0, 1), got 1.5``.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")
