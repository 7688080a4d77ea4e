"""The refusal every step of an upload can raise, and how its messages quote file names."""


class UploadRejected(Exception):
    """A file refused; `message` is the French text shown next to the field."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def quoted(name: str) -> str:
    return f"« {name} »"
